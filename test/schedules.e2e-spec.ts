import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ScheduleRunner, ScheduleTicker, type Schedule, type ScheduleRun } from '@tallyhouse/schedule';
import { ScheduleStore } from '../libs/schedule/src/schedule.store';
import { verifyWebhookSignature } from '../libs/schedule/src/delivery';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Scheduled delivery against real receivers: an SMTP server and an HTTP
 * webhook in this process, a folder on disk. A run delivers to all three; a
 * failing target is retried, then the run is failed, visible in the API and
 * on /metrics, and the owner is told; missed ticks run once; two runners
 * never send the same run.
 */
const TENANT = 'schedule-test';
const SECRET = 'webhook-secret-123';

interface Mail {
  to: string[];
  raw: string;
}
interface Hook {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const mails: Mail[] = [];
const hooks: Hook[] = [];
let failingHookCalls = 0;
let flakyHookCalls = 0;
const flakyDeliveries: Hook[] = [];
let smtp: SMTPServer;
let hookServer: Server;
let hookUrl: string;
let wh: TestWarehouse;
let folder: string;
const http = () => wh.http();

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/flaky') {
        // Down for two requests, then up.
        if (++flakyHookCalls <= 2) {
          res.writeHead(503).end('warming up');
          return;
        }
        flakyDeliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end('ok');
        return;
      }
      if (req.url === '/failing') {
        failingHookCalls++;
        res.writeHead(500).end('receiver is down');
        return;
      }
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;

  folder = mkdtempSync(join(tmpdir(), 'tallyhouse-deliveries-'));
  wh = await startTestWarehouse({
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    DELIVERY_ATTEMPTS: '3',
    DELIVERY_BASE_DELAY_MS: '5',
    PUBLIC_URL: 'http://reports.example',
    // The folder and the receivers of this test, which delivery may reach only when configured.
    DELIVERY_FOLDER_ROOTS: folder,
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    SCHEDULES_MAX_PER_TENANT: '12',
  });
  wh.app.get(ScheduleRunner).claimSettleMs = 0;
  const events = Array.from({ length: 200 }, (_, i) => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    // The 66 days before now: whatever today is, the last full month has events.
    occurred_at: new Date(Date.now() - (i + 1) * 8 * 3_600_000).toISOString(),
    type: 'user.login',
    contact_id: `s${i % 37}`,
  }));
  const res = await http().post('/v1/events').send(events);
  expect(res.body).toMatchObject({ accepted: events.length });
}, 60_000);

afterAll(async () => {
  await wh?.close();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await new Promise<void>((resolve) => hookServer?.close(() => resolve()));
  rmSync(folder, { recursive: true, force: true });
});

const schedule = (extra: object = {}) => ({
  name: 'Monthly sign-ins',
  report: 'district-sign-ins',
  params: { tenant: TENANT, interval: 'week' },
  range: 'last_full_month',
  cron: '0 6 1 * *',
  time_zone: 'Europe/Berlin',
  format: 'xlsx',
  targets: [
    { type: 'folder', path: folder },
    { type: 'email', to: ['board@district.example'] },
    { type: 'webhook', url: `${hookUrl}/hook`, secret: SECRET },
  ],
  owner_email: 'owner@district.example',
  ...extra,
});

