import { randomUUID } from 'node:crypto';
import { ReportParams, ReportService } from '@tallyhouse/reports';
import { activitySource } from '../libs/reports/src/activity-source';
import { RollupJob } from '@tallyhouse/rollups';
import { resolveRange } from '../libs/reports/src/report-range';
import { RESOLVED_CONVERSATIONS as RESOLVED_DAYS } from '@tallyhouse/rollups';
import { summarisedDays } from '../libs/reports/src/summary-days';
import { localMidnight, localPeriod } from './support/local-time';
import { loadedWarehouse, seeded } from './support/report-fixture';
import { onBothPaths } from './support/report-paths';

/**
 * account-usage against a plain TypeScript computation over the generated
 * events, in zones with DST changes inside the range (New York, Berlin),
 * UTC+05:45 (Kathmandu) and a half-hour DST (Lord Howe), for every interval.
 */
interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
  channel: string;
  platform: string;
  conversation_id?: string;
  agent_id?: string;
}

const TENANT = 'usage-test';
const PLATFORMS = ['ios', 'android', 'whatsapp', 'facebook'];
const CHANNELS = ['chat', 'social', 'sms'];

function generate(): Ev[] {
  const rnd = seeded(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const start = Date.UTC(2026, 9, 20);
  const span = 21 * 86_400_000; // Oct 20 - Nov 10 2026: Berlin (Oct 25) and New York (Nov 1) change clocks
  const events: Ev[] = [];
  const ev = (ms: number, type: string, contact: string, extra: Partial<Ev> = {}): Ev => {
    const e: Ev = {
      event_id: randomUUID(),
      tenant_id: TENANT,
      occurred_at: new Date(ms).toISOString(),
      type,
      contact_id: contact,
      channel: pick(CHANNELS),
      platform: pick(PLATFORMS),
      ...extra,
    };
    if (!e.agent_id) delete e.agent_id; // optional fields are absent, not empty
    return e;
  };
  for (let c = 0; c < 400; c++) {
    const contact = `u${Math.floor(rnd() * 250)}`;
    const conversation = `conv-${c}`;
    const platform = pick(PLATFORMS);
    const channel = pick(CHANNELS);
    let t = start + Math.floor(rnd() * span);
    const base = { conversation_id: conversation, platform, channel };
    // Most conversations start inbound; some start with an agent's message; some are never answered.
    const opener = rnd() < 0.8 ? 'conversation.message_in' : 'conversation.message_out';
    const agent = `agent-${Math.floor(rnd() * 12)}`;
    // A conversation.started before the first message, sometimes from elsewhere: the first *message* decides.
    if (rnd() < 0.5)
      events.push(
        ev(t - 1, 'conversation.started', contact, { ...base, platform: pick(PLATFORMS), channel: pick(CHANNELS) }),
      );
    events.push(ev(t, opener, contact, { ...base, agent_id: opener.endsWith('out') ? agent : '' }));
    const replies = rnd() < 0.85 ? 1 + Math.floor(rnd() * 4) : 0;
    for (let r = 0; r < replies; r++) {
      t += Math.floor(rnd() * 6 * 3_600_000);
      const out = r % 2 === 0;
      events.push(
        ev(t, out ? 'conversation.message_out' : 'conversation.message_in', contact, {
          ...base,
          agent_id: out ? agent : '',
        }),
      );
    }
    if (rnd() < 0.7) {
      t += Math.floor(rnd() * 30 * 3_600_000);
      events.push(ev(t, 'conversation.resolved', contact, { ...base, agent_id: agent }));
      // Some are reopened and resolved again, days or weeks later (across a month end).
      if (rnd() < 0.2) {
        t += Math.floor(rnd() * 20 * 86_400_000);
        events.push(ev(t, 'conversation.message_in', contact, { ...base }));
        events.push(ev(t + 60_000, 'conversation.resolved', contact, { ...base, agent_id: agent }));
      }
    }
  }
  // Hours around Lord Howe's DST changes (2026-04-05 back 30 minutes, 2026-10-04 forward 30), every 10 minutes.
  for (const [from, to] of [
    ['2026-04-04T10:00:00Z', '2026-04-05T20:00:00Z'],
    ['2026-10-03T10:00:00Z', '2026-10-04T20:00:00Z'],
  ]) {
    for (let ms = Date.parse(from); ms < Date.parse(to); ms += 600_000) {
      const contact = `dst-${Math.floor(rnd() * 40)}`;
      events.push(
        ev(ms, 'conversation.message_in', contact, { conversation_id: `dst-${ms}`, platform: 'ios', channel: 'chat' }),
      );
    }
  }
  // Proactive messages: message.sent on chat/social (counted) and on email (not).
  for (let i = 0; i < 300; i++) {
    events.push(
      ev(start + Math.floor(rnd() * span), 'message.sent', `u${Math.floor(rnd() * 250)}`, {
        channel: pick(['chat', 'social', 'email']),
      }),
    );
  }
  // Edges: the last and first millisecond of a New York day around the DST change, and a Kathmandu midnight.
  const nyNov1 = localMidnight('2026-11-01', 'America/New_York');
  const nyNov2 = localMidnight('2026-11-02', 'America/New_York');
  const ktmNov3 = localMidnight('2026-11-03', 'Asia/Kathmandu');
  for (const [ms, c] of [
    [nyNov1 - 1, 'edge-1'],
    [nyNov1, 'edge-2'],
    [nyNov2 - 1, 'edge-3'],
    [nyNov2, 'edge-3'],
    [ktmNov3 - 1, 'edge-4'],
    [ktmNov3, 'edge-5'],
  ] as const) {
    events.push(
      ev(ms, 'conversation.message_in', c, { conversation_id: `edge-${ms}`, platform: 'ios', channel: 'chat' }),
    );
  }
  return events;
}

type Interval = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

type Row = Record<string, string | number>;

/** The report's figures, computed directly from the events. */
function expected(
  events: Ev[],
  tz: string,
  from: string,
  to: string,
  interval: Interval,
  groupBy?: 'platform' | 'channel',
): Row[] {
  const lo = localMidnight(from, tz);
  const hi = localMidnight(to, tz);
  const inRange = (ms: number) => ms >= lo && ms < hi;
  const rows = new Map<
    string,
    { contacts: Set<string>; agents: Set<string>; channels: Set<string>; proactive: number; resolved: number }
  >();
  const row = (period: string, grp: string) => {
    const k = `${period}|${grp}`;
    if (!rows.has(k))
      rows.set(k, { contacts: new Set(), agents: new Set(), channels: new Set(), proactive: 0, resolved: 0 });
    return rows.get(k)!;
  };
  for (const e of events) {
    const ms = Date.parse(e.occurred_at);
    if (!inRange(ms)) continue;
    const r = row(localPeriod(ms, tz, interval), groupBy ? e[groupBy] : '');
    if (e.type === 'conversation.message_in' || e.type === 'conversation.message_out') r.contacts.add(e.contact_id);
    if (e.type === 'conversation.message_out' && e.agent_id) r.agents.add(e.agent_id);
    if (e.channel) r.channels.add(e.channel);
    if (e.type === 'message.sent' && (e.channel === 'chat' || e.channel === 'social')) r.proactive++;
  }
  // Resolved conversations: first message inbound, an outbound one, grouped by the first message's
  // platform or channel; each resolution in the range puts the conversation in its period, once per period.
  const resolved = new Map<string, Set<string>>();
  const byConversation = new Map<string, Ev[]>();
  for (const e of events) {
    if (!e.conversation_id) continue;
    byConversation.set(e.conversation_id, [...(byConversation.get(e.conversation_id) ?? []), e]);
  }
  for (const [id, evs] of byConversation) {
    const sorted = [...evs].sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at));
    const firstMessage = sorted.find(
      (e) => e.type === 'conversation.message_in' || e.type === 'conversation.message_out',
    );
    if (firstMessage?.type !== 'conversation.message_in') continue;
    if (!sorted.some((e) => e.type === 'conversation.message_out')) continue;
    for (const e of sorted) {
      const at = Date.parse(e.occurred_at);
      if (e.type !== 'conversation.resolved' || !inRange(at)) continue;
      const k = `${localPeriod(at, tz, interval)}|${groupBy ? firstMessage[groupBy] : ''}`;
      row(...(k.split('|') as [string, string]));
      resolved.set(k, (resolved.get(k) ?? new Set()).add(id));
    }
  }
  for (const [k, ids] of resolved) rows.get(k)!.resolved = ids.size;
  return [...rows.entries()]
    .map(([k, r]): Row => {
      const [period, grp] = k.split('|');
      return {
        period,
        ...(groupBy ? { [groupBy]: grp } : {}),
        unique_contacts: r.contacts.size,
        resolved_conversations: r.resolved,
        active_agents: r.agents.size,
        channels: r.channels.size,
        proactive_messages: r.proactive,
      };
    })
    .sort((a, b) =>
      `${a.period}|${groupBy ? a[groupBy] : ''}`.localeCompare(`${b.period}|${groupBy ? b[groupBy] : ''}`),
    );
}

