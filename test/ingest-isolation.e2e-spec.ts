import { randomUUID } from 'node:crypto';
import { Prng } from '@tallyhouse/demo';
import { EventContract, type ValidEvent } from '@tallyhouse/events';
import { EventWriter } from '@tallyhouse/ingest';
import { messageEvents, type TestEvent } from './support/events';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Whatever the engine refuses is isolated to the one event, in every insert
 * of the write path (staging its keys, numbering contacts, events, the views
 * it feeds); an engine that refuses everything is an outage, not 10,000 bad
 * events. Then 10,000 random mutations of valid events, not one request
 * failing as a whole.
 */
let wh: TestWarehouse;
const count = async (sql: string) => Number((await wh.ch.query<{ n: string }>(sql, { tag: 'test' }))[0].n);
const contract = new EventContract({ maxFutureMs: 24 * 3_600_000 });

beforeAll(async () => {
  wh = await startTestWarehouse();
}, 60_000);
afterAll(async () => wh?.close());

/** Valid events as the contract makes them, then changed past it (a gap in the contract, as it were). */
function validEvents(tenant: string, n: number): ValidEvent[] {
  return messageEvents(n, { tenant }).map((e) => {
    const r = contract.validate(e);
    if (!r.ok) throw new Error(r.error.reason);
    return r.event;
  });
}

