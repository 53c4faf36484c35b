import { SchedulerRegistry } from '@nestjs/schedule';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { EventIngestService } from '@tallyhouse/ingest';
import { HealthService } from '@tallyhouse/observability';
import { ROLLUP_CRON_JOB, RollupJob, RollupReader, RollupScheduler, type RollupRunSummary } from '@tallyhouse/rollups';
import { asItems, EventFactory, localDayEdges, type RollupEvent } from './support/rollup-data';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

// Home zones: UTC, a DST zone (America/New_York: 2024-03-10 is 23 h), +05:45,
// a southern-hemisphere +09:30/+10:30 (DST ends 2024-04-07, a 25 h day), and a
// 30-minute DST shift. r-norow has events but no tenants row: UTC.
const HOMES: Record<string, string> = {
  'r-utc': 'UTC',
  'r-ny': 'America/New_York',
  'r-ktm': 'Asia/Kathmandu',
  'r-adl': 'Australia/Adelaide',
  'r-lhw': 'Australia/Lord_Howe',
};
const TENANTS = [...Object.keys(HOMES), 'r-norow'];
const ZONES = ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Australia/Adelaide', 'Australia/Lord_Howe'];
const homeOf = (t: string) => HOMES[t] ?? 'UTC';
const EDGE_DAYS = [
  '2024-02-29',
  '2024-03-01',
  '2024-03-09',
  '2024-03-10',
  '2024-03-11',
  '2024-03-31',
  '2024-04-01',
  '2024-04-06',
  '2024-04-07',
  '2024-04-08',
];
const DATA_FROM = Date.UTC(2024, 1, 18);
const DATA_TO = Date.UTC(2024, 3, 22);
/** Early April: March is closed everywhere, April is not. */
const NOW_EARLY = new Date('2024-04-10T12:00:00Z');
/** Everything is closed. */
const NOW = new Date('2024-05-10T00:00:00Z');

type Grain = 'day' | 'month';
type Row = Record<string, string>;