const events = generate();
const ctx = loadedWarehouse(events, { homeZone: 'Europe/Berlin' });

const run = (q: Record<string, string>) => ctx.wh.app.get(ReportService).run('account-usage', { tenant: TENANT, ...q });

describe('account-usage report', () => {
  // [zone, interval, group_by ('' for none)]; every case has three entries (jest passes a shorter one a done callback).
  const cases: [string, Interval, '' | 'platform' | 'channel'][] = [
    ['America/New_York', 'day', ''],
    ['America/New_York', 'hour', ''],
    ['Europe/Berlin', 'week', 'platform'],
    ['Asia/Kathmandu', 'day', 'channel'],
    ['Australia/Lord_Howe', 'month', 'platform'],
    ['UTC', 'quarter', ''],
    ['Asia/Kathmandu', 'year', ''],
    ['Europe/Berlin', 'day', 'platform'],
    ['Europe/Berlin', 'month', 'channel'],
  ];
  it.each(cases)(
    'in %s by %s (group by "%s") equals the computation over raw events, from summaries and from the fine rollups',
    async (tz, interval, groupBy) => {
      const q: Record<string, string> = { tz, interval, from: '2026-10-20', to: '2026-11-10' };
      if (groupBy) q.group_by = groupBy;
      const want = expected(events, tz, '2026-10-20', '2026-11-10', interval, groupBy || undefined);
      expect(want.length).toBeGreaterThan(0);
      await onBothPaths(ctx.wh, async (path) => {
        expect({ path, rows: (await run(q)).rows }).toEqual({ path, rows: want });
      });
    },
  );

  // Lord Howe moves by 30 minutes (+11:00 / +10:30); Eucla is +08:45 all year.
  it.each([
    ['Australia/Lord_Howe', '2026-04-04', '2026-04-07'],
    ['Australia/Lord_Howe', '2026-10-03', '2026-10-06'],
    ['Australia/Eucla', '2026-04-04', '2026-04-07'],
    ['Australia/Eucla', '2026-10-03', '2026-10-06'],
  ])('counts local hours in %s around %s exactly', async (tz, from, to) => {
    const want = expected(events, tz, from, to, 'hour');
    expect(want.length).toBeGreaterThan(20);
    expect((await run({ tz, interval: 'hour', from, to })).rows).toEqual(want);
  });

  it('counts a month of unique contacts exactly, not as a sum of days', async () => {
    const month = await run({ tz: 'UTC', interval: 'month', from: '2026-10-01', to: '2026-12-01' });
    const days = await run({ tz: 'UTC', interval: 'day', from: '2026-10-01', to: '2026-12-01' });
    const oct = month.rows.find((r) => r.period === '2026-10-01')!;
    const sumOfDays = days.rows
      .filter((r) => String(r.period).startsWith('2026-10'))
      .reduce((s, r) => s + Number(r.unique_contacts), 0);
    expect(Number(oct.unique_contacts)).toBeLessThan(sumOfDays);
    expect(month.rows).toEqual(expected(events, 'UTC', '2026-10-01', '2026-12-01', 'month'));
  });

  it('filters by channel: every figure counts only that channel', async () => {
    const result = await run({ tz: 'UTC', interval: 'week', from: '2026-10-19', to: '2026-11-16', channel: 'chat' });
    // The same as grouping by channel and keeping chat (resolved conversations go by their first message's channel).
    const chat = expected(events, 'UTC', '2026-10-19', '2026-11-16', 'week', 'channel').filter(
      (r) => r.channel === 'chat',
    );
    expect(result.rows).toEqual(chat.map(({ channel: _channel, ...rest }) => ({ ...rest, channels: 1 })));
    expect(result.rows.length).toBeGreaterThan(0);
  });

  it('returns an empty, typed result for a range with no data', async () => {
    const result = await run({ tz: 'UTC', from: '2020-01-01', to: '2020-02-01' });
    expect(result.rows).toEqual([]);
    expect(result.columns.map((c) => c.name)).toContain('unique_contacts');
  });

  it('serves JSON and CSV over HTTP and names the bad parameter with a 400', async () => {
    const http = ctx.wh.http();
    const list = await http.get('/v1/reports');
    expect(list.body.reports.map((r: { name: string }) => r.name)).toContain('account-usage');
    const usage = list.body.reports.find((r: { name: string }) => r.name === 'account-usage');
    expect(usage.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'tenant', required: true }),
        expect.objectContaining({ name: 'interval', required: false, enum: expect.arrayContaining(['hour', 'year']) }),
        expect.objectContaining({ name: 'group_by', enum: ['platform', 'channel'] }),
      ]),
    );
    // An instant off a quarter hour is refused, and the parameter's description says so beforehand.
    expect(usage.parameters.find((p: { name: string }) => p.name === 'from').description).toMatch(/quarter hour/);
    // Swagger shows every report as its own operation with its own parameters.
    const docs = await http.get('/docs-json');
    const cohorts = docs.body.paths['/v1/reports/cohorts'].get;
    expect(cohorts.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['tenant', 'from', 'to', 'tz', 'interval', 'cohort_by', 'format']),
    );
    const json = await http.get(`/v1/reports/account-usage?tenant=${TENANT}&from=2026-10-20&to=2026-10-22&tz=UTC`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ report: 'account-usage', time_zone: 'UTC', from: '2026-10-20T00:00:00.000Z' });
    const csv = await http.get(
      `/v1/reports/account-usage?tenant=${TENANT}&from=2026-10-20&to=2026-10-22&tz=UTC&format=csv`,
    );
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe(
      'period,unique_contacts,resolved_conversations,active_agents,channels,proactive_messages',
    );
    for (const [query, field] of [
      ['from=2026-10-20&to=2026-10-22&tz=Mars/Olympus', 'tz'],
      ['from=2026-10-22&to=2026-10-20', 'from'],
      ['from=2020-01-01&to=2026-01-01', 'to'],
      ['from=2026-10-20&to=2026-10-22&group_by=campaign', 'group_by'],
      ['from=2026-10-20&to=2026-10-22&interval=fortnight', 'interval'],
      ['from=2026-02-30&to=2026-03-02', 'from'],
      ['from=2026-10-20&to=2026-10-22&colour=blue', 'colour'],
      ['from=2026-10-20T10:07:00Z&to=2026-10-22', 'from'],
    ]) {
      const bad = await http.get(`/v1/reports/account-usage?tenant=${TENANT}&${query}`);
      expect({ query, status: bad.status, field: bad.body.field }).toEqual({ query, status: 400, field });
      expect(bad.body.message).toEqual(expect.any(String));
    }
    expect((await http.get('/v1/reports/nope?tenant=x&from=2026-01-01&to=2026-01-02')).status).toBe(404);
  });
});

