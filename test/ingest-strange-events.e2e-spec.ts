import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaEventConsumer } from '@tallyhouse/ingest';
import { messageEvents } from './support/events';
import { strangeEvents, type StrangeEvent } from './support/strange-events';
import { waitFor } from './support/wait';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * One strange event never stops ingest: on a real broker and over HTTP, each
 * event at the edge of what the contract and the engine take is stored or
 * dead-lettered, alone, and its neighbours are stored; a partition that cannot
 * store is named on /health while the others go on.
 */
const brokers = process.env.KAFKA_BROKERS!;
const topic = `strange-${randomUUID().slice(0, 8)}`;
const PARTITIONS = 4;
const kafka = new Kafka({ clientId: 'strange-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

let wh: TestWarehouse;
let producer: Producer;

const rows = <T>(sql: string, params: Record<string, unknown> = {}) => wh.ch.query<T>(sql, { tag: 'test', params });

async function storedIds(tenant: string): Promise<string[]> {
  const found = await rows<{ event_id: string }>('SELECT event_id FROM events WHERE tenant_id = {t:String}', {
    t: tenant,
  });
  return found.map((r) => r.event_id).sort();
}

/** POSTs `body` to /v1/events as bytes, exactly (a client library would serialise a Buffer as JSON). */
async function postBytes(
  body: Buffer,
): Promise<{ status: number; body: { [k: string]: unknown; errors: { index: number }[] } }> {
  const server = wh.app.getHttpServer() as import('node:http').Server;
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as import('node:net').AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${wh.adminKey}` },
    body,
  });
  return { status: res.status, body: (await res.json()) as { errors: { index: number }[] } };
}

async function partitionsLag(): Promise<number[]> {
  return (await wh.app.get(KafkaEventConsumer).lag()).map((p) => p.lag);
}

describe('before the broker answers', () => {
  it('serves HTTP at once and says on /health that the broker is unreachable, never lag 0', async () => {
    const started = performance.now();
    const early = await startTestWarehouse({ KAFKA_BROKERS: '127.0.0.1:9', KAFKA_TOPIC: 'nowhere' });
    try {
      expect(performance.now() - started).toBeLessThan(20_000);
      const health = await early.anonymous().get('/health');
      expect(health.status).toBe(503);
      expect(health.body.checks.kafka).toMatchObject({ ok: false, lag: null, partitions: [] });
      expect(health.body.checks.kafka.state).toMatch(/off|connecting/);
      expect(health.body.checks.kafka.broker).toMatch(/not connected|unreachable/);
      // The API answers meanwhile.
      await early.http().get('/v1/auth/me').expect(200);
      expect((await early.anonymous().get('/metrics')).text).toMatch(/tallyhouse_kafka_broker_reachable 0/);
    } finally {
      await early.close();
    }
  }, 60_000);
});

describe('strange events', () => {
  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    wh = await startTestWarehouse({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP: `g-${topic}`,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      KAFKA_STALL_SECONDS: '3',
    });
    await waitFor(async () => (await wh.anonymous().get('/health')).body.checks.kafka?.state === 'consuming', 30_000);
  }, 60_000);

  afterAll(async () => {
    delete process.env.TALLYHOUSE_FAULT_PARTITIONS;
    await producer?.disconnect();
    await wh?.close();
  });

  it('stores every good event once and dead-letters every bad one once with its offset, on every partition', async () => {
    const tenant = 'strange-kafka';
    const good = messageEvents(40 * PARTITIONS, { tenant, contacts: 30 });
    const strange = strangeEvents(tenant);
    // On each partition: good events with every strange one between them.
    const sent: { partition: number; event: StrangeEvent | null; id: string }[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const mine = good.slice(p * 40, (p + 1) * 40);
      const messages: { value: Buffer | string; partition: number }[] = [];
      mine.forEach((e, i) => {
        messages.push({ value: JSON.stringify(e), partition: p });
        sent.push({ partition: p, event: null, id: e.event_id });
        const s = strange[(i + p) % strange.length];
        if (i < strange.length) {
          // Each partition gets every strange event, under an id of its own where it has one.
          const copy =
            p === 0
              ? s
              : { ...s, bytes: Buffer.from(s.bytes.toString('latin1').replace(s.event_id, randomUUID()), 'latin1') };
          messages.push({ value: copy.bytes, partition: p });
          sent.push({ partition: p, event: copy, id: '' });
        }
      });
      const [meta] = await producer.send({ topic, messages });
      let offset = Number(meta.baseOffset);
      for (const s of sent.filter((x) => x.partition === p)) (s as { offset?: number }).offset = offset++;
    }
    await waitFor(async () => (await partitionsLag()).every((l) => l === 0), 60_000, 'lag 0 on every partition');

    const strangeStored = sent.filter((s) => s.event?.stored).length;
    const stored = await storedIds(tenant);
    expect(stored).toHaveLength(good.length + strangeStored);
    expect(new Set(stored).size).toBe(stored.length);
    for (const e of good) expect(stored).toContain(e.event_id);
    const expectedLetters = sent
      .filter((s) => s.event && !s.event.stored)
      .map((s) => `${s.partition}/${(s as { offset?: number }).offset}`)
      .sort();
    const letters = await rows<{ at: string; n: string }>(
      `SELECT concat(toString(partition), '/', toString(offset)) AS at, count() AS n FROM dead_letters
       WHERE topic = {topic:String} GROUP BY at ORDER BY at`,
      { topic },
    );
    expect(letters.map((l) => l.at).sort()).toEqual(expectedLetters);
    expect(letters.every((l) => Number(l.n) === 1)).toBe(true);
    const health = (await wh.anonymous().get('/health')).body.checks.kafka;
    expect(health).toMatchObject({ stalled: [], state: 'consuming' });
  }, 90_000);

  it('answers the same list over HTTP with 200 and an error per bad event, storing the good ones', async () => {
    const tenant = 'strange-http';
    const strange = strangeEvents(tenant);
    const good = messageEvents(strange.length + 1, { tenant });
    const parts: Buffer[] = [];
    good.forEach((e, i) => {
      parts.push(Buffer.from(JSON.stringify(e)));
      if (i < strange.length) parts.push(strange[i].bytes);
    });
    const body = Buffer.concat([
      Buffer.from('['),
      ...parts.flatMap((p, i) => (i ? [Buffer.from(','), p] : [p])),
      Buffer.from(']'),
    ]);
    const res = await postBytes(body);
    expect(res.status).toBe(200);
    const bad = strange.filter((s) => !s.stored);
    expect(res.body).toMatchObject({
      received: good.length + strange.length,
      accepted: good.length + strange.length - bad.length,
      rejected: bad.length,
    });
    // Each error is the strange event's own, at its index.
    const badIndexes = strange.flatMap((s, i) => (s.stored ? [] : [2 * i + 1]));
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual(badIndexes);
    const stored = await storedIds(tenant);
    expect(stored).toEqual(
      [...good.map((e) => e.event_id), ...strange.filter((s) => s.stored).map((s) => s.event_id)].sort(),
    );
    // Kept with the bytes as received: invalid UTF-8 as base64, never with replacement characters.
    const raw = await rows<{ raw: string; raw_encoding: string; reason: string }>(
      `SELECT raw, raw_encoding, reason FROM dead_letters WHERE source = 'http' AND reason LIKE '%UTF-8%'`,
    );
    expect(raw.length).toBe(3);
    for (const r of raw) {
      expect(r.raw_encoding).toBe('base64');
      expect(Buffer.from(r.raw, 'base64').toString('latin1')).toMatch(/\xed\xa0\x80|\xed\xb0\x80|\xff/);
    }
    const deep = await rows<{ reason: string }>(`SELECT reason FROM dead_letters WHERE reason LIKE 'nests%'`);
    expect(deep.map((d) => d.reason).sort()).toEqual([
      expect.stringMatching(/^nests 100000 levels deep; an event nests at most 32/),
      expect.stringMatching(/^nests 100002 levels deep; an event nests at most 32/),
    ]);
  }, 60_000);

  it('names a partition that stores nothing on /health within KAFKA_STALL_SECONDS, while the others go on', async () => {
    const tenant = 'stall';
    process.env.TALLYHOUSE_FAULT_PARTITIONS = '2';
    const events = messageEvents(PARTITIONS * 50, { tenant });
    await producer.send({
      topic,
      messages: events.map((e, i) => ({ value: JSON.stringify(e), partition: i % PARTITIONS })),
    });
    const others = events.filter((_, i) => i % PARTITIONS !== 2).map((e) => e.event_id);
    await waitFor(async () => (await storedIds(tenant)).length === others.length, 30_000, 'the other partitions');
    const started = Date.now();
    let kafkaCheck: { ok: boolean; stalled: { partition: number; first: number; last: number; last_error: string }[] };
    await waitFor(
      async () => {
        const health = await wh.anonymous().get('/health');
        kafkaCheck = health.body.checks.kafka;
        return health.status === 503 && kafkaCheck.stalled.length === 1;
      },
      15_000,
      'the stall on /health',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(kafkaCheck!.ok).toBe(false);
    expect(kafkaCheck!.stalled[0]).toMatchObject({
      partition: 2,
      first: expect.any(Number),
      last: expect.any(Number),
      last_error: expect.stringMatching(/partition 2 refused by a test fault/),
    });
    expect(await storedIds(tenant)).toEqual([...others].sort());
    const lag = await partitionsLag();
    expect(lag.filter((_, p) => p !== 2)).toEqual([0, 0, 0]);
    expect(lag[2]).toBe(50);
    const metrics = (await wh.anonymous().get('/metrics')).text;
    expect(metrics).toMatch(new RegExp(`tallyhouse_kafka_partition_stalled\\{topic="${topic}",partition="2"\\} 1`));
    expect(metrics).toMatch(new RegExp(`tallyhouse_kafka_partition_stalled\\{topic="${topic}",partition="1"\\} 0`));

    // The fault lifted, the partition catches up and /health is ok again.
    delete process.env.TALLYHOUSE_FAULT_PARTITIONS;
    await waitFor(async () => (await storedIds(tenant)).length === events.length, 60_000, 'partition 2 to catch up');
    await waitFor(async () => (await wh.anonymous().get('/health')).status === 200, 30_000, '/health ok again');
  }, 120_000);
});
