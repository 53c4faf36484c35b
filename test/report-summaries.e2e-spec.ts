import { randomUUID } from 'node:crypto';
import { ReportParams, ReportService } from '@tallyhouse/reports';
import { RollupJob } from '@tallyhouse/rollups';
import { rollupSource } from '../libs/reports/src/rollup-source';
import { resolveRange } from '../libs/reports/src/report-range';
import { localPeriod } from './support/local-time';
import { seeded } from './support/report-fixture';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Rollup reports read whole local months from rollup_monthly and whole local
 * days from rollup_daily when those were built in the report's zone and are
 * current, and rollup_15m for the rest. Here in Asia/Kathmandu (UTC+05:45, so
 * local days do not start on a UTC hour): the figures equal a computation
 * over the events before and after late events, and the late days and months
 * go back to the 15-minute rollup until the job restates them.
 */
const TENANT = 'summaries-test';
const TZ = 'Asia/Kathmandu';
const FROM = '2026-09-01';
const TO = '2026-11-15';

interface Login {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: 'user.login';
  contact_id: string;
  platform: string;
}

function logins(seed: number, n: number, fromMs: number, toMs: number): Login[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, () => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    occurred_at: new Date(fromMs + Math.floor(rnd() * (toMs - fromMs))).toISOString(),
    type: 'user.login',
    contact_id: `u${Math.floor(rnd() * 150)}`,
    platform: rnd() < 0.5 ? 'ios' : 'android',
  }));
}

/** Distinct users and sign-ins per local period, from the events themselves. */
function expected(events: readonly Login[], interval: 'day' | 'week' | 'month') {
  const lo = Date.parse('2026-08-31T18:15:00Z'); // 2026-09-01 00:00 in Kathmandu
  const hi = Date.parse('2026-11-14T18:15:00Z'); // 2026-11-15 00:00
  const by = new Map<string, { users: Set<string>; sign_ins: number }>();
  for (const e of events) {
    const at = Date.parse(e.occurred_at);
    if (at < lo || at >= hi) continue;
    const period = localPeriod(at, TZ, interval);
    const p = by.get(period) ?? { users: new Set<string>(), sign_ins: 0 };
    p.users.add(e.contact_id);
    p.sign_ins++;
    by.set(period, p);
  }
  return [...by.entries()].sort().map(([period, p]) => ({ period, users: p.users.size, sign_ins: p.sign_ins }));
}

const onTime = logins(11, 3000, Date.UTC(2026, 7, 30), Date.UTC(2026, 10, 16));
const late = logins(12, 40, Date.UTC(2026, 9, 10), Date.UTC(2026, 9, 12));

let wh: TestWarehouse;
const send = async (events: Login[]) => {
  const res = await wh.http().post('/v1/events').send(events);
  expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
};
const signIns = (interval: string) =>
  wh.app.get(ReportService).run('district-sign-ins', { tenant: TENANT, tz: TZ, from: FROM, to: TO, interval });
const source = (interval: 'day' | 'month') =>
  rollupSource(
    wh.ch,
    Object.assign(new ReportParams(), { tenant: TENANT }),
    resolveRange({ from: FROM, to: TO, tz: TZ }, { maxDays: 731 }),
    interval,
    ['user.login'],
  );

beforeAll(async () => {
  wh = await startTestWarehouse();
  await wh.ch.insertRows('tenants', [{ tenant_id: TENANT, name: 'Summaries', time_zone: TZ }], { tag: 'test' });
  // Trust arrivals at once (in production the job waits 30 s for every view of an insert to be visible).
  wh.app.get(RollupJob).settleMs = 0;
  await send(onTime);
  await wh.app.get(RollupJob).runRange({ now: new Date('2026-11-20T00:00:00Z') });
}, 60_000);
afterAll(async () => wh?.close());

describe('reports served from the daily and monthly summaries', () => {
  it('read whole months and days from the summaries and equal the events', async () => {
    const months = await source('month');
    expect(months.months).toEqual(['2026-09-01', '2026-10-01']);
    // November 1-14: whole days of a month that is not whole in the range.
    expect(months.days).toHaveLength(14);
    const days = await source('day');
    expect(days.months).toEqual([]);
    expect(days.days).toHaveLength(75);
    for (const interval of ['day', 'week', 'month'] as const) {
      expect((await signIns(interval)).rows).toEqual(expected(onTime, interval));
    }
  });

  it('send days with late events back to the 15-minute rollup until the job restates them', async () => {
    await send(late);
    const months = await source('month');
    expect(months.months).toEqual(['2026-09-01']);
    const days = await source('day');
    expect(days.days).not.toContain('2026-10-10');
    expect(days.days).not.toContain('2026-10-11');
    expect(days.days).toContain('2026-10-09');
    for (const interval of ['day', 'week', 'month'] as const) {
      expect((await signIns(interval)).rows).toEqual(expected([...onTime, ...late], interval));
    }

    await wh.app.get(RollupJob).runRange({ now: new Date('2026-11-20T00:00:00Z') });
    expect((await source('month')).months).toEqual(['2026-09-01', '2026-10-01']);
    expect((await source('day')).days).toHaveLength(75);
    for (const interval of ['day', 'week', 'month'] as const) {
      expect((await signIns(interval)).rows).toEqual(expected([...onTime, ...late], interval));
    }
  });
});
