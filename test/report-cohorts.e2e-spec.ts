import { randomUUID } from 'node:crypto';
import { ReportParams, ReportService } from '@tallyhouse/reports';
import { RollupJob } from '@tallyhouse/rollups';
import { activitySource } from '../libs/reports/src/activity-source';
import { resolveRange } from '../libs/reports/src/report-range';
import { localMidnight, localPeriod } from './support/local-time';
import { loadedWarehouse, seeded } from './support/report-fixture';
import { onBothPaths } from './support/report-paths';

/** cohorts against a plain TypeScript computation over the generated events. */
interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
}

const TENANT = 'cohort-test';
const PASSIVE = ['message.sent', 'message.delivered', 'message.bounced'];

function generate(): Ev[] {
  const rnd = seeded(5);
  const events: Ev[] = [];
  const ev = (ms: number, type: string, contact: string): Ev => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    occurred_at: new Date(ms).toISOString(),
    type,
    contact_id: contact,
  });
  const start = Date.UTC(2026, 5, 1); // June - November 2026
  const span = 170 * 86_400_000;
  for (let c = 0; c < 400; c++) {
    const contact = `k${c}`;
    const joined = start + Math.floor(rnd() * span * 0.8);
    // Some contacts were seen (a message sent to them) before they registered, some long before the range.
    if (c % 4 === 0) events.push(ev(joined - Math.floor(rnd() * 200 * 86_400_000), 'message.sent', contact));
    events.push(ev(joined, 'user.registered', contact));
    // Some register again later (an app reinstalled), some long before the range too: the first counts.
    if (c % 7 === 0) events.push(ev(joined + Math.floor(rnd() * 60 * 86_400_000), 'user.registered', contact));
    if (c % 11 === 0) events.push(ev(joined - 200 * 86_400_000, 'user.registered', contact));
    const later = Math.floor(rnd() * 8);
    for (let i = 0; i < later; i++) {
      const t = joined + Math.floor(rnd() * (start + span - joined));
      events.push(ev(t, rnd() < 0.6 ? 'user.login' : rnd() < 0.5 ? 'message.delivered' : 'message.clicked', contact));
    }
  }
  return events;
}

function expected(
  events: Ev[],
  tz: string,
  from: string,
  to: string,
  interval: 'week' | 'month',
  cohortBy: 'registered' | 'first_seen',
) {
  const lo = localMidnight(from, tz);
  const hi = localMidnight(to, tz);
  const period = (ms: number) => localPeriod(ms, tz, interval);
  const periods = new Set<string>();
  const cohorts = new Map<string, Set<string>>();
  const active = new Map<string, Set<string>>();
  // A contact joins once: at its first event (first_seen) or its first registration (registered).
  const firstSeen = new Map<string, number>();
  const firstRegistered = new Map<string, number>();
  for (const e of events) {
    const ms = Date.parse(e.occurred_at);
    firstSeen.set(e.contact_id, Math.min(firstSeen.get(e.contact_id) ?? Infinity, ms));
    if (e.type === 'user.registered') {
      firstRegistered.set(e.contact_id, Math.min(firstRegistered.get(e.contact_id) ?? Infinity, ms));
    }
  }
  const add = (m: Map<string, Set<string>>, k: string, v: string) => m.set(k, (m.get(k) ?? new Set()).add(v));
  for (const e of events) {
    const ms = Date.parse(e.occurred_at);
    if (ms < lo || ms >= hi) continue;
    periods.add(period(ms));
    if (!PASSIVE.includes(e.type)) add(active, period(ms), e.contact_id);
  }
  for (const [contact, ms] of cohortBy === 'first_seen' ? firstSeen : firstRegistered) {
    if (ms >= lo && ms < hi) add(cohorts, period(ms), contact);
  }
  const rows: { cohort: string; cohort_size: number; period: string; active: number }[] = [];
  for (const cohort of [...cohorts.keys()].sort()) {
    const members = cohorts.get(cohort)!;
    for (const p of [...periods].sort()) {
      if (p < cohort) continue;
      const act = [...members].filter((m) => active.get(p)?.has(m)).length;
      rows.push({ cohort, cohort_size: members.size, period: p, active: act });
    }
  }
  return rows;
}