describe('account-usage resolved conversations from the daily summary (resolved_daily)', () => {
  const tz = 'Europe/Berlin'; // the tenant's home zone
  const range = { tz, from: '2026-10-20', to: '2026-11-10' };
  const source = () => summarisedDays(ctx.wh.ch, TENANT, resolveRange(range, { maxDays: 731 }), RESOLVED_DAYS);
  const restate = async () => {
    const job = ctx.wh.app.get(RollupJob);
    job.settleMs = 0; // trust arrivals at once (the fixture's build waited the default 30 s)
    return job.runRange();
  };
  const expectEqual = async () => {
    for (const [interval, groupBy] of [
      ['day', 'platform'],
      ['week', 'channel'],
      ['month', ''],
    ] as const) {
      const result = await run({ ...range, interval, ...(groupBy ? { group_by: groupBy } : {}) });
      expect(result.rows).toEqual(expected(events, tz, range.from, range.to, interval, groupBy || undefined));
    }
  };

  it('reads whole current days from the summary; a late conversation event sends them back until the job restates them', async () => {
    expect((await restate()).tenants[0].resolved_days.length).toBeGreaterThan(20);
    const fresh = await source();
    expect(fresh.days.length).toBeGreaterThan(15);
    expect(fresh.fallback).toBe(false);
    await expectEqual();

    // A later resolution moves a conversation to another day.
    const resolvedAt = (e: Ev) => Date.parse(e.occurred_at);
    const last = events.find(
      (e) => e.type === 'conversation.resolved' && resolvedAt(e) > Date.parse('2026-10-25T00:00:00Z'),
    )!;
    const late: Ev = {
      ...last,
      event_id: randomUUID(),
      occurred_at: new Date(resolvedAt(last) + 3 * 86_400_000).toISOString(),
    };
    events.push(late);
    const res = await ctx.wh.http().post('/v1/events').send([late]);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await source()).days).toEqual([]);
    await expectEqual();

    await restate();
    expect((await source()).days).toEqual(fresh.days);
    await expectEqual();
  });

  it('reads whole current months and days from activity_monthly and activity_daily in the home zone', async () => {
    await restate();
    const months = resolveRange({ tz, from: '2026-10-01', to: '2026-12-01' }, { maxDays: 731 });
    const monthly = await activitySource(
      ctx.wh.ch,
      Object.assign(new ReportParams(), { tenant: TENANT }),
      months,
      'month',
    );
    expect(monthly.months).toEqual(['2026-10-01', '2026-11-01']);
    for (const groupBy of ['', 'platform', 'channel'] as const) {
      const result = await run({
        tz,
        interval: 'month',
        from: '2026-10-01',
        to: '2026-12-01',
        ...(groupBy ? { group_by: groupBy } : {}),
      });
      expect(result.rows).toEqual(expected(events, tz, '2026-10-01', '2026-12-01', 'month', groupBy || undefined));
    }
    const daily = await activitySource(ctx.wh.ch, Object.assign(new ReportParams(), { tenant: TENANT }), months, 'day');
    expect(daily.days.length).toBeGreaterThan(20);
    const result = await run({ tz, interval: 'day', from: '2026-10-01', to: '2026-12-01', channel: 'chat' });
    const chat = expected(events, tz, '2026-10-01', '2026-12-01', 'day', 'channel').filter((r) => r.channel === 'chat');
    expect(result.rows).toEqual(chat.map(({ channel: _channel, ...rest }) => ({ ...rest, channels: 1 })));
  });
});
