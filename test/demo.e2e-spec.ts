import { EventContract, EVENT_TYPES } from '@tallyhouse/events';
import { DemoLoader, DEMO_TENANTS, generateDemoEvents, generateDemoNdjson } from '@tallyhouse/demo';
import { ReportService } from '@tallyhouse/reports';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

const now = new Date('2026-11-23T12:00:00Z');

describe('demo data generator', () => {
  it('is deterministic: same seed and now, same events (event ids included); another seed differs', () => {
    const a = [...generateDemoNdjson({ events: 5_000, seed: 42, now })];
    const b = [...generateDemoNdjson({ events: 5_000, seed: 42, now })];
    const c = [...generateDemoNdjson({ events: 5_000, seed: 43, now })];
    expect(a).toHaveLength(5_000);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('makes exactly N valid events in time order within the period ending at now, with unique UUID v4 ids', () => {
    const contract = new EventContract({ maxFutureMs: 0, now: () => now.getTime() });
    const ids = new Set<string>();
    let last = 0;
    let n = 0;
    const invalid: unknown[] = [];
    let outOfOrder = 0;
    let notV4 = 0;
    const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const e of generateDemoEvents({ events: 60_000, seed: 7, now })) {
      const r = contract.validate(e);
      if (!r.ok) invalid.push({ error: r.error, e });
      const t = Date.parse(e.occurred_at);
      if (t < last) outOfOrder++;
      last = t;
      if (!v4.test(e.event_id)) notV4++;
      ids.add(e.event_id);
      n++;
    }
    expect(invalid.slice(0, 3)).toEqual([]);
    expect(outOfOrder).toBe(0);
    expect(notV4).toBe(0);
    expect(n).toBe(60_000);
    expect(ids.size).toBe(60_000);
    expect(last).toBeLessThanOrEqual(now.getTime());
    expect(last).toBeGreaterThan(now.getTime() - 3 * 86_400_000);
  });

  it('covers every tenant and the event types, channels and platforms the reports need', () => {
    const seen = new Map<string, Set<string>>();
    const add = (k: string, v: string | undefined) => {
      if (v === undefined) return;
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k)!.add(v);
    };
    let first = Infinity;
    let inactivated = 0;
    for (const e of generateDemoEvents({ events: 200_000, seed: 1, now })) {
      first = Math.min(first, Date.parse(e.occurred_at));
      add(`${e.tenant_id}:type`, e.type);
      add(`${e.tenant_id}:channel`, e.channel);
      add(`${e.tenant_id}:platform`, e.platform);
      add(`${e.tenant_id}:org_unit`, e.org_unit);
      add(`${e.tenant_id}:group_id`, e.group_id);
      add(`${e.tenant_id}:agent_id`, e.agent_id);
      if (e.type === 'purchase' && !(Number(e.value) > 0))
        throw new Error(`purchase without value: ${JSON.stringify(e)}`);
      if (e.type === 'notice.published' && e.contact_id !== undefined) throw new Error('notice with a contact');
      if (e.type === 'message.unsubscribed' && e.properties?.method === 'inactivate_link') inactivated++;
    }
    expect(first).toBeLessThanOrEqual(now.getTime() - 90 * 86_400_000);
    expect(inactivated).toBeGreaterThan(0);
    const [district, brand, nepal] = DEMO_TENANTS.map((t) => t.tenant_id);
    expect(DEMO_TENANTS.map((t) => t.time_zone)).toEqual(['America/New_York', 'Europe/Berlin', 'Asia/Kathmandu']);
    expect([...seen.get(`${district}:type`)!]).toEqual(
      expect.arrayContaining([
        'user.registered',
        'user.login',
        'group.subscribed',
        'group.unsubscribed',
        'notice.published',
        'message.sent',
        'message.viewed',
        'message.unsubscribed',
      ]),
    );
    expect(seen.get(`${district}:org_unit`)!.size).toBeGreaterThanOrEqual(5);
    expect(seen.get(`${district}:group_id`)!.size).toBeGreaterThanOrEqual(5);
    expect([...seen.get(`${brand}:type`)!]).toEqual(
      expect.arrayContaining([
        'message.sent',
        'message.delivered',
        'message.viewed',
        'message.clicked',
        'goal.reached',
        'purchase',
        'conversation.started',
        'conversation.message_in',
        'conversation.message_out',
        'conversation.resolved',
      ]),
    );
    expect([...seen.get(`${brand}:channel`)!]).toEqual(
      expect.arrayContaining(['email', 'sms', 'push', 'chat', 'social']),
    );
    expect([...seen.get(`${brand}:platform`)!]).toEqual(
      expect.arrayContaining(['ios', 'android', 'facebook', 'twitter', 'whatsapp']),
    );
    expect(seen.get(`${brand}:agent_id`)!.size).toBeGreaterThan(5);
    expect([...seen.get(`${nepal}:platform`)!].sort()).toEqual(['android', 'ios', 'web']);
    expect([...seen.get(`${nepal}:type`)!]).toEqual(
      expect.arrayContaining(['message.sent', 'message.delivered', 'message.viewed']),
    );
    // Every type the demo uses is a known type.
    for (const [k, v] of seen) if (k.endsWith(':type')) for (const t of v) expect(EVENT_TYPES).toContain(t);
  });
});