const events = generate();
const ctx = loadedWarehouse(events, { homeZone: 'Europe/Berlin' });

describe('cohorts report', () => {
  it.each([
    ['America/New_York', 'month', 'registered'],
    ['Asia/Kathmandu', 'month', 'first_seen'],
    ['Europe/Berlin', 'week', 'registered'],
    ['UTC', 'week', 'first_seen'],
    ['Europe/Berlin', 'month', 'first_seen'],
  ] as const)(
    'in %s by %s, cohort by %s, equals the computation over raw events, from summaries and the fine rollups',
    async (tz, interval, cohortBy) => {
      const want = expected(events, tz, '2026-07-01', '2026-11-16', interval, cohortBy);
      expect(want.length).toBeGreaterThan(10);
      await onBothPaths(ctx.wh, async (path) => {
        const result = await ctx.wh.app
          .get(ReportService)
          .run('cohorts', { tenant: TENANT, tz, interval, cohort_by: cohortBy, from: '2026-07-01', to: '2026-11-16' });
        const got = result.rows.map(({ cohort, cohort_size, period, active }) => ({
          cohort,
          cohort_size,
          period,
          active,
        }));
        expect({ path, rows: got }).toEqual({ path, rows: want });
        // The triangle: share is active / size, and a cohort's first period counts from 0.
        for (const r of result.rows) expect(r.share).toBeCloseTo(Number(r.active) / Number(r.cohort_size), 4);
        expect(result.rows[0].periods_since).toBe(0);
      });
    },
  );

  it('rejects an unknown cohort_by with a 400 naming it', async () => {
    const res = await ctx.wh
      .http()
      .get(`/v1/reports/cohorts?tenant=${TENANT}&from=2026-07-01&to=2026-08-01&cohort_by=birthday`);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('cohort_by');
  });
});

describe('cohorts from the contact activity summaries (activity_daily, activity_monthly)', () => {
  const tz = 'Europe/Berlin'; // the tenant's home zone
  const [from, to] = ['2026-07-01', '2026-11-16'];
  const restate = async () => {
    const job = ctx.wh.app.get(RollupJob);
    job.settleMs = 0; // trust arrivals at once (the fixture's build waited the default 30 s)
    await job.runRange();
  };
  const source = (interval: 'week' | 'month') =>
    activitySource(
      ctx.wh.ch,
      Object.assign(new ReportParams(), { tenant: TENANT }),
      resolveRange({ tz, from, to }, { maxDays: 731 }),
      interval,
    );
  const expectEqual = async () => {
    for (const interval of ['week', 'month'] as const) {
      for (const cohortBy of ['registered', 'first_seen'] as const) {
        const result = await ctx.wh.app
          .get(ReportService)
          .run('cohorts', { tenant: TENANT, tz, interval, cohort_by: cohortBy, from, to });
        const got = result.rows.map(({ cohort, cohort_size, period, active }) => ({
          cohort,
          cohort_size,
          period,
          active,
        }));
        expect(got).toEqual(expected(events, tz, from, to, interval, cohortBy));
      }
    }
  };

  it('reads whole current months and days; a late event sends its day and month back until the job restates them', async () => {
    await restate();
    expect((await source('month')).months).toEqual(['2026-07-01', '2026-08-01', '2026-09-01', '2026-10-01']);
    expect((await source('week')).days.length).toBeGreaterThan(100);
    await expectEqual();

    // A contact's first login, late, in a summarised month: active there now.
    const late: Ev = {
      event_id: randomUUID(),
      tenant_id: TENANT,
      occurred_at: '2026-09-14T10:00:00.000Z',
      type: 'user.login',
      contact_id: events.find((e) => e.type === 'user.registered' && e.occurred_at < '2026-08-01')!.contact_id,
    };
    events.push(late);
    const res = await ctx.wh.http().post('/v1/events').send([late]);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await source('month')).months).not.toContain('2026-09-01');
    expect((await source('week')).days).not.toContain('2026-09-14');
    await expectEqual();

    await restate();
    expect((await source('month')).months).toContain('2026-09-01');
    await expectEqual();
  });
});
