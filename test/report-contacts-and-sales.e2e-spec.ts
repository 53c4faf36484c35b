import { randomUUID } from 'node:crypto';
import { ReportService } from '@tallyhouse/reports';
import { localMidnight } from './support/local-time';
import { loadedWarehouse, seeded } from './support/report-fixture';
import { onBothPaths } from './support/report-paths';

/** contacts-and-sales against a plain TypeScript computation over the generated events. */
interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
  platform: string;
  channel: string;
  conversation_id?: string;
  agent_id?: string;
  value?: number;
}

const TENANT = 'sales-test';
const DAY = 86_400_000;

function generate(): Ev[] {
  const rnd = seeded(23);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const events: Ev[] = [];
  const ev = (ms: number, type: string, contact: string, f: Partial<Ev>): Ev => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    occurred_at: new Date(ms).toISOString(),
    type,
    contact_id: contact,
    platform: 'web',
    channel: 'social',
    ...f,
  });
  const start = Date.UTC(2026, 8, 1);
  for (let c = 0; c < 300; c++) {
    const contact = `v${Math.floor(rnd() * 180)}`;
    const platform = pick(['facebook', 'twitter', 'web']);
    const channel = platform === 'web' ? 'chat' : 'social';
    const conv = { conversation_id: `conv-${c}`, platform, channel };
    let t = start + Math.floor(rnd() * 60 * DAY);
    events.push(ev(t, 'conversation.message_in', contact, conv));
    for (let i = Math.floor(rnd() * 5); i > 0; i--) {
      t += Math.floor(rnd() * 2 * DAY);
      events.push(
        ev(t, rnd() < 0.5 ? 'conversation.message_out' : 'conversation.message_in', contact, {
          ...conv,
          agent_id: 'a1',
        }),
      );
    }
    const shape = rnd();
    if (shape < 0.5) {
      events.push(ev(t + Math.floor(rnd() * DAY), 'conversation.resolved', contact, conv));
    } else if (shape < 0.6) {
      // Silent for 8 to 20 days, then active again on the same thread: a second conversation.
      t += (8 + Math.floor(rnd() * 12)) * DAY;
      events.push(ev(t, 'conversation.message_in', contact, conv));
      events.push(ev(t + 3_600_000, 'conversation.message_out', contact, { ...conv, agent_id: 'a1' }));
      if (rnd() < 0.5) events.push(ev(t + DAY, 'conversation.resolved', contact, conv));
    } else if (shape < 0.7) {
      // Resolved, then the contact writes again: a new conversation on the same thread.
      events.push(ev(t + 3_600_000, 'conversation.resolved', contact, conv));
      events.push(ev(t + 2 * DAY, 'conversation.message_in', contact, conv));
    } else if (shape < 0.75) {
      // Resolved only after the thread went quiet for more than 7 days: it had closed by itself.
      events.push(ev(t + 10 * DAY, 'conversation.resolved', contact, conv));
    }
    // The rest are never resolved: each closes 7 days after its last activity.
    if (rnd() < 0.35) {
      // A purchase 0 to 12 days later: some inside the default 7-day window, some outside.
      const first = Date.parse(events.find((e) => e.conversation_id === conv.conversation_id)!.occurred_at);
      events.push(
        ev(first + Math.floor(rnd() * 12 * DAY), 'purchase', contact, {
          platform: 'web',
          channel: 'web',
          value: Math.round(rnd() * 20_000) / 100,
        }),
      );
    }
  }
  return events.filter((e) => Date.parse(e.occurred_at) < Date.UTC(2026, 10, 20));
}