describe('the write path', () => {
  it('isolates an event the staging or the events insert refuses, and stores its neighbours once', async () => {
    const events = validEvents('isolate', 12);
    events[2].contact_id = 'staging-\ud800'; // refused when its key is staged
    events[5].properties = { ['key-\ud800']: 'v' }; // refused by the events insert (not staged)
    events[7].value = 1e14; // past Decimal(18, 4)
    const result = await wh.app.get(EventWriter).write(events, 'test');
    expect(result.refused.map((r) => r.index)).toEqual([2, 5, 7]);
    expect(result.refused.every((r) => /^refused by ClickHouse: /.test(r.reason))).toBe(true);
    expect(result.accepted).toBe(9);
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'isolate'`)).toBe(9);
    expect(await count(`SELECT sum(events) AS n FROM rollup_15m WHERE tenant_id = 'isolate'`)).toBe(9);
  });

  it('takes a view that refuses a block events already took for the engine’s fault: retried whole, never stored twice', async () => {
    await wh.ch.command(`CREATE TABLE poison_seen (campaign_id String) ENGINE = Null`, { tag: 'test' });
    // A view that refuses one campaign. ClickHouse writes events' part before it runs the views, so
    // halving the block as for a refused row would store its other rows again.
    await wh.ch.command(
      `CREATE MATERIALIZED VIEW poison_view TO poison_seen AS
       SELECT campaign_id FROM events WHERE throwIf(campaign_id = 'view-poison', 'the view refuses it') = 0`,
      { tag: 'test' },
    );
    const events = validEvents('view-refuses', 10);
    events[4].campaign_id = 'view-poison';
    const writer = wh.app.get(EventWriter);
    try {
      await expect(writer.write(events, 'test', { batchKey: 'view-test' })).rejects.toThrow(/a view refused it/);
      expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'view-refuses'`)).toBe(10);
    } finally {
      await wh.ch.command('DROP TABLE IF EXISTS poison_view', { tag: 'test' });
      await wh.ch.command('DROP TABLE IF EXISTS poison_seen', { tag: 'test' });
    }
    // The same block again (as a Kafka range is retried): every table ends with it once.
    const again = await writer.write(events, 'test', { batchKey: 'view-test' });
    expect(again.refused).toEqual([]);
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'view-refuses'`)).toBe(10);
    expect(await count(`SELECT sum(events) AS n FROM rollup_15m WHERE tenant_id = 'view-refuses'`)).toBe(10);
  });

  it('dead-letters over HTTP what a constraint refuses, with its bytes, and answers 200', async () => {
    await wh.ch.command(`ALTER TABLE events ADD CONSTRAINT no_poison CHECK campaign_id != 'poison'`, { tag: 'test' });
    try {
      const events = messageEvents(30, { tenant: 'http-poison' });
      events[13].campaign_id = 'poison';
      const res = await wh.http().post('/v1/events').send(events).expect(200);
      expect(res.body).toMatchObject({ received: 30, accepted: 29, rejected: 1 });
      expect(res.body.errors[0]).toMatchObject({ index: 13, event_id: events[13].event_id });
      const [letter] = await wh.ch.query<{ raw: string; reason: string }>(
        `SELECT raw, reason FROM dead_letters WHERE tenant_id = 'http-poison'`,
        { tag: 'test' },
      );
      expect(JSON.parse(letter.raw)).toEqual(events[13]);
      expect(letter.reason).toMatch(/refused by ClickHouse: .*no_poison/);
    } finally {
      await wh.ch.command(`ALTER TABLE events DROP CONSTRAINT no_poison`, { tag: 'test' });
    }
  });

  it('takes an engine that refuses everything for an outage: nothing dead-lettered, the request fails', async () => {
    const letters = await count('SELECT count() AS n FROM dead_letters');
    // The writer's staging table gone: every block fails, and so does a staging row that cannot be wrong.
    await wh.ch.command('DROP TABLE events_staging_local', { tag: 'test' });
    try {
      const res = await wh
        .http()
        .post('/v1/events')
        .send(messageEvents(5, { tenant: 'outage' }));
      expect(res.status).toBe(500);
      expect(await count('SELECT count() AS n FROM dead_letters')).toBe(letters);
    } finally {
      await wh.ch.command('CREATE TABLE events_staging_local AS events_staging_template ENGINE = Memory', {
        tag: 'test',
      });
    }
    const again = await wh
      .http()
      .post('/v1/events')
      .send(messageEvents(5, { tenant: 'outage' }))
      .expect(200);
    expect(again.body.accepted).toBe(5);
  });
});

describe('10,000 random mutations of valid events', () => {
  it('never fails a request as a whole: every event is stored, a duplicate or dead-lettered, and counted', async () => {
    const random = new Prng(20261204);
    const eventsBefore = await count('SELECT count() AS n FROM events');
    const lettersBefore = await count(`SELECT count() AS n FROM dead_letters WHERE source = 'http'`);
    const totals = { received: 0, accepted: 0, duplicates: 0, rejected: 0 };
    const statuses: number[] = [];
    const seen: TestEvent[] = [];
    // Half the requests are JSON arrays of mutated values (each element well-formed JSON: a bad byte in an
    // array can swallow its neighbours, as in any JSON reader), half NDJSON, where bytes are mutated too.
    for (let request = 0; request < 20; request++) {
      const ndjson = request % 2 === 1;
      const elements: Buffer[] = [];
      const start = Date.UTC(2026, 8, 1) + request * 3_600_000;
      for (const event of messageEvents(500, { tenant: `fuzz-${request % 3}`, start })) {
        seen.push(event);
        elements.push(mutate(event, random, seen, ndjson));
      }
      const body = ndjson
        ? Buffer.concat(elements.flatMap((e) => [e, Buffer.from('\n')]))
        : Buffer.concat([
            Buffer.from('['),
            ...elements.flatMap((e, i) => (i ? [Buffer.from(','), e] : [e])),
            Buffer.from(']'),
          ]);
      const res = await post(body, ndjson ? 'application/x-ndjson' : 'application/json');
      statuses.push(res.status);
      if (res.status !== 200) continue;
      const r = res.body as typeof totals;
      expect(r.accepted + r.duplicates + r.rejected).toBe(r.received);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
    }
    console.log(`fuzz: ${JSON.stringify(totals)}`);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(totals.received).toBe(10_000);
    expect(totals.accepted).toBeGreaterThan(1_000);
    expect(totals.rejected).toBeGreaterThan(1_000);
    expect(await count('SELECT count() AS n FROM events')).toBe(eventsBefore + totals.accepted);
    expect(await count(`SELECT count() AS n FROM dead_letters WHERE source = 'http'`)).toBe(
      lettersBefore + totals.rejected,
    );
  }, 120_000);
});

/** POSTs `body` as bytes (a client library would serialise a Buffer as JSON). */
async function post(body: Buffer, contentType = 'application/json'): Promise<{ status: number; body: unknown }> {
  const server = wh.app.getHttpServer() as import('node:http').Server;
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as import('node:net').AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, Authorization: `Bearer ${wh.adminKey}` },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const ODD_TEXT = [
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  '\ufffe',
  '\uffff',
  '\u0000',
  '\u0001',
  '\u007f',
  '\u2028',
  '\u202e',
  '"',
  '\\',
  '😀'.repeat(300),
  'x'.repeat(5000),
  '',
];
const ODD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e14,
  -1e14,
  99_999_999_999_999.98,
  1e308,
  -5e-324,
  Number.MAX_SAFE_INTEGER,
  'twelve',
  '',
  [],
  {},
  { a: { b: { c: [1, 2, 3] } } },
  Array.from({ length: 70 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])),
];
const FIELDS = [
  'event_id',
  'tenant_id',
  'occurred_at',
  'type',
  'contact_id',
  'channel',
  'platform',
  'campaign_id',
  'value',
  'properties',
  'conversation_id',
];

/**
 * One valid event changed at random: a field's value or type, odd text, deep nesting, a repeat of an
 * earlier event, or nothing at all; with `bytes`, also a few of its bytes flipped, dropped or inserted
 * (never a newline: that would make two lines of one).
 */
function mutate(event: TestEvent, random: Prng, seen: TestEvent[], bytes: boolean): Buffer {
  const e: Record<string, unknown> = { ...event };
  const field = FIELDS[random.int(0, FIELDS.length - 1)];
  switch (random.int(0, 9)) {
    case 0:
      break; // left valid
    case 1:
      delete e[field];
      break;
    case 2:
      e[field] = ODD_VALUES[random.int(0, ODD_VALUES.length - 1)];
      break;
    case 3: {
      const text = String(e[field] ?? 'x');
      const at = random.int(0, text.length);
      e[field] = text.slice(0, at) + ODD_TEXT[random.int(0, ODD_TEXT.length - 1)] + text.slice(at);
      break;
    }
    case 4:
      e.properties = {
        [ODD_TEXT[random.int(0, ODD_TEXT.length - 1)] || 'k']: ODD_TEXT[random.int(0, ODD_TEXT.length - 1)],
      };
      break;
    case 5:
      // A producer retry: an event already sent, as it was.
      return Buffer.from(JSON.stringify(seen[random.int(0, seen.length - 1)]));
    case 6: {
      const depth = random.int(30, 3000);
      e[field] = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      return Buffer.from(JSON.stringify(e).replace(/"(\[+\]+)"/, '$1'));
    }
    case 7:
      e.occurred_at = [Date.now() + random.int(-3e12, 3e12), '2026-02-30T00:00:00Z', '2026-10-01T25:00:00Z', 1e300, -0][
        random.int(0, 4)
      ];
      break;
    default: {
      if (!bytes) break;
      // Bytes: flip, drop or insert a few anywhere (broken JSON, invalid UTF-8).
      const out: number[] = [...Buffer.from(JSON.stringify(e))];
      for (let n = random.int(1, 4); n > 0; n--) {
        const at = random.int(0, out.length - 1);
        const op = random.int(0, 2);
        const flipped = random.int(0, 255);
        if (op === 0) out[at] = flipped === 0x0a ? 0x0b : flipped;
        else if (op === 1) out.splice(at, 1);
        else out.splice(at, 0, [0xff, 0xc0, 0xed, 0xa0, 0x80, 0x22, 0x5c, 0x2c, 0x7b][random.int(0, 8)]);
      }
      return Buffer.from(out);
    }
  }
  if (random.chance(0.05)) e.event_id = randomUUID();
  return Buffer.from(JSON.stringify(e));
}