describe('demo loader', () => {
  let wh: TestWarehouse;
  beforeAll(async () => {
    wh = await startTestWarehouse();
  });
  afterAll(async () => wh.close());

  const count = async (sql: string) => Number((await wh.ch.query<{ n: string }>(sql, { tag: 'test' }))[0].n);

  it('loads 20,000 demo events: every one lands in events, and the tenants with their zones', async () => {
    const loader = wh.app.get(DemoLoader);
    const result = await loader.load({ events: 20_000, seed: 5, now: new Date(Date.now() - 60_000), chunkSize: 7_000 });
    expect(result).toMatchObject({ events: 20_000, accepted: 20_000, duplicates: 0, rejected: 0 });
    expect(await count('SELECT count() AS n FROM events')).toBe(20_000);
    expect(await count(`SELECT count() AS n FROM events WHERE source = 'demo'`)).toBe(20_000);
    expect(await count('SELECT count() AS n FROM dead_letters')).toBe(0);
    const tenants = await wh.ch.query<{ tenant_id: string; time_zone: string }>(
      'SELECT tenant_id, time_zone FROM tenants FINAL ORDER BY tenant_id',
      { tag: 'test' },
    );
    expect(tenants).toEqual(
      DEMO_TENANTS.map((t) => ({ tenant_id: t.tenant_id, time_zone: t.time_zone })).sort((a, b) =>
        a.tenant_id.localeCompare(b.tenant_id),
      ),
    );
  });

  it('shows every report with non-trivial numbers for the demo tenants', async () => {
    const reports = wh.app.get(ReportService);
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 120 * 86_400_000).toISOString().slice(0, 10);
    const nonZero = async (name: string, tenant: string, column: string, extra: Record<string, string> = {}) => {
      const result = await reports.run(name, { tenant, from, to, interval: 'month', ...extra });
      return result.rows.reduce((s, r) => s + Number(r[column] ?? 0), 0);
    };
    const [district, brand, nepal] = DEMO_TENANTS.map((t) => t.tenant_id);
    expect(await nonZero('campaign-performance', brand, 'goal')).toBeGreaterThan(0);
    expect(await nonZero('campaign-performance', district, 'viewed')).toBeGreaterThan(0);
    expect(await nonZero('account-usage', brand, 'resolved_conversations')).toBeGreaterThan(0);
    expect(await nonZero('customer-touch', nepal, 'received_2')).toBeGreaterThan(0);
    expect(await nonZero('cohorts', district, 'active')).toBeGreaterThan(0);
    expect(await nonZero('contacts-and-sales', brand, 'transactions')).toBeGreaterThan(0);
    expect(await nonZero('district-new-users', district, 'new_users')).toBeGreaterThan(0);
    expect(await nonZero('district-sign-ins', district, 'users')).toBeGreaterThan(0);
    expect(await nonZero('district-newsgroups', district, 'subscribers_at_end')).toBeGreaterThan(0);
    expect(await nonZero('district-publishing', district, 'emails_opened')).toBeGreaterThan(0);
  });

  it('skips the bootstrap load when events already exist', async () => {
    const loader = wh.app.get(DemoLoader);
    expect(await loader.loadIfEmpty()).toBeNull();
    expect(await count('SELECT count() AS n FROM events')).toBe(20_000);
  });
});