function expected(events: Ev[], from: number, to: number, days: number, groupBy?: 'platform' | 'channel') {
  const at = (e: Ev) => Date.parse(e.occurred_at);
  const convs = new Map<string, Ev[]>();
  for (const e of events)
    if (e.conversation_id) convs.set(e.conversation_id, [...(convs.get(e.conversation_id) ?? []), e]);
  type Conv = { id: string; contact: string; first: number; closes: number; closed: boolean; grp: string; evs: Ev[] };
  const ord = (e: Ev) => (e.type === 'conversation.started' ? 0 : e.type === 'conversation.resolved' ? 2 : 1);
  const list: Conv[] = [];
  for (const [id, evs] of convs) {
    // Conversations on the thread: a new one at the first event, after a resolution, after 7 days of silence.
    const sorted = [...evs].sort((a, b) => at(a) - at(b) || ord(a) - ord(b));
    const sessions: Ev[][] = [];
    let lastActivity: number | null = null;
    let prevType = '';
    for (const e of sorted) {
      if (
        sessions.length === 0 ||
        prevType === 'conversation.resolved' ||
        lastActivity === null ||
        at(e) > lastActivity + 7 * DAY
      )
        sessions.push([]);
      sessions[sessions.length - 1].push(e);
      if (e.type !== 'conversation.resolved') lastActivity = at(e);
      prevType = e.type;
    }
    sessions
      .filter((ss) => ss.some((e) => e.type !== 'conversation.resolved'))
      .forEach((ss, n) => {
        const resolution = ss.find((e) => e.type === 'conversation.resolved');
        const lastAct = Math.max(...ss.filter((e) => e.type !== 'conversation.resolved').map(at));
        const closes = resolution ? at(resolution) : lastAct + 7 * DAY;
        list.push({
          id: `${id}#${n}`,
          contact: ss[0].contact_id,
          first: at(ss[0]),
          closes,
          closed: closes <= Date.now(),
          grp: groupBy ? ss[0][groupBy] : '',
          evs: ss,
        });
      });
  }
  const groups = [...new Set(list.map((c) => c.grp))].sort();
  // Each purchase: the latest conversation of its contact started at or before it.
  const attributed = events
    .filter((e) => e.type === 'purchase')
    .map((p) => {
      const before = list
        .filter((c) => c.contact === p.contact_id && c.first <= at(p))
        .sort((a, b) => b.first - a.first)[0];
      return { p, c: before };
    })
    .filter(
      ({ p, c }) => c && at(p) - c.first <= days * DAY && c.first >= from && c.first < to && at(p) < to + days * DAY,
    );
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return groups
    .map((g) => {
      const mine = list.filter((c) => c.grp === g);
      const inRange = (e: Ev) => at(e) >= from && at(e) < to;
      const msgs = mine.flatMap((c) => c.evs.filter(inRange).map((e) => ({ e, c })));
      const closedIn = mine.filter((c) => c.closed && c.closes >= from && c.closes < to);
      const sales = attributed.filter(({ c }) => c.grp === g);
      const initiated = mine.filter((c) => c.first >= from && c.first < to).length;
      const turnover = round(
        sales.reduce((s, { p }) => s + p.value!, 0),
        4,
      );
      return {
        ...(groupBy ? { [groupBy]: g } : {}),
        contacts: mine.filter((c) => c.first >= from && c.closed && c.closes < to).length,
        initiated,
        active: new Set(msgs.filter(({ e }) => e.type === 'conversation.message_out').map(({ c }) => c.id)).size,
        messages_received: msgs.filter(({ e }) => e.type === 'conversation.message_in').length,
        messages_sent: msgs.filter(({ e }) => e.type === 'conversation.message_out').length,
        average_handling_seconds: closedIn.length
          ? round(closedIn.reduce((s, c) => s + (c.closes - c.first) / 1000, 0) / closedIn.length, 3)
          : null,
        conversion_rate: initiated ? round(new Set(sales.map(({ c }) => c.id)).size / initiated, 4) : 0,
        turnover,
        transactions: sales.length,
        average_order_value: sales.length ? round(turnover / sales.length, 4) : null,
        average_seconds_to_purchase: sales.length
          ? round(sales.reduce((s, { p, c }) => s + (at(p) - c.first) / 1000, 0) / sales.length, 3)
          : null,
      };
    })
    .filter((r) => r.initiated > 0 || r.active > 0 || r.messages_received > 0 || r.transactions > 0 || r.contacts > 0);
}

const events = generate();
const ctx = loadedWarehouse(events, { homeZone: 'Europe/Berlin' });

describe('contacts-and-sales conversations', () => {
  it('closes a thread silent for 20 days 7 days after its last message, and counts its return as a new conversation', async () => {
    const edge = 'edge-silent';
    const t0 = Date.UTC(2026, 9, 1, 9);
    const thread = { conversation_id: 'thread-silent', platform: 'web', channel: 'chat' };
    const sent = [
      { type: 'conversation.message_in', at: t0 },
      { type: 'conversation.message_out', at: t0 + 3_600_000 },
      { type: 'conversation.message_in', at: t0 + 20 * DAY },
      { type: 'conversation.resolved', at: t0 + 20 * DAY + 2 * 3_600_000 },
    ].map(({ type, at }) => ({
      event_id: randomUUID(),
      tenant_id: 'sales-edge',
      occurred_at: new Date(at).toISOString(),
      type,
      contact_id: edge,
      ...thread,
    }));
    await ctx.wh.http().post('/v1/events').send(sent).expect(200);
    const result = await ctx.wh.app.get(ReportService).run('contacts-and-sales', {
      tenant: 'sales-edge',
      tz: 'UTC',
      from: '2026-10-01',
      to: '2026-11-01',
    });
    // Two conversations: 1 h of activity then closed by itself 7 days later; 2 h until its resolution.
    expect(result.rows).toEqual([
      expect.objectContaining({
        contacts: 2,
        initiated: 2,
        active: 1,
        messages_received: 2,
        messages_sent: 1,
        average_handling_seconds: ((3_600_000 + 7 * DAY) / 1000 + (2 * 3_600_000) / 1000) / 2,
      }),
    ]);
  });
});

describe('contacts-and-sales report', () => {
  it.each([
    ['UTC', '', '7'],
    ['UTC', 'platform', '7'],
    ['Europe/Berlin', 'channel', '3'],
  ] as const)(
    'in %s grouped by "%s" with %s attribution days equals the computation over raw events',
    async (tz, groupBy, days) => {
      const q: Record<string, string> = {
        tenant: TENANT,
        tz,
        from: '2026-09-10',
        to: '2026-10-20',
        attribution_days: days,
      };
      if (groupBy) q.group_by = groupBy;
      const want = expected(
        events,
        localMidnight('2026-09-10', tz),
        localMidnight('2026-10-20', tz),
        Number(days),
        groupBy || undefined,
      );
      expect(want.reduce((s, r) => s + Number(r.transactions), 0)).toBeGreaterThan(0);
      // No summary serves this report; both paths must give the same figures anyway.
      await onBothPaths(ctx.wh, async (path) => {
        const result = await ctx.wh.app.get(ReportService).run('contacts-and-sales', q);
        expect({ path, rows: result.rows }).toEqual({ path, rows: want });
      });
    },
  );
});
