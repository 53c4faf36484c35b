import { randomUUID } from 'node:crypto';
import { ReportService } from '@tallyhouse/reports';
import { RollupJob } from '@tallyhouse/rollups';
import { CAMPAIGN_FUNNEL as SEND_DAYS } from '@tallyhouse/rollups';
import { summarisedDays } from '../libs/reports/src/summary-days';
import { resolveRange } from '../libs/reports/src/report-range';
import { localMidnight, localPeriod } from './support/local-time';
import { onBothPaths } from './support/report-paths';
import { loadedWarehouse, seeded } from './support/report-fixture';

/**
 * campaign-performance against a plain TypeScript computation over the
 * generated events, with the window edges: a view at 7 days and at 7 days + 1
 * ms after its send, a goal on day 30 and on day 31, a goal without a view.
 */
interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
  campaign_id?: string;
  message_id?: string;
}

const TENANT = 'campaign-test';
const DAY = 86_400_000;

function generate(): Ev[] {
  const rnd = seeded(3);
  const events: Ev[] = [];
  const ev = (ms: number, type: string, contact: string, campaign: string, message: string): Ev => {
    const e: Ev = {
      event_id: randomUUID(),
      tenant_id: TENANT,
      occurred_at: new Date(ms).toISOString(),
      type,
      contact_id: contact,
    };
    if (campaign) e.campaign_id = campaign;
    if (message) e.message_id = message;
    return e;
  };
  const start = Date.UTC(2026, 8, 1);
  const messages: [string, string][] = [
    ['spring', 'spring-1'],
    ['spring', 'spring-2'],
    ['autumn', 'autumn-1'],
    ['', 'otm-7'],
  ];
  for (let c = 0; c < 300; c++) {
    const contact = `m${c}`;
    for (const [campaign, message] of messages) {
      if (rnd() < 0.4) continue;
      const sent = start + Math.floor(rnd() * 40 * DAY);
      events.push(ev(sent, 'message.sent', contact, campaign, message));
      if (rnd() < 0.6) {
        const viewed = sent + Math.floor(rnd() * 9 * DAY); // some after the 7-day window
        events.push(ev(viewed, 'message.viewed', contact, campaign, message));
        if (rnd() < 0.5) events.push(ev(viewed + 60_000, 'message.clicked', contact, campaign, message));
      }
      if (rnd() < 0.3) {
        // Goals: on the campaign (any message) or, for a one-time message, on the message.
        events.push(
          ev(sent + Math.floor(rnd() * 35 * DAY), 'goal.reached', contact, campaign, campaign ? '' : message),
        );
      }
    }
  }
  // The edges, on their own contacts.
  const t = Date.UTC(2026, 8, 10, 12);
  events.push(
    ev(t, 'message.sent', 'edge-view-7d', 'autumn', 'autumn-1'),
    ev(t + 7 * DAY, 'message.viewed', 'edge-view-7d', 'autumn', 'autumn-1'),
  );
  events.push(
    ev(t, 'message.sent', 'edge-view-late', 'autumn', 'autumn-1'),
    ev(t + 7 * DAY + 1, 'message.viewed', 'edge-view-late', 'autumn', 'autumn-1'),
  );
  events.push(
    ev(t, 'message.sent', 'edge-goal-30', 'autumn', 'autumn-1'),
    ev(t + DAY, 'message.viewed', 'edge-goal-30', 'autumn', 'autumn-1'),
    ev(t + 30 * DAY, 'goal.reached', 'edge-goal-30', 'autumn', ''),
  );
  events.push(
    ev(t, 'message.sent', 'edge-goal-31', 'autumn', 'autumn-1'),
    ev(t + DAY, 'message.viewed', 'edge-goal-31', 'autumn', 'autumn-1'),
    ev(t + 31 * DAY, 'goal.reached', 'edge-goal-31', 'autumn', ''),
  );
  events.push(
    ev(t, 'message.sent', 'edge-goal-no-view', 'autumn', 'autumn-1'),
    ev(t + DAY, 'goal.reached', 'edge-goal-no-view', 'autumn', ''),
  );
  // Repeated goals: only the first at or after the view, within 30 days of the send, counts.
  events.push(
    ev(t - 20 * DAY, 'goal.reached', 'edge-goal-again', 'autumn', ''),
    ev(t, 'message.sent', 'edge-goal-again', 'autumn', 'autumn-1'),
    ev(t + DAY, 'message.viewed', 'edge-goal-again', 'autumn', 'autumn-1'),
    ev(t + 10 * DAY, 'goal.reached', 'edge-goal-again', 'autumn', ''),
  );
  events.push(
    ev(t, 'message.sent', 'edge-goal-before-view', 'autumn', 'autumn-1'),
    ev(t + 3_600_000, 'goal.reached', 'edge-goal-before-view', 'autumn', ''),
    ev(t + 2 * DAY, 'message.viewed', 'edge-goal-before-view', 'autumn', 'autumn-1'),
  );
  events.push(
    ev(t, 'message.sent', 'edge-goal-before-and-after-view', 'autumn', 'autumn-1'),
    ev(t + 3_600_000, 'goal.reached', 'edge-goal-before-and-after-view', 'autumn', ''),
    ev(t + 2 * DAY, 'message.viewed', 'edge-goal-before-and-after-view', 'autumn', 'autumn-1'),
    ev(t + 5 * DAY, 'goal.reached', 'edge-goal-before-and-after-view', 'autumn', ''),
    ev(t + 6 * DAY, 'goal.reached', 'edge-goal-before-and-after-view', 'autumn', ''),
  );
  events.push(
    ev(t - 3 * DAY, 'goal.reached', 'edge-goal-before-send', 'autumn', ''),
    ev(t, 'message.sent', 'edge-goal-before-send', 'autumn', 'autumn-1'),
    ev(t + DAY, 'message.viewed', 'edge-goal-before-send', 'autumn', 'autumn-1'),
  );
  // A later send of the same campaign's other message, after the contact's first goal: counted for that send.
  events.push(
    ev(t - 10 * DAY, 'message.sent', 'edge-goal-second-send', 'autumn', 'autumn-1'),
    ev(t - 9 * DAY, 'message.viewed', 'edge-goal-second-send', 'autumn', 'autumn-1'),
    ev(t - 8 * DAY, 'goal.reached', 'edge-goal-second-send', 'autumn', ''),
    ev(t, 'message.sent', 'edge-goal-second-send', 'autumn', 'autumn-2'),
    ev(t + DAY, 'message.viewed', 'edge-goal-second-send', 'autumn', 'autumn-2'),
    ev(t + 3 * DAY, 'goal.reached', 'edge-goal-second-send', 'autumn', ''),
  );
  return events;
}

