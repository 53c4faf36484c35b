import { mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageEvents, type TestEvent } from './support/events';
import {
  createAdminKey,
  isRunning,
  startWarehouseProcess,
  stopProcess,
  uidOf,
  waitHealthy,
} from './support/warehouse-process';

describe('a restarted warehouse', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tallyhouse-restart-'));
  const port = 39_000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    // Never delete the data directory under a live process.
    if (isRunning(child)) await stopProcess(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every accepted event after SIGTERM and after SIGKILL, and still recognises them as duplicates', async () => {
    const batch = messageEvents(2_000, { tenant: 'durable', contacts: 300 });
    const key = createAdminKey(dataDir);
    expect(key).toMatch(/^th_[0-9a-f]{8}_/);
    const authorization = `Bearer ${key}`;
    const post = (events: unknown[]) =>
      fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(events),
      }).then((r) => r.json() as Promise<{ accepted: number; duplicates: number }>);
    type Row = { type: string; events: number; contacts: number };
    const stats = () =>
      fetch(`${base}/v1/stats?tenant=durable&from=2026-09-01&to=2026-12-01`, { headers: { authorization } })
        .then((r) => r.json() as Promise<{ rows: Row[] }>)
        .then((s) => s.rows.map(({ type, events, contacts }) => ({ type, events, contacts })));
    // The same figures computed directly from what was sent.
    const expected = (events: TestEvent[]): Row[] =>
      [...new Set(events.map((e) => e.type))].sort().map((type) => {
        const ofType = events.filter((e) => e.type === type);
        return { type, events: ofType.length, contacts: new Set(ofType.map((e) => e.contact_id)).size };
      });

    child = startWarehouseProcess(dataDir, port);
    await waitHealthy(base, child);
    // Started as root (as the tests are here), the server runs as nobody (scripts/run-as-user.sh).
    if (process.getuid?.() === 0) expect(uidOf(child.pid!)).toBe(65534);
    expect(await post(batch.slice(0, 1_000))).toMatchObject({ accepted: 1_000 });
    await stopProcess(child, 'SIGTERM');

    child = startWarehouseProcess(dataDir, port);
    await waitHealthy(base, child);
    expect(await stats()).toEqual(expected(batch.slice(0, 1_000)));
    expect(await post(batch.slice(1_000))).toMatchObject({ accepted: 1_000 });
    // No goodbye this time: acknowledged inserts must already be durable.
    await stopProcess(child, 'SIGKILL');

    child = startWarehouseProcess(dataDir, port);
    await waitHealthy(base, child);
    expect(await stats()).toEqual(expected(batch));
    expect(await post(batch)).toMatchObject({ accepted: 0, duplicates: 2_000 });
    // New contacts continue the numbering after a restart instead of reusing numbers.
    const newcomers = messageEvents(10, { tenant: 'durable', contacts: 10 }).map((e, i) => ({
      ...e,
      contact_id: `new-${i}`,
    }));
    expect(await post(newcomers)).toMatchObject({ accepted: 10 });
    expect(await stats()).toEqual(expected([...batch, ...newcomers]));
    await stopProcess(child, 'SIGTERM');
  }, 600_000);
});