describe('schedules', () => {
  let monthly: Schedule;

  it('creates a schedule, shows its next run and hides the webhook secret', async () => {
    const res = await http().post('/v1/schedules').send(schedule());
    expect(res.status).toBe(201);
    monthly = res.body;
    expect(monthly).toMatchObject({ tenant: TENANT, cron: '0 6 1 * *', time_zone: 'Europe/Berlin', enabled: true });
    expect(monthly.next_run_at).toMatch(/^\d{4}-\d{2}-01T05:00:00.000Z$/); // 06:00 in Berlin, winter
    expect(JSON.stringify(monthly)).not.toContain(SECRET);
    const list = await http().get(`/v1/schedules?tenant=${TENANT}`);
    expect(list.body.schedules.map((s: Schedule) => s.id)).toContain(monthly.id);
  });

  it('run now delivers to a folder, by email with the file attached, and to a signed webhook', async () => {
    const res = await http().post(`/v1/schedules/${monthly.id}/run`);
    expect(res.status).toBe(201);
    const run: ScheduleRun = res.body;
    expect(run).toMatchObject({ status: 'delivered', trigger: 'manual', error: '' });
    expect(run.rows).toBeGreaterThan(0);
    expect(run.targets.map((t) => [t.ok, t.attempts])).toEqual([
      [true, 1],
      [true, 1],
      [true, 1],
    ]);

    const files = readdirSync(folder);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^district-sign-ins-\d{4}-\d{2}-01\.xlsx$/);

    const mail = mails.find((m) => m.to.includes('board@district.example'))!;
    expect(mail.raw).toMatch(/Monthly sign-ins/);
    expect(mail.raw).toMatch(/filename="?district-sign-ins-/);

    const hook = hooks.at(-1)!;
    expect(hook.body.subarray(0, 2).toString()).toBe('PK'); // the xlsx itself
    expect(hook.headers['x-tallyhouse-sha256']).toBe(run.sha256);
    const ts = String(hook.headers['x-tallyhouse-timestamp']);
    const sig = String(hook.headers['x-tallyhouse-signature']);
    expect(verifyWebhookSignature(SECRET, ts, hook.body, sig)).toBe(true);
    expect(verifyWebhookSignature('another secret', ts, hook.body, sig)).toBe(false);

    const runs = (await http().get(`/v1/schedules/${monthly.id}/runs`)).body.runs as ScheduleRun[];
    expect(runs[0]).toMatchObject({ id: run.id, status: 'delivered' });
  });

  it('runs a missed tick once after start, for the period of that tick, and not again', async () => {
    const ticker = wh.app.get(ScheduleTicker);
    // Down through the December and January ticks; back on 2027-01-03.
    expect(await ticker.tick(new Date('2027-01-03T10:00:00Z'))).toBe(1);
    expect(await ticker.tick(new Date('2027-01-03T10:00:30Z'))).toBe(0);
    const runs = (await http().get(`/v1/schedules/${monthly.id}/runs`)).body.runs as ScheduleRun[];
    const catchUp = runs.find((r) => r.trigger === 'catch-up')!;
    expect(catchUp).toMatchObject({
      scheduled_for: '2027-01-01T05:00:00.000Z',
      from: '2026-12-01',
      to: '2027-01-01',
      status: 'delivered',
    });
    expect(runs.filter((r) => r.trigger !== 'manual')).toHaveLength(1);
  });

  it('two runners claiming the same tick deliver it once', async () => {
    const first = wh.app.get(ScheduleRunner);
    const second = Object.create(first) as ScheduleRunner; // the same services, another runner id
    Object.defineProperty(second, 'runner', { value: `other-process:${randomUUID()}` });
    const record = await (first as unknown as { store: { schedule(id: string): Promise<unknown> } }).store.schedule(
      monthly.id,
    );
    const before = hooks.length;
    const tick = new Date('2027-02-01T05:00:00Z');
    const results = await Promise.all([
      first.run(record as never, tick, 'cron'),
      second.run(record as never, tick, 'cron'),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(hooks.length - before).toBe(1);
  });

  it('a receiver that fails twice then answers gets one delivery, and the run shows the retries', async () => {
    const created = await http()
      .post('/v1/schedules')
      .send(schedule({ name: 'Flaky hook', targets: [{ type: 'webhook', url: `${hookUrl}/flaky`, secret: SECRET }] }));
    const run: ScheduleRun = (await http().post(`/v1/schedules/${created.body.id}/run`)).body;
    expect(run).toMatchObject({ status: 'delivered', error: '' });
    expect(flakyHookCalls).toBe(3);
    expect(flakyDeliveries).toHaveLength(1);
    expect(flakyDeliveries[0].headers['x-tallyhouse-run']).toBe(run.id);
    const [history] = (await http().get(`/v1/schedules/${created.body.id}/runs`)).body.runs as ScheduleRun[];
    expect(history.targets).toHaveLength(1);
    expect(history.targets[0]).toMatchObject({ ok: true, attempts: 3, mode: 'body' });
    expect(history.targets[0].retries?.map((r) => [r.attempt, /503/.test(r.error)])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('a failing target is retried, then the run is failed, visible, counted, and the owner is told', async () => {
    const created = await http()
      .post('/v1/schedules')
      .send(schedule({ name: 'Broken hook', targets: [{ type: 'webhook', url: `${hookUrl}/failing` }] }));
    const mailsBefore = mails.length;
    const run: ScheduleRun = (await http().post(`/v1/schedules/${created.body.id}/run`)).body;
    expect(run.status).toBe('failed');
    expect(run.targets[0]).toMatchObject({ ok: false, attempts: 3 });
    expect(run.targets[0].retries).toHaveLength(2);
    expect(run.error).toMatch(/500/);
    expect(failingHookCalls).toBe(3);
    const runs = (await http().get(`/v1/schedules/${created.body.id}/runs`)).body.runs as ScheduleRun[];
    expect(runs[0]).toMatchObject({ status: 'failed' });
    const metrics = (await http().get('/metrics')).text;
    expect(metrics).toMatch(/tallyhouse_schedule_runs_total\{status="failed"\} [1-9]/);
    expect(metrics).toContain(`tallyhouse_schedule_failing{schedule="${created.body.id}"} 1`);
    const notice = mails.slice(mailsBefore).find((m) => m.to.includes('owner@district.example'));
    expect(notice?.raw).toMatch(/Broken hook/);
  });

  it('serves a run file through its signed link only', async () => {
    const runs = (await http().get(`/v1/schedules/${monthly.id}/runs`)).body.runs as ScheduleRun[];
    const runner = wh.app.get(ScheduleRunner);
    const path = `/v1/schedules/runs/${encodeURIComponent(runs[0].id)}/file`;
    const link = runner.links.sign(path, new Date(Date.now() + 60_000));
    const ok = await http().get(link);
    expect(ok.status).toBe(200);
    // One character of the signature changed (to another one: a '0' stays a '0' otherwise, 1 time in 16).
    const tampered = link.replace(/signature=(.)/, (_, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect(tampered).not.toBe(link);
    expect((await http().get(tampered)).status).toBe(403);
    expect((await http().get(runner.links.sign(path, new Date(Date.now() - 1000)))).status).toBe(403);
  });

  it('refuses targets outside the delivery roots and non-public webhooks when made, storing nothing', async () => {
    const before = (await http().get(`/v1/schedules?tenant=${TENANT}`).expect(200)).body.schedules.length;
    for (const [target, message] of [
      [{ type: 'folder', path: '/etc' }, /targets\[0\]\.path must be a folder inside a delivery root/],
      [{ type: 'folder', path: `${folder}/../escaped` }, /targets\[0\]\.path must be a folder inside a delivery root/],
      [{ type: 'folder', path: wh.dataDir }, /targets\[0\]\.path must be a folder inside a delivery root/],
      [{ type: 'webhook', url: 'http://169.254.169.254/latest/meta-data/' }, /link-local \(or cloud metadata\)/],
      [{ type: 'webhook', url: 'http://[::ffff:10.0.0.1]/in' }, /private address/],
      [{ type: 'webhook', url: `${hookUrl.replace('//', '//user:pw@')}/hook` }, /must not carry credentials/],
    ] as [object, RegExp][]) {
      const res = await http()
        .post('/v1/schedules')
        .send(schedule({ targets: [target] }));
      expect({ status: res.status, field: res.body.field }).toEqual({ status: 400, field: 'targets[0]' });
      expect(res.body.message).toMatch(message);
    }
    expect((await http().get(`/v1/schedules?tenant=${TENANT}`)).body.schedules).toHaveLength(before);
    expect(existsSync(join(folder, '..', 'escaped'))).toBe(false);
  });

  it('never shows nor uses credentials of a webhook URL stored before they were refused', async () => {
    // As a schedule made by an earlier version was stored: the URL carrying user:password@.
    const made = (
      await http()
        .post('/v1/schedules')
        .send(schedule({ name: 'legacy hook' }))
        .expect(201)
    ).body;
    const store = wh.app.get(ScheduleStore);
    const record = (await store.schedule(made.id))!;
    const legacyUrl = `${hookUrl.replace('//', '//hook:s3cr3t-pw@')}/hook`;
    await store.saveSchedule({ ...record, targets: JSON.stringify([{ type: 'webhook', url: legacyUrl }]) });
    const shown = (await http().get(`/v1/schedules/${made.id}`).expect(200)).body;
    expect(JSON.stringify(shown)).not.toContain('s3cr3t-pw');
    expect(shown.targets[0].url).toBe(`${hookUrl}/hook`);
    const calls = hooks.length;
    const run = (await http().post(`/v1/schedules/${made.id}/run`).expect(201)).body as ScheduleRun;
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.targets[0]).toMatchObject({ ok: false, attempts: 0 });
    expect(run.targets[0].error).toMatch(/must not carry credentials/);
    expect(JSON.stringify(run)).not.toContain('s3cr3t-pw');
    expect(hooks.length).toBe(calls);
    await http().delete(`/v1/schedules/${made.id}`).expect(204);
  });

  it('caps the schedules of a tenant (409), counting only the ones not deleted', async () => {
    const have = (await http().get(`/v1/schedules?tenant=${TENANT}`).expect(200)).body.schedules.length;
    const made: string[] = [];
    for (let i = have; i < 12; i++) {
      made.push(
        (
          await http()
            .post('/v1/schedules')
            .send(schedule({ name: `cap ${i}` }))
            .expect(201)
        ).body.id,
      );
    }
    const over = await http()
      .post('/v1/schedules')
      .send(schedule({ name: 'one too many' }))
      .expect(409);
    expect(over.body.message).toMatch(/has 12 schedules, the most allowed \(SCHEDULES_MAX_PER_TENANT\)/);
    for (const id of made) await http().delete(`/v1/schedules/${id}`).expect(204);
    await http()
      .post('/v1/schedules')
      .send(schedule({ name: 'after deleting' }))
      .expect(201);
  });

  it('refuses a bad schedule naming the field', async () => {
    for (const [body, field] of [
      [schedule({ cron: '61 * * * *' }), 'cron'],
      [schedule({ time_zone: 'Mars/Olympus' }), 'time_zone'],
      [schedule({ range: 'last_decade' }), 'range'],
      [schedule({ targets: [{ type: 'webhook', url: 'ftp://x.example' }] }), 'targets[0]'],
      [schedule({ cron: '* * * * * *' }), 'cron'],
      [schedule({ targets: [] }), 'targets'],
      [schedule({ params: { tenant: TENANT, from: '2026-01-01' } }), 'params'],
      [schedule({ report: 'nope' }), 'report'],
      [schedule({ owner_email: 'not-an-address' }), 'owner_email'],
    ] as [object, string][]) {
      const res = await http().post('/v1/schedules').send(body);
      expect({ field, status: res.status, got: String(res.body.field).replace(/\..*$/, '') }).toEqual({
        field,
        status: 400,
        got: field,
      });
    }
  });
});