interface Step {
  kind: string;
  id: string;
  contact: string;
  sentAt: number;
  viewed: boolean;
  clicked: boolean;
  goal: boolean;
}

function steps(events: Ev[], lo: number, hi: number): Step[] {
  const at = (e: Ev) => Date.parse(e.occurred_at);
  const first = (pred: (e: Ev) => boolean) => {
    const xs = events.filter(pred).map(at);
    return xs.length ? Math.min(...xs) : null;
  };
  const pairs = new Map<string, Ev>();
  for (const e of events)
    if (e.type === 'message.sent') pairs.set(`${e.campaign_id ?? ''}|${e.message_id}|${e.contact_id}`, e);
  const out: Step[] = [];
  for (const s of pairs.values()) {
    const same = (e: Ev) => e.contact_id === s.contact_id && (e.campaign_id ?? '') === (s.campaign_id ?? '');
    const sentAt = first((e) => e.type === 'message.sent' && same(e) && e.message_id === s.message_id)!;
    if (sentAt < lo || sentAt >= hi) continue;
    const viewedAt = first((e) => e.type === 'message.viewed' && same(e) && e.message_id === s.message_id);
    const clickedAt = first((e) => e.type === 'message.clicked' && same(e) && e.message_id === s.message_id);
    const viewed = viewedAt !== null && viewedAt >= sentAt && viewedAt - sentAt <= 7 * DAY;
    // The first goal of the campaign (of the message, for a one-time one) at or after the view.
    const goalAt = first(
      (e) =>
        e.type === 'goal.reached' &&
        same(e) &&
        (s.campaign_id ? !e.message_id : e.message_id === s.message_id) &&
        viewedAt !== null &&
        at(e) >= viewedAt,
    );
    out.push({
      kind: s.campaign_id ? 'campaign' : 'one-time message',
      id: s.campaign_id ?? s.message_id!,
      contact: s.contact_id,
      sentAt,
      viewed,
      clicked: clickedAt !== null && clickedAt >= sentAt,
      goal: viewed && goalAt !== null && goalAt >= sentAt && goalAt - sentAt <= 30 * DAY,
    });
  }
  return out;
}