describe('rollup job (daily/monthly summaries in home zones)', () => {
  let wh: TestWarehouse;
  let ch: ClickHouseService;
  let job: RollupJob;
  let ingest: EventIngestService;
  const data = new EventFactory(20240310);
  let total = 0;

  const load = async (events: RollupEvent[]) => {
    for (let i = 0; i < events.length; i += 5_000) {
      const report = await ingest.ingest(asItems(events.slice(i, i + 5_000)), 'test');
      expect(report.rejected).toBe(0);
      total += report.accepted;
    }
  };
  const q = (sql: string, params: Record<string, unknown> = {}) => ch.query<Row>(sql, { tag: 'test', params });
  const lines = (rows: Row[]) => rows.map((r) => Object.values(r).join('|')).sort();
  const tenantsIn = (tz: string) => TENANTS.filter((t) => homeOf(t) === tz);

  // Per (tenant, type, period) and per (tenant, period) over all types (bitmaps merged across dimensions).
  const keyOf = (byType: boolean) => (byType ? 'type' : `'*'`);
  const raw = (tz: string, grain: Grain, from: string, to: string, byType: boolean, tenants = TENANTS) =>
    q(
      `SELECT toString(tenant_id) AS t, ${keyOf(byType)} AS k, toString(${grain === 'day' ? 'd' : 'toStartOfMonth(d)'}) AS p,
              toString(count()) AS n, toString(uniqExactIf(contact_id, contact_id != '')) AS u, toString(sum(value)) AS v
       FROM (SELECT *, toDate(occurred_at, {tz:String}) AS d FROM events)
       WHERE d >= {from:Date} AND d < {to:Date} AND tenant_id IN {tenants:Array(String)}
       GROUP BY t, k, p`,
      { tz, from, to, tenants },
    );
  const from15m = (tz: string, grain: Grain, from: string, to: string, byType: boolean) =>
    q(
      `SELECT toString(tenant_id) AS t, ${keyOf(byType)} AS k, toString(${grain === 'day' ? 'd' : 'toStartOfMonth(d)'}) AS p,
              toString(sum(events)) AS n, toString(groupBitmapMerge(contacts)) AS u, toString(sum(value)) AS v
       FROM (SELECT *, toDate(bucket, {tz:String}) AS d FROM rollup_15m
             WHERE bucket >= toDateTime({from:Date}, {tz:String}) AND bucket < toDateTime({to:Date}, {tz:String}))
       GROUP BY t, k, p`,
      { tz, from, to },
    );
  const summary = (tz: string, grain: Grain, from: string, to: string, byType: boolean) =>
    q(
      `SELECT toString(tenant_id) AS t, ${keyOf(byType)} AS k, toString(${grain}) AS p,
              toString(sum(events)) AS n, toString(groupBitmapMerge(contacts)) AS u, toString(sum(value)) AS v
       FROM ${grain === 'day' ? 'rollup_daily' : 'rollup_monthly'} FINAL
       WHERE time_zone = {tz:String} AND tenant_id IN {tenants:Array(String)} AND ${grain} >= {from:Date} AND ${grain} < {to:Date}
       GROUP BY t, k, p`,
      { tz, from, to, tenants: tenantsIn(tz) },
    );
  /** Summaries of every home zone against a raw recomputation. */
  const expectSummariesMatchRaw = async () => {
    for (const tz of ZONES) {
      for (const byType of [true, false]) {
        expect(lines(await summary(tz, 'day', '2024-01-01', '2024-06-01', byType))).toEqual(
          lines(await raw(tz, 'day', '2024-01-01', '2024-06-01', byType, tenantsIn(tz))),
        );
        expect(lines(await summary(tz, 'month', '2024-01-01', '2024-06-01', byType))).toEqual(
          lines(await raw(tz, 'month', '2024-01-01', '2024-06-01', byType, tenantsIn(tz))),
        );
      }
    }
  };
  const snapshot = async () => ({
    daily: lines(await q(`SELECT * EXCEPT (contacts), toString(bitmapToArray(contacts)) AS c FROM rollup_daily FINAL`)),
    monthly: lines(
      await q(`SELECT * EXCEPT (contacts), toString(bitmapToArray(contacts)) AS c FROM rollup_monthly FINAL`),
    ),
    builds: lines(await q(`SELECT * FROM rollup_builds FINAL`)),
    watermarks: lines(await q(`SELECT * FROM rollup_watermarks FINAL`)),
  });
  const tenantSummary = (s: RollupRunSummary, t: string) => s.tenants.find((x) => x.tenant_id === t)!;

  beforeAll(async () => {
    wh = await startTestWarehouse();
    ch = wh.ch;
    job = wh.app.get(RollupJob);
    // Tests run right after ingesting: trust arrivals at once (see RollupJob.settleMs).
    job.settleMs = 0;
    ingest = wh.app.get(EventIngestService, { strict: false });
    await ch.insertRows(
      'tenants',
      Object.entries(HOMES).map(([tenant_id, time_zone]) => ({ tenant_id, name: tenant_id, time_zone })),
      { tag: 'test:tenants' },
    );
    const events = data.uniform(TENANTS, 30_000, DATA_FROM, DATA_TO, 600);
    // Exactly local midnight and the last millisecond of local days, in every zone, for every tenant.
    for (const tz of ZONES) {
      for (const ms of await localDayEdges(ch, tz, EDGE_DAYS)) {
        for (const t of TENANTS) events.push(data.event(t, ms, 600));
      }
    }
    await load(events);
  }, 300_000);

  afterAll(async () => {
    await wh?.close();
  });

  it('loaded the data set through the ingest pipeline', async () => {
    const [row] = await q(`SELECT toString(count()) AS n FROM events`);
    expect(Number(row.n)).toBe(total);
    expect(total).toBeGreaterThan(30_000);
  });

  it('builds closed local days and months only, and sets watermarks at their end', async () => {
    const s = await job.runRange({ now: NOW_EARLY });
    expect(s.tenants.map((t) => t.tenant_id).sort()).toEqual([...TENANTS].sort());
    for (const t of s.tenants) {
      expect(t.time_zone).toBe(homeOf(t.tenant_id));
      expect(t.days.at(-1)).toBe('2024-04-09');
      expect(t.months).toEqual(['2024-02-01', '2024-03-01']);
    }
    expect(tenantSummary(s, 'r-ny').watermarks).toEqual({
      rollup_daily: '2024-04-10T04:00:00.000Z',
      rollup_monthly: '2024-04-01T04:00:00.000Z',
    });
    expect(tenantSummary(s, 'r-ktm').watermarks).toEqual({
      rollup_daily: '2024-04-09T18:15:00.000Z',
      rollup_monthly: '2024-03-31T18:15:00.000Z',
    });
    expect(tenantSummary(s, 'r-adl').watermarks).toEqual({
      rollup_daily: '2024-04-09T14:30:00.000Z',
      rollup_monthly: '2024-03-31T13:30:00.000Z',
    });
    expect(tenantSummary(s, 'r-utc').watermarks).toEqual({
      rollup_daily: '2024-04-10T00:00:00.000Z',
      rollup_monthly: '2024-04-01T00:00:00.000Z',
    });
    // March in New York has the 23-hour day: 31 days, one row set each.
    const [march] = await q(
      `SELECT toString(uniqExact(day)) AS n FROM rollup_daily FINAL WHERE tenant_id = 'r-ny' AND toStartOfMonth(day) = '2024-03-01'`,
    );
    expect(march.n).toBe('31');
  });

  it('builds the rest once closed; summaries equal a raw recomputation in every home zone', async () => {
    const s = await job.runRange({ now: NOW });
    for (const t of s.tenants) {
      expect(t.days[0]).toBe('2024-04-10');
      expect(t.months).toEqual(['2024-04-01']);
    }
    expect(tenantSummary(s, 'r-ny').watermarks).toEqual({
      rollup_daily: '2024-05-09T04:00:00.000Z',
      rollup_monthly: '2024-05-01T04:00:00.000Z',
    });
    expect(tenantSummary(s, 'r-lhw').watermarks.rollup_daily).toBe('2024-05-09T13:30:00.000Z'); // +10:30 in May (+11:00 in DST)
    await expectSummariesMatchRaw();
  });

  it('regroups rollup_15m exactly into local days and months of any zone, over random ranges', async () => {
    const days = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    for (const tz of ZONES) {
      for (let i = 0; i < 3; i++) {
        const a = DATA_FROM - 2 * 86_400_000 + Math.floor(data.rand() * 60) * 86_400_000;
        const b = a + (1 + Math.floor(data.rand() * 20)) * 86_400_000;
        for (const byType of [true, false]) {
          expect(lines(await from15m(tz, 'day', days(a), days(b), byType))).toEqual(
            lines(await raw(tz, 'day', days(a), days(b), byType)),
          );
        }
      }
      for (const byType of [true, false]) {
        expect(lines(await from15m(tz, 'month', '2024-02-01', '2024-05-01', byType))).toEqual(
          lines(await raw(tz, 'month', '2024-02-01', '2024-05-01', byType)),
        );
      }
    }
    // The DST days really are 23 and 25 hours long and hold the edge events.
    const [ny] = await q(
      `SELECT toString(count()) AS n FROM events WHERE tenant_id = 'r-ny' AND toDate(occurred_at, 'America/New_York') = '2024-03-10'`,
    );
    const [nyDaily] = await q(
      `SELECT toString(sum(events)) AS n FROM rollup_daily FINAL WHERE tenant_id = 'r-ny' AND day = '2024-03-10'`,
    );
    expect(nyDaily.n).toBe(ny.n);
  });

  it('changes nothing when run again, or twice at once', async () => {
    const before = await snapshot();
    const again = await job.runRange({ now: NOW });
    expect(again.tenants.flatMap((t) => [...t.days, ...t.months])).toEqual([]);
    await Promise.all([job.runRange({ now: NOW }), job.runRange({ now: NOW })]);
    expect(await snapshot()).toEqual(before);
  });

  it('restates a closed day and its month after late events, also from two runs at once', async () => {
    const edges = await localDayEdges(ch, 'America/New_York', ['2024-03-10']);
    const late = [
      ...data.uniform(['r-ktm'], 400, Date.UTC(2024, 2, 15, 3), Date.UTC(2024, 2, 15, 9), 2_000),
      ...edges.map((ms) => data.event('r-ny', ms, 2_000)),
      ...data.uniform(['r-ny'], 200, edges[0], edges[1], 2_000),
    ];
    await load(late);
    const [a, b] = await Promise.all([job.runRange({ now: NOW }), job.runRange({ now: NOW })]);
    // Either run may find the other's build already recorded; together they restate exactly these periods.
    const union = (t: string, k: 'days' | 'months') => [
      ...new Set([...tenantSummary(a, t)[k], ...tenantSummary(b, t)[k]]),
    ];
    expect(union('r-ktm', 'days')).toEqual(['2024-03-15']);
    expect(union('r-ktm', 'months')).toEqual(['2024-03-01']);
    expect(union('r-ny', 'days')).toEqual(['2024-03-10']);
    expect(union('r-ny', 'months')).toEqual(['2024-03-01']);
    expect(union('r-utc', 'days')).toEqual([]);
    for (const s of [a, b]) expect(tenantSummary(s, 'r-ny').watermarks.rollup_daily).toBe('2024-05-09T04:00:00.000Z');
    await expectSummariesMatchRaw();
    const after = await job.runRange({ now: NOW });
    expect(after.tenants.flatMap((t) => [...t.days, ...t.months])).toEqual([]);
  });

  it('holds the watermark at a stale day until a run covers it', async () => {
    await load(data.uniform(['r-adl'], 50, Date.UTC(2024, 3, 6, 14), Date.UTC(2024, 3, 7, 14), 600)); // inside local 2024-04-07 (25 h)
    const partial = await job.runRange({ tenant: 'r-adl', from: new Date('2024-04-20T00:00:00Z'), now: NOW });
    expect(partial.tenants).toHaveLength(1);
    expect(partial.tenants[0].days).toEqual([]);
    expect(partial.tenants[0].watermarks).toEqual({
      rollup_daily: '2024-04-06T13:30:00.000Z',
      rollup_monthly: '2024-03-31T13:30:00.000Z',
    });
    const reader = wh.app.get(RollupReader);
    expect((await reader.completeAsOf('r-adl')).complete_as_of).toBe('2024-03-31T13:30:00.000Z');

    const full = await job.runRange({ tenant: 'r-adl', now: NOW });
    expect(full.tenants[0].days).toEqual(['2024-04-07']);
    expect(full.tenants[0].months).toEqual(['2024-04-01']);
    expect(full.tenants[0].watermarks).toEqual({
      rollup_daily: '2024-05-09T14:30:00.000Z',
      rollup_monthly: '2024-04-30T14:30:00.000Z',
    });
    await expectSummariesMatchRaw();
  });

  it('rebuilds recent arrivals once more while they may not be settled', async () => {
    await load(data.uniform(['r-utc'], 10, Date.UTC(2024, 1, 20), Date.UTC(2024, 1, 20, 6), 600));
    job.settleMs = 3_600_000;
    try {
      expect(tenantSummary(await job.runRange({ now: NOW }), 'r-utc').days).toEqual(['2024-02-20']);
      expect(tenantSummary(await job.runRange({ now: NOW }), 'r-utc').days).toEqual(['2024-02-20']);
    } finally {
      job.settleMs = 0;
    }
    expect(tenantSummary(await job.runRange({ now: NOW }), 'r-utc').days).toEqual(['2024-02-20']);
    expect(tenantSummary(await job.runRange({ now: NOW }), 'r-utc').days).toEqual([]);
  });

  it('uses UTC for a tenant without a tenants row', async () => {
    const s = await job.runRange({ tenant: 'r-norow', now: NOW });
    expect(s.tenants[0].time_zone).toBe('UTC');
    const zones = await q(`SELECT DISTINCT time_zone FROM rollup_daily FINAL WHERE tenant_id = 'r-norow'`);
    expect(zones).toEqual([{ time_zone: 'UTC' }]);
    const [w] = await wh.app.get(RollupReader).watermarks('r-norow');
    expect(w).toMatchObject({ time_zone: 'UTC', complete_until: '2024-05-09T00:00:00.000Z' });
  });

  it('reports watermarks and the latest arrival on /health', async () => {
    const report = await wh.app.get(HealthService).report();
    const rollups = report.checks.rollups as {
      ok: boolean;
      watermarks: unknown[];
      rollup_15m_last_ingested_at: string;
    };
    expect(rollups.ok).toBe(true);
    expect(rollups.watermarks).toHaveLength(TENANTS.length * 2);
    expect(rollups.watermarks).toContainEqual({
      tenant_id: 'r-ktm',
      table_name: 'rollup_monthly',
      time_zone: 'Asia/Kathmandu',
      complete_until: '2024-04-30T18:15:00.000Z',
    });
    expect(Date.parse(rollups.rollup_15m_last_ingested_at)).toBeGreaterThan(Date.now() - 3_600_000);
  });

  it('skips a scheduler tick while a run is in progress', async () => {
    const scheduler = wh.app.get(RollupScheduler);
    const first = scheduler.tick();
    expect(scheduler.isRunning).toBe(true);
    await scheduler.tick(); // returns at once: skipped
    expect(scheduler.isRunning).toBe(true);
    await first;
    expect(scheduler.isRunning).toBe(false);
  });

  it('registers the cron job on SchedulerRegistry when ROLLUP_SCHEDULER is on, and removes it on shutdown', async () => {
    const registry = new SchedulerRegistry();
    const config = Object.assign(new AppConfig(), { ROLLUP_SCHEDULER: true, ROLLUP_CRON: '0 3 * * *' });
    const scheduler = new RollupScheduler(job, config, registry);
    scheduler.onApplicationBootstrap();
    const cron = registry.getCronJob(ROLLUP_CRON_JOB);
    expect(cron.isActive).toBe(true);
    expect(cron.nextDate().toUTC().hour).toBe(3);
    await scheduler.onApplicationShutdown();
    expect(registry.doesExist('cron', ROLLUP_CRON_JOB)).toBe(false);
  });
});
