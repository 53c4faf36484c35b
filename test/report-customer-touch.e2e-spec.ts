import { randomUUID } from 'node:crypto';
import { ReportService } from '@tallyhouse/reports';
import { CustomerTouchParams, receivedPerContact } from '../libs/reports/src/customer-touch/customer-touch.report';
import { resolveRange } from '../libs/reports/src/report-range';
import { RollupJob } from '@tallyhouse/rollups';
import { localMidnight } from './support/local-time';
import { loadedWarehouse, seeded } from './support/report-fixture';
import { bothPathsAgree } from './support/report-paths';

/**
 * customer-touch against a plain TypeScript computation over the generated
 * events: per contact, how many message.delivered in the local range, in
 * total and per platform class; "none" = known contacts (any event before the
 * end) who received nothing.
 */
interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
  channel: string;
  platform: string;
}

const TENANT = 'touch-test';
const PLATFORMS = ['ios', 'android', 'web', 'huawei'];

function generate(): Ev[] {
  const rnd = seeded(11);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const start = Date.UTC(2026, 9, 20);
  const events: Ev[] = [];
  const ev = (ms: number, type: string, contact: string, channel: string, platform: string): Ev => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    occurred_at: new Date(ms).toISOString(),
    type,
    contact_id: contact,
    channel,
    platform,
  });
  for (let c = 0; c < 300; c++) {
    const contact = `p${c}`;
    // Most contacts have one platform; every seventh has two (counted in both segments).
    const platforms = c % 7 === 0 ? [pick(PLATFORMS), pick(PLATFORMS)] : [pick(PLATFORMS)];
    events.push(ev(start - 86_400_000 + c * 1000, 'user.registered', contact, 'web', platforms[0]));
    const deliveries = c % 5 === 0 ? 0 : Math.floor(rnd() * 14); // 0 … 13: "10+" is reached
    for (let d = 0; d < deliveries; d++) {
      const ms = start + Math.floor(rnd() * 20 * 86_400_000);
      events.push(ev(ms, 'message.delivered', contact, pick(['push', 'push', 'email']), pick(platforms)));
    }
  }
  // A contact first seen after the range is not "known" for it.
  events.push(ev(Date.UTC(2026, 10, 20), 'user.registered', 'late', 'web', 'ios'));
  // Deliveries at the edges of the Kathmandu range: the last millisecond in, the first out.
  const end = localMidnight('2026-11-05', 'Asia/Kathmandu');
  events.push(ev(end - 1, 'message.delivered', 'p1', 'push', 'ios'));
  events.push(ev(end, 'message.delivered', 'p1', 'push', 'ios'));
  return events;
}

function expected(events: Ev[], tz: string, from: string, to: string, messageTypes?: string[]) {
  const lo = localMidnight(from, tz);
  const hi = localMidnight(to, tz);
  const cls = (p: string) => (p === 'ios' || p === 'android' ? p : 'other');
  const known = new Map<string, Set<string>>([
    ['total', new Set()],
    ['ios', new Set()],
    ['android', new Set()],
    ['other', new Set()],
  ]);
  const counts = new Map<string, Map<string, number>>([
    ['total', new Map()],
    ['ios', new Map()],
    ['android', new Map()],
    ['other', new Map()],
  ]);
  for (const e of events) {
    const ms = Date.parse(e.occurred_at);
    if (ms < hi) {
      known.get('total')!.add(e.contact_id);
      known.get(cls(e.platform))!.add(e.contact_id);
    }
    if (e.type !== 'message.delivered' || ms < lo || ms >= hi) continue;
    if (messageTypes && !messageTypes.includes(e.channel)) continue;
    for (const seg of ['total', cls(e.platform)]) {
      const m = counts.get(seg)!;
      m.set(e.contact_id, (m.get(e.contact_id) ?? 0) + 1);
    }
  }
  return ['total', 'ios', 'android', 'other'].map((segment) => {
    const m = counts.get(segment)!;
    const row: Record<string, string | number> = { segment, known_contacts: known.get(segment)!.size };
    row.none = known.get(segment)!.size - m.size;
    for (let n = 1; n <= 10; n++) {
      row[n === 10 ? 'received_10_or_more' : `received_${n}`] = [...m.values()].filter((v) =>
        n === 10 ? v >= 10 : v === n,
      ).length;
    }
    return row;
  });
}