function summarize(all: Step[], key: (s: Step) => string) {
  const groups = new Map<string, Step[]>();
  for (const s of all) groups.set(key(s), [...(groups.get(key(s)) ?? []), s]);
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, ss]) => {
      const count = (f: (s: Step) => boolean) => new Set(ss.filter(f).map((s) => s.contact)).size;
      const sent = count(() => true);
      const [viewed, clicked, goal] = [count((s) => s.viewed), count((s) => s.clicked), count((s) => s.goal)];
      const r = (x: number) => Math.round((x / sent) * 10_000) / 10_000;
      return { key: k, sent, viewed, clicked, goal, view_rate: r(viewed), click_rate: r(clicked), goal_rate: r(goal) };
    });
}

const events = generate();
const ctx = loadedWarehouse(events, { homeZone: 'Europe/Berlin' });

const run = (q: Record<string, string>) =>
  ctx.wh.app.get(ReportService).run('campaign-performance', { tenant: TENANT, ...q });

describe('campaign-performance report', () => {
  it.each(['UTC', 'America/New_York', 'Asia/Kathmandu'])(
    'summary in %s equals the computation over raw events',
    async (tz) => {
      const want = summarize(
        steps(events, localMidnight('2026-09-05', tz), localMidnight('2026-10-05', tz)),
        (s) => `${s.kind}|${s.id}`,
      );
      expect(want.find((w) => w.key === 'one-time message|otm-7')).toBeDefined();
      await onBothPaths(ctx.wh, async (path) => {
        const result = await run({ tz, from: '2026-09-05', to: '2026-10-05' });
        const got = result.rows.map(({ kind, id, ...rest }) => ({ key: `${kind}|${id}`, ...rest }));
        expect({ path, rows: got }).toEqual({ path, rows: want });
      });
    },
  );

  it('daily by send day in Europe/Berlin equals the computation over raw events', async () => {
    const tz = 'Europe/Berlin';
    const want = summarize(
      steps(events, localMidnight('2026-09-05', tz), localMidnight('2026-10-05', tz)),
      (s) => `${s.kind}|${s.id}|${localPeriod(s.sentAt, tz, 'day')}`,
    );
    await onBothPaths(ctx.wh, async (path) => {
      const result = await run({ tz, from: '2026-09-05', to: '2026-10-05', view: 'daily' });
      const got = result.rows.map(({ kind, id, period, ...rest }) => ({ key: `${kind}|${id}|${period}`, ...rest }));
      expect({ path, rows: got }).toEqual({ path, rows: want });
    });
  });

  it('applies the windows exactly: a view at 7 days counts, at 7 days + 1 ms not; a goal on day 30 counts, day 31 not, nor without a view', async () => {
    const result = await run({ tz: 'UTC', from: '2026-09-10', to: '2026-09-11', view: 'contacts', campaign: 'autumn' });
    const byContact = new Map(result.rows.map((r) => [r.contact_id, r]));
    expect(byContact.get('edge-view-7d')!.viewed_at).toBe('2026-09-17T12:00:00.000Z');
    expect(byContact.get('edge-view-late')!.viewed_at).toBeNull();
    expect(byContact.get('edge-goal-30')!.goal_at).toBe('2026-10-10T12:00:00.000Z');
    expect(byContact.get('edge-goal-31')!.goal_at).toBeNull();
    expect(byContact.get('edge-goal-no-view')!.goal_at).toBeNull();
    // Every goal counts, the first at or after the view: not only a contact's first goal.
    expect(byContact.get('edge-goal-again')!.goal_at).toBe('2026-09-20T12:00:00.000Z');
    expect(byContact.get('edge-goal-before-view')!.goal_at).toBeNull();
    expect(byContact.get('edge-goal-before-and-after-view')!.goal_at).toBe('2026-09-15T12:00:00.000Z');
    expect(byContact.get('edge-goal-before-send')!.goal_at).toBeNull();
    expect(byContact.get('edge-goal-second-send')).toMatchObject({
      message_id: 'autumn-2',
      goal_at: '2026-09-13T12:00:00.000Z',
    });
    // Every contact row agrees with the computation.
    const want = steps(events, Date.UTC(2026, 8, 10), Date.UTC(2026, 8, 11)).filter((s) => s.id === 'autumn');
    expect(result.rows).toHaveLength(want.length);
    for (const s of want) {
      const row = byContact.get(s.contact)!;
      expect({ contact: s.contact, viewed: row.viewed_at !== null, goal: row.goal_at !== null }).toEqual({
        contact: s.contact,
        viewed: s.viewed,
        goal: s.goal,
      });
    }
  });
});

