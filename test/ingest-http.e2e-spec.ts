import { messageEvents, type TestEvent } from './support/events';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/** The ten ways an event goes wrong; each must land in dead_letters with its reason. */
function badEvents(): unknown[] {
  const [a, b, c, d, e, f, g, h] = messageEvents(8, { tenant: 'acme', start: Date.UTC(2026, 9, 20) });
  return [
    { ...a, event_id: 'not-a-uuid' },
    { ...b, occurred_at: '1999-12-31T23:59:59Z' },
    { ...c, occurred_at: '2099-01-01T00:00:00Z' },
    { ...d, type: 'message.teleported' },
    { ...e, tenant_id: undefined },
    { ...f, contact_id: undefined },
    { ...g, value: 'twelve' },
    { ...h, occurred_at: '2026-10-20 10:00:00' },
    'just a string',
    null,
  ];
}

describe('POST /v1/events', () => {
  let wh: TestWarehouse;
  const count = async (sql: string) => Number((await wh.ch.query<{ n: string }>(sql, { tag: 'test' }))[0].n);
  const stored = () => count(`SELECT count() AS n FROM events`);
  const rolledUp = () => count(`SELECT sum(events) AS n FROM rollup_15m`);

  beforeAll(async () => {
    wh = await startTestWarehouse();
  });
  afterAll(async () => wh.close());

  it('stores 990 of 1,000 events and dead-letters the 10 bad ones with their field and reason', async () => {
    const good = messageEvents(990, { tenant: 'acme' });
    const bad = badEvents();
    const body: unknown[] = [...good];
    bad.forEach((e, i) => body.splice(i * 97 + 5, 0, e));

    const res = await wh.http().post('/v1/events').send(body).expect(200);

    expect(res.body).toMatchObject({ received: 1000, accepted: 990, duplicates: 0, rejected: 10 });
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual(bad.map((_, i) => i * 97 + 5));
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual([
      'event_id',
      'occurred_at',
      'occurred_at',
      'type',
      'tenant_id',
      'contact_id',
      'value',
      'occurred_at',
      '',
      '',
    ]);
    expect(res.body.errors[1].reason).toMatch(/before 2000/);
    expect(res.body.errors[2].reason).toMatch(/future/);
    expect(res.body.errors[0]).toMatchObject({ event_id: 'not-a-uuid' });
    expect(await stored()).toBe(990);
    expect(await rolledUp()).toBe(990);
    const letters = await wh.ch.query<{ field: string; reason: string; raw: string }>(
      `SELECT field, reason, raw FROM dead_letters WHERE source = 'http' ORDER BY received_at`,
      { tag: 'test' },
    );
    expect(letters).toHaveLength(10);
    expect(letters.every((l) => l.reason.length > 0 && l.raw.length > 0)).toBe(true);
    expect(letters.find((l) => l.field === 'type')?.raw).toContain('message.teleported');
  });

  it('counts a re-sent batch as duplicates and changes no count', async () => {
    const batch = messageEvents(500, { tenant: 'resend', start: Date.UTC(2026, 8, 1) });
    const first = await wh.http().post('/v1/events').send(batch).expect(200);
    expect(first.body).toMatchObject({ accepted: 500, duplicates: 0 });
    const before = [await stored(), await rolledUp()];

    const again = await wh.http().post('/v1/events').send(batch).expect(200);

    expect(again.body).toMatchObject({ received: 500, accepted: 0, duplicates: 500, rejected: 0 });
    expect([await stored(), await rolledUp()]).toEqual(before);
  });

  it('stores an event repeated inside one request once', async () => {
    const [e] = messageEvents(1, { tenant: 'repeat', start: Date.UTC(2026, 7, 1) });
    const res = await wh.http().post('/v1/events').send([e, e, e]).expect(200);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'repeat'`)).toBe(1);
  });

  it('recognises single events re-sent days later inside the dedup window, and only inside it', async () => {
    const events = messageEvents(20, { tenant: 'later', start: Date.UTC(2026, 6, 1) });
    await wh.http().post('/v1/events').send(events).expect(200);
    // As if they had been ingested 3 days ago.
    await wh.ch.command(
      `ALTER TABLE events UPDATE ingested_at = ingested_at - INTERVAL 3 DAY WHERE tenant_id = 'later'`,
      { tag: 'test', settings: { mutations_sync: 2 } },
    );
    for (const e of [events[3], events[17]]) {
      const res = await wh.http().post('/v1/events').send(e).expect(200);
      expect(res.body).toMatchObject({ accepted: 0, duplicates: 1 });
    }
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'later'`)).toBe(20);
    expect(await count(`SELECT sum(events) AS n FROM rollup_15m WHERE tenant_id = 'later'`)).toBe(20);

    // Past the 7-day window the same event_id is a new event (as in Amplitude's insert_id).
    await wh.ch.command(
      `ALTER TABLE events UPDATE ingested_at = ingested_at - INTERVAL 5 DAY WHERE tenant_id = 'later'`,
      { tag: 'test', settings: { mutations_sync: 2 } },
    );
    const late = await wh.http().post('/v1/events').send(events[3]).expect(200);
    expect(late.body).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('reads NDJSON line by line: a broken line is rejected, its neighbours stored', async () => {
    const events = messageEvents(3, { tenant: 'ndjson', start: Date.UTC(2026, 5, 1) });
    const body = [
      JSON.stringify(events[0]),
      '{"event_id": oops',
      JSON.stringify(events[1]),
      JSON.stringify(events[2]),
    ].join('\n');
    const res = await wh.http().post('/v1/events').set('Content-Type', 'application/x-ndjson').send(body).expect(200);
    expect(res.body).toMatchObject({ received: 4, accepted: 3, rejected: 1 });
    expect(res.body.errors[0]).toMatchObject({ index: 1, field: '' });
    expect(res.body.errors[0].reason).toMatch(/invalid JSON/);
  });

  it('answers 400 with a JSON error for a body that is not JSON, and keeps the body as a dead letter', async () => {
    const res = await wh
      .http()
      .post('/v1/events')
      .set('Content-Type', 'application/json')
      .send('{"event_id": "a",')
      .expect(400);
    expect(res.body.message).toMatch(/not valid JSON/);
    expect(await count(`SELECT count() AS n FROM dead_letters WHERE raw = '{"event_id": "a",'`)).toBe(1);
  });

  it('reads a cut-off array event by event: the complete ones are judged, the rest is named', async () => {
    const [event] = messageEvents(1, { tenant: 'cut-off', start: Date.UTC(2026, 5, 2) });
    const body = `[${JSON.stringify(event)}, {"event_id": "b`;
    const res = await wh.http().post('/v1/events').set('Content-Type', 'application/json').send(body).expect(200);
    expect(res.body).toMatchObject({ received: 2, accepted: 1, rejected: 1 });
    expect(res.body.errors[0]).toMatchObject({ index: 1, reason: expect.stringMatching(/before the array is closed/) });
    expect(await count(`SELECT count() AS n FROM dead_letters WHERE raw = '{"event_id": "b'`)).toBe(1);
  });

  it('answers 413 naming the limit when a request has too many events', async () => {
    const [one]: TestEvent[] = messageEvents(1, { tenant: 'limit' });
    const huge = Array.from({ length: 50_001 }, () => one);
    const res = await wh.http().post('/v1/events').send(huge).expect(413);
    expect(res.body.message).toMatch(/limit is 50000 per request \(INGEST_MAX_EVENTS\)/);
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'limit'`)).toBe(0);
  });

  it('serves the event contract as JSON Schema', async () => {
    const res = await wh.http().get('/v1/events/schema').expect(200);
    expect(res.body.required).toEqual(['event_id', 'tenant_id', 'occurred_at', 'type']);
  });

  it('counts accepted, rejected and duplicate events on /metrics', async () => {
    const res = await wh.http().get('/metrics').expect(200);
    expect(res.text).toMatch(/tallyhouse_events_accepted_total\{source="http"\} \d+/);
    expect(res.text).toMatch(/tallyhouse_events_rejected_total\{source="http",field="type"\} 1/);
    expect(res.text).toMatch(/tallyhouse_events_duplicate_total\{source="http"\} \d+/);
    expect(res.text).toContain('tallyhouse_ingest_latency_seconds_bucket');
  });

  it('shows per tenant and type counts and exact unique contacts on /v1/stats', async () => {
    const res = await wh.http().get('/v1/stats?tenant=acme&from=2026-09-01&to=2026-12-01').expect(200);
    const raw = await wh.ch.query<{ type: string; events: string; contacts: string }>(
      `SELECT type, count() AS events, uniqExact(contact_id) AS contacts FROM events WHERE tenant_id = 'acme' GROUP BY type ORDER BY type`,
      { tag: 'test' },
    );
    expect(res.body.rows).toEqual(
      raw.map((r) => ({ tenant_id: 'acme', type: r.type, events: Number(r.events), contacts: Number(r.contacts) })),
    );
  });

  it('rejects bad stats parameters with 400 naming the parameter', async () => {
    const res = await wh.http().get('/v1/stats?from=yesterday').expect(400);
    expect(JSON.stringify(res.body)).toMatch(/from must be an ISO 8601/);
  });
});