const events = generate();
const ctx = loadedWarehouse(events, { homeZone: 'Asia/Kathmandu' });

const run = (q: Record<string, string>) =>
  // Every figure from the summaries and from the fine rollups alike (they must agree).
  bothPathsAgree(ctx.wh, () => ctx.wh.app.get(ReportService).run('customer-touch', { tenant: TENANT, ...q }));

describe('customer-touch report', () => {
  it.each([
    ['UTC', '2026-10-20', '2026-11-10'],
    ['Asia/Kathmandu', '2026-10-25', '2026-11-05'],
    ['America/New_York', '2026-10-28', '2026-11-03'],
    ['Australia/Lord_Howe', '2026-10-01', '2026-11-01'],
  ])('in %s from %s to %s equals the computation over raw events', async (tz, from, to) => {
    const result = await run({ tz, from, to });
    expect(result.rows).toEqual(expected(events, tz, from, to));
  });

  it('filters by message type', async () => {
    const result = await run({ tz: 'UTC', from: '2026-10-20', to: '2026-11-10', message_type: 'email' });
    expect(result.rows).toEqual(expected(events, 'UTC', '2026-10-20', '2026-11-10', ['email']));
    expect(Number(result.rows[0].received_1)).toBeGreaterThan(0);
  });

  it('reaches the 10+ column and counts a two-platform contact in both platform segments', async () => {
    const result = await run({ tz: 'UTC', from: '2026-10-01', to: '2026-12-01' });
    const total = result.rows.find((r) => r.segment === 'total')!;
    expect(Number(total.received_10_or_more)).toBeGreaterThan(0);
    const perPlatform = result.rows.filter((r) => r.segment !== 'total');
    const receivers = (r: Record<string, string | number | null>) =>
      Object.entries(r)
        .filter(([k]) => k.startsWith('received_'))
        .reduce((s, [, v]) => s + Number(v), 0);
    expect(perPlatform.reduce((s, r) => s + receivers(r), 0)).toBeGreaterThan(receivers(total));
  });
});

describe('customer-touch known contacts from the summaries', () => {
  it("reads them from the home zone's current months and days, in any report zone, with the same figures", async () => {
    const job = ctx.wh.app.get(RollupJob);
    job.settleMs = 0; // the fixture's build waited the default 30 s, so its periods are stale
    const built = await job.runRange();
    expect(built.tenants[0].months.length).toBeGreaterThan(0);
    for (const [tz, from, to] of [
      ['UTC', '2026-10-20', '2026-11-10'],
      ['Asia/Kathmandu', '2026-10-25', '2026-12-01'],
      ['America/New_York', '2026-10-28', '2026-11-03'],
    ] as const) {
      expect((await run({ tz, from, to })).rows).toEqual(expected(events, tz, from, to));
    }
  });

  it('counts notifications per contact from touch_monthly and touch_daily in the home zone, and after late ones', async () => {
    const [tz, from, to] = ['Asia/Kathmandu', '2026-10-25', '2026-12-01'];
    const received = () =>
      receivedPerContact(
        ctx.wh.ch,
        Object.assign(new CustomerTouchParams(), { tenant: TENANT }),
        resolveRange({ tz, from, to }, { maxDays: 731 }),
      );
    const expectEqual = async () => {
      expect((await run({ tz, from, to })).rows).toEqual(expected(events, tz, from, to));
      expect((await run({ tz, from, to, message_type: 'email' })).rows).toEqual(
        expected(events, tz, from, to, ['email']),
      );
    };
    const summarised = await received();
    expect(summarised.months).toEqual(['2026-11-01']);
    expect(summarised.days.length).toBe(7); // October 25-31
    await expectEqual();

    // Two late deliveries to one contact on a summarised day: that day and month are read from events.
    const late = [0, 1].map(() => ({
      event_id: randomUUID(),
      tenant_id: TENANT,
      occurred_at: '2026-11-03T12:00:00.000Z',
      type: 'message.delivered',
      contact_id: 'p3',
      channel: 'email',
      platform: 'android',
    }));
    events.push(...late);
    const res = await ctx.wh.http().post('/v1/events').send(late);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 0 });
    expect((await received()).months).toEqual([]);
    await expectEqual();

    await ctx.wh.app.get(RollupJob).runRange();
    expect((await received()).months).toEqual(['2026-11-01']);
    await expectEqual();
  });
});
