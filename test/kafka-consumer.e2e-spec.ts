import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaEventConsumer } from '@tallyhouse/ingest';
import { messageEvents } from './support/events';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';
import { waitFor } from './support/wait';

/**
 * The Kafka consumer in the warehouse process against a real broker
 * (KAFKA_BROKERS, started by jest's global setup when unset).
 */
const brokers = process.env.KAFKA_BROKERS!;
const topic = `events-${randomUUID().slice(0, 8)}`;
const kafka = new Kafka({ clientId: 'test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

let wh: TestWarehouse;
let producer: Producer;

async function count(sql: string): Promise<number> {
  const [row] = await wh.ch.query<{ n: number | string }>(sql, { tag: 'test' });
  return Number(row.n);
}

async function lag(): Promise<number> {
  const partitions = await wh.app.get(KafkaEventConsumer).lag();
  return partitions.reduce((s, p) => s + p.lag, 0);
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  await admin.disconnect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  wh = await startTestWarehouse({
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP: `g-${topic}`,
    KAFKA_MAX_MESSAGE_BYTES: '4096',
    KAFKA_SESSION_TIMEOUT_MS: '10000',
  });
}, 60_000);

afterAll(async () => {
  await producer?.disconnect();
  await wh?.close();
});

describe('Kafka consumer', () => {
  it('stores valid events, dead-letters every kind of bad message with its bytes and offset, and catches up', async () => {
    const valid = messageEvents(3000, { tenant: 'kafka-acme', contacts: 200 });
    const bad: { value: Buffer | string | null; kind: string }[] = [
      { value: '{"event_id": "not json', kind: 'invalid-json' },
      { value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), kind: 'invalid-utf8' },
      { value: Buffer.from('{"a":1}\u0000', 'utf8'), kind: 'nul-bytes' },
      { value: null, kind: 'tombstone' },
      { value: JSON.stringify({ ...valid[0], event_id: randomUUID(), pad: 'x'.repeat(5000) }), kind: 'oversized' },
      {
        value: JSON.stringify({ ...valid[0], event_id: randomUUID(), type: 'message.teleported' }),
        kind: 'invalid type',
      },
      {
        value: JSON.stringify({ ...valid[0], event_id: randomUUID(), tenant_id: undefined }),
        kind: 'invalid tenant_id',
      },
      { value: JSON.stringify({ ...valid[0], event_id: randomUUID(), value: 1e300 }), kind: 'invalid value' },
      {
        value: JSON.stringify({ ...valid[0], event_id: randomUUID(), occurred_at: '2026-02-30T10:00:00Z' }),
        kind: 'invalid occurred_at',
      },
    ];
    // Valid events with bad ones among them, then the first 500 valid ones again (a producer retry).
    const messages = [
      ...valid.slice(0, 1500).map((e) => ({ key: e.contact_id, value: JSON.stringify(e) })),
      ...bad.map((b, i) => ({ key: `bad-${i}`, value: b.value })),
      ...valid.slice(1500).map((e) => ({ key: e.contact_id, value: JSON.stringify(e) })),
      ...valid.slice(0, 500).map((e) => ({ key: e.contact_id, value: JSON.stringify(e) })),
    ];
    await producer.send({ topic, messages });

    await waitFor(async () => (await lag()) === 0, 60_000);
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'kafka-acme'`)).toBe(3000);
    expect(await count(`SELECT count() AS n FROM rollup_15m WHERE tenant_id = 'kafka-acme'`)).toBeGreaterThan(0);
    expect(await count(`SELECT sum(events) AS n FROM rollup_15m WHERE tenant_id = 'kafka-acme'`)).toBe(3000);

    const letters = await wh.ch.query<{
      reason: string;
      field: string;
      raw: string;
      raw_encoding: string;
      topic: string;
      partition: number;
      offset: number | string;
    }>(
      `SELECT reason, field, raw, raw_encoding, topic, partition, offset FROM dead_letters WHERE source = 'kafka' ORDER BY reason`,
      {
        tag: 'test',
      },
    );
    expect(letters).toHaveLength(bad.length);
    for (const l of letters) {
      expect(l.topic).toBe(topic);
      expect(Number(l.offset)).toBeGreaterThanOrEqual(0);
    }
    const byReason = (re: RegExp) => letters.find((l) => re.test(l.reason));
    expect(byReason(/not valid UTF-8/)).toMatchObject({ raw_encoding: 'base64', raw: 'eyL//iJ9' });
    expect(byReason(/NUL bytes/)).toMatchObject({ raw_encoding: 'base64' });
    expect(byReason(/tombstone/)).toBeDefined();
    expect(byReason(/over the limit of 4096/)).toBeDefined();
    expect(byReason(/not valid JSON/)).toMatchObject({ raw: '{"event_id": "not json', raw_encoding: 'text' });
    expect(letters.find((l) => l.field === 'type')).toBeDefined();
    expect(letters.find((l) => l.field === 'tenant_id')).toBeDefined();
    expect(letters.find((l) => l.field === 'value')).toBeDefined();
    expect(letters.find((l) => l.field === 'occurred_at')).toBeDefined();

    // /health answers a check slower than 50 ms from its last result: wait for the fresh one.
    await waitFor(
      async () => (await wh.http().get('/health')).body.checks.kafka?.dead_letters_since_start?.tombstone === 1,
      30_000,
      'fresh Kafka health',
    );
    const health = await wh.http().get('/health');
    expect(health.body.checks.kafka).toMatchObject({ ok: true, topic, lag: 0 });
    expect(health.body.checks.kafka.dead_letters_since_start).toMatchObject({ tombstone: 1, 'invalid-utf8': 1 });
    expect(health.body.checks.kafka.messages_per_second).toBeGreaterThan(0);
    const metrics = await wh.http().get('/metrics');
    expect(metrics.text).toMatch(/tallyhouse_kafka_consumer_lag\{topic="[^"]+",partition="\d"\} 0/);
    expect(metrics.text).toMatch(/tallyhouse_dead_letters_total\{source="kafka",kind="tombstone"\} 1/);
  }, 90_000);

  it('stores nothing twice when the whole topic is consumed again from the start', async () => {
    const before = await count(`SELECT count() AS n FROM events`);
    const lettersBefore = await count(`SELECT count() AS n FROM dead_letters`);
    const consumer = wh.app.get(KafkaEventConsumer);
    await consumer.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: `g-${topic}`, topic, earliest: true });
    await admin.disconnect();
    await consumer.start();
    await waitFor(async () => (await lag()) === 0, 60_000);
    expect(await count(`SELECT count() AS n FROM events`)).toBe(before);
    expect(await count(`SELECT sum(events) AS n FROM rollup_15m`)).toBe(before);
    expect(await count(`SELECT count() AS n FROM dead_letters`)).toBe(lettersBefore);
  }, 90_000);
  it('holds the partition and retries while ClickHouse refuses inserts as overloaded, then stores everything once', async () => {
    // TOO_MANY_PARTS is how a real server says "slow down": every insert into events fails until it is lifted.
    await wh.ch.command(`ALTER TABLE events MODIFY SETTING parts_to_throw_insert = 1`, { tag: 'test' });
    const events = messageEvents(1000, { tenant: 'kafka-overload' });
    try {
      await producer.send({ topic, messages: events.map((e) => ({ key: e.contact_id, value: JSON.stringify(e) })) });
      await waitFor(
        async () => /tallyhouse_kafka_insert_failures_total [1-9]/.test((await wh.http().get('/metrics')).text),
        60_000,
        'a failed insert to be counted',
      );
      expect(await lag()).toBeGreaterThan(0);
      await waitFor(
        async () => /Too many parts/.test((await wh.http().get('/health')).body.checks.kafka?.last_error ?? ''),
        30_000,
        'the insert failure on /health',
      );
    } finally {
      await wh.ch.command(`ALTER TABLE events RESET SETTING parts_to_throw_insert`, { tag: 'test' });
    }
    await waitFor(async () => (await lag()) === 0, 90_000, 'lag 0 after the engine recovers');
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'kafka-overload'`)).toBe(1000);
    expect(await count(`SELECT sum(events) AS n FROM rollup_15m WHERE tenant_id = 'kafka-overload'`)).toBe(1000);
  }, 120_000);

  it('isolates an event the engine itself refuses and stores its neighbours', async () => {
    // A constraint stands in for any row the engine rejects after the contract accepted it.
    await wh.ch.command(`ALTER TABLE events ADD CONSTRAINT no_poison CHECK campaign_id != 'poison'`, { tag: 'test' });
    try {
      const events = messageEvents(200, { tenant: 'kafka-poison' });
      events[117].campaign_id = 'poison';
      // One partition, one batch: the poison is inside the same insert as its neighbours.
      await producer.send({ topic, messages: events.map((e) => ({ key: 'same', value: JSON.stringify(e) })) });
      await waitFor(async () => (await lag()) === 0, 60_000);
      expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'kafka-poison'`)).toBe(199);
      const [letter] = await wh.ch.query<{ reason: string; event_id: string }>(
        `SELECT reason, event_id FROM dead_letters WHERE tenant_id = 'kafka-poison'`,
        { tag: 'test' },
      );
      expect(letter.event_id).toBe(events[117].event_id);
      expect(letter.reason).toMatch(/refused by ClickHouse: .*no_poison/);
    } finally {
      await wh.ch.command(`ALTER TABLE events DROP CONSTRAINT no_poison`, { tag: 'test' });
    }
  }, 90_000);
});
