import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chTime } from '@tallyhouse/clickhouse';
import { EventIngestService } from '@tallyhouse/ingest';
import { SchedulesService, type ScheduleRun } from '@tallyhouse/schedule';
import { ScheduleStore } from '../libs/schedule/src/schedule.store';
import { startTestWarehouse } from './support/warehouse-app';
import { isRunning, startWarehouseProcess, stopProcess, waitHealthy } from './support/warehouse-process';
import { waitFor } from './support/wait';

/**
 * A warehouse process killed in the middle of a scheduled run: the run is
 * neither lost nor sent twice. The restarted process tries the same run
 * again (attempt 2) for the targets it had not delivered to: the folder it
 * had already written is not written again, and the webhook that never
 * answered gets the file once more under the same run id, answers, and the
 * run is delivered.
 */
const TENANT = 'crash-district';

interface Hook {
  run: string;
  attempt: number;
  answered: boolean;
}

describe('a process killed mid-run', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tallyhouse-schedule-crash-'));
  // In the default delivery root (DATA_DIR/deliveries), which the process, running as RUN_AS_USER when
  // the tests run as root, owns.
  const folder = join(dataDir, 'deliveries', 'board');
  const port = 40_000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const hooks: Hook[] = [];
  const held: ServerResponse[] = [];
  let hookServer: Server;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // The first request is held unanswered (the process is killed while it waits); later ones are answered.
    hookServer = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const hook = { run: String(req.headers['x-tallyhouse-run']), attempt: hooks.length + 1, answered: false };
        hooks.push(hook);
        if (hooks.length === 1) {
          held.push(res);
          return;
        }
        hook.answered = true;
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    if (isRunning(child)) await stopProcess(child, 'SIGKILL');
    held.forEach((r) => r.destroy());
    await new Promise<void>((resolve) => hookServer?.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the killed run again and delivers it once to every target', async () => {
    // Seed the data directory in this process: events, and a monthly schedule created two days ago,
    // so its latest tick (06:00 Berlin on the 1st) is due as a catch-up when the process starts.
    const confinement = { WEBHOOK_ALLOW_HOSTS: '127.0.0.1' };
    let wh = await startTestWarehouse({ DATA_DIR: dataDir, ...confinement });
    const now = Date.now();
    const events = Array.from({ length: 300 }, (_, i) => ({
      event_id: randomUUID(),
      tenant_id: TENANT,
      occurred_at: new Date(now - (i + 1) * 6 * 3_600_000).toISOString(),
      type: 'user.login',
      contact_id: `p${i % 41}`,
    }));
    const report = await wh.app.get(EventIngestService).ingest(
      events.map((e) => ({ value: e, raw: JSON.stringify(e) })),
      'test',
    );
    expect(report.accepted).toBe(events.length);
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    const created = await wh.app.get(SchedulesService).create({
      name: 'Monthly sign-ins',
      report: 'district-sign-ins',
      params: { tenant: TENANT, interval: 'week' },
      range: 'last_full_month',
      cron: '0 6 1 * *',
      time_zone: 'Europe/Berlin',
      format: 'xlsx',
      targets: [
        { type: 'folder', path: folder },
        { type: 'webhook', url: hookUrl },
      ],
      enabled: true,
    });
    const store = wh.app.get(ScheduleStore);
    const record = (await store.schedule(created.id))!;
    await store.saveSchedule({ ...record, created_at: chTime(new Date(now - 40 * 86_400_000)) });
    await wh.close();

    // The process starts, catches up the tick, writes the folder, posts the webhook, and dies waiting.
    const env = { SCHEDULES_ENABLED: 'true', DELIVERY_ATTEMPTS: '2', DELIVERY_BASE_DELAY_MS: '50', ...confinement };
    child = startWarehouseProcess(dataDir, port, env);
    await waitHealthy(base, child);
    await waitFor(async () => hooks.length === 1, 60_000, 'the first webhook request');
    await stopProcess(child, 'SIGKILL');
    expect(readdirSync(folder)).toHaveLength(1);

    // Restarted, it finds the run it was in the middle of and finishes it.
    child = startWarehouseProcess(dataDir, port, env);
    await waitHealthy(base, child);
    await waitFor(async () => hooks.some((h) => h.answered), 60_000, 'the webhook delivery of attempt 2');
    // Let it record the run before it goes.
    await new Promise((r) => setTimeout(r, 2_000));
    await stopProcess(child, 'SIGTERM');

    wh = await startTestWarehouse({ DATA_DIR: dataDir });
    try {
      const runs: ScheduleRun[] = await wh.app.get(SchedulesService).runs(created.id);
      expect(runs).toHaveLength(1);
      const [run] = runs;
      expect(run).toMatchObject({ trigger: 'catch-up', status: 'delivered', attempt: 2 });
      expect(run.error).toMatch(/attempt 1 stopped with its process/);
      expect(run.targets.map((t) => [t.ok, t.mode])).toEqual([
        [true, 'file'],
        [true, 'body'],
      ]);
      expect(run.rows).toBeGreaterThan(0);
      // The folder was written once; the webhook saw the same run twice and answered once.
      expect(readdirSync(folder)).toHaveLength(1);
      expect(hooks.map((h) => [h.run, h.answered])).toEqual([
        [run.id, false],
        [run.id, true],
      ]);
    } finally {
      await wh.close();
    }
  }, 300_000);
});