describe('campaign-performance from the send-day summaries (campaign_send_daily)', () => {
  const tz = 'Europe/Berlin'; // the tenant's home zone: the job builds its send days here
  const range = { tz, from: '2026-09-05', to: '2026-10-05' };
  const source = () => summarisedDays(ctx.wh.ch, TENANT, resolveRange(range, { maxDays: 731 }), SEND_DAYS);
  const restate = async () => {
    const job = ctx.wh.app.get(RollupJob);
    job.settleMs = 0; // trust arrivals at once (the fixture's first build waited the default 30 s)
    return job.runRange();
  };
  const send = async (late: Ev[]) => {
    events.push(...late);
    const res = await ctx.wh.http().post('/v1/events').send(late);
    expect(res.body).toMatchObject({ accepted: late.length, rejected: 0 });
  };
  const lo = localMidnight(range.from, tz);
  const hi = localMidnight(range.to, tz);
  const expectEqual = async () => {
    const summary = await run({ ...range });
    expect(summary.rows.map(({ kind, id, ...rest }) => ({ key: `${kind}|${id}`, ...rest }))).toEqual(
      summarize(steps(events, lo, hi), (s) => `${s.kind}|${s.id}`),
    );
    for (const interval of ['day', 'week'] as const) {
      const result = await run({ ...range, view: 'daily', interval });
      expect(result.rows.map(({ kind, id, period, ...rest }) => ({ key: `${kind}|${id}|${period}`, ...rest }))).toEqual(
        summarize(steps(events, lo, hi), (s) => `${s.kind}|${s.id}|${localPeriod(s.sentAt, tz, interval)}`),
      );
    }
  };
  const late = (ms: number, type: string, contact: string, campaign: string, message: string): Ev => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    occurred_at: new Date(ms).toISOString(),
    type,
    contact_id: contact,
    ...(campaign ? { campaign_id: campaign } : {}),
    ...(message ? { message_id: message } : {}),
  });

  it('reads whole built days from the summary; late events send the days they can reach back to the funnel until the job restates them', async () => {
    const built = await restate();
    expect(built.tenants[0].campaign_days.length).toBeGreaterThan(30);
    const fresh = await source();
    expect(fresh.days.length).toBeGreaterThan(25);
    expect(fresh.fallback).toBe(false); // the whole range comes from the summary
    await expectEqual();

    // A late view reaches the send days that end after it minus 7 days, and no earlier one.
    const viewAt = Date.parse('2026-09-25T10:00:00Z');
    await send([late(viewAt, 'message.viewed', 'm1', 'spring', 'spring-1')]);
    const afterView = await source();
    expect(afterView.fallback).toBe(true);
    expect(afterView.days).toContain('2026-09-17');
    expect(afterView.days).not.toContain('2026-09-18');
    expect(afterView.days).not.toContain('2026-09-25');
    await expectEqual();

    // A late earlier send moves a contact's first send to another day; a late goal; a click months later reaches every day.
    const first = events.find(
      (e) =>
        e.type === 'message.sent' &&
        e.campaign_id === 'autumn' &&
        Date.parse(e.occurred_at) > Date.parse('2026-09-20T00:00:00Z') &&
        Date.parse(e.occurred_at) < Date.parse('2026-10-01T00:00:00Z'),
    )!;
    const at = Date.parse(first.occurred_at);
    await send([
      late(at - 4 * DAY, 'message.sent', first.contact_id, 'autumn', first.message_id!),
      late(at - 4 * DAY + 3_600_000, 'message.viewed', first.contact_id, 'autumn', first.message_id!),
      late(at - 2 * DAY, 'goal.reached', first.contact_id, 'autumn', ''),
      late(Date.parse('2026-11-30T09:00:00Z'), 'message.clicked', 'm2', 'spring', 'spring-2'),
    ]);
    expect((await source()).days).toEqual([]);
    await expectEqual();

    await restate();
    const restated = await source();
    expect(restated.days).toEqual(fresh.days);
    expect(restated.fallback).toBe(false);
    await expectEqual();
  });

  it('a range that does not start at local midnight reads its partial day from the funnel', async () => {
    const from = '2026-09-05T06:30:00+02:00';
    const partial = await summarisedDays(
      ctx.wh.ch,
      TENANT,
      resolveRange({ ...range, from }, { maxDays: 731 }),
      SEND_DAYS,
    );
    expect(partial.days).not.toContain('2026-09-05');
    expect(partial.days).toContain('2026-09-06');
    const result = await run({ ...range, from });
    expect(result.rows.map(({ kind, id, ...rest }) => ({ key: `${kind}|${id}`, ...rest }))).toEqual(
      summarize(steps(events, Date.parse(from), hi), (s) => `${s.kind}|${s.id}`),
    );
  });
});
