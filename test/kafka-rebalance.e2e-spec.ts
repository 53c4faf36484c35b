import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventConsumer } from '@tallyhouse/ingest';
import { messageEvents } from './support/events';
import { exited, startConsumerProcess } from './support/kafka-crash-run';
import { waitFor } from './support/wait';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Two consumers in one group: this process's warehouse, and another process
 * that is SIGKILLed in the middle of its first range (after its insert, before
 * its commit). The group rebalances twice (when the second joins, and when it
 * is found dead); the survivor ends up with every partition and stores every
 * event exactly once. The victim has its own data directory (one embedded
 * engine per directory), and it committed nothing, so everything it took must
 * reach the survivor again.
 */
const brokers = process.env.KAFKA_BROKERS!;
const topic = `rebalance-${randomUUID().slice(0, 8)}`;
const group = `g-${topic}`;
const kafka = new Kafka({ clientId: 'test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const env = {
  KAFKA_BROKERS: brokers,
  KAFKA_TOPIC: topic,
  KAFKA_GROUP: group,
  KAFKA_MAX_BATCH_EVENTS: '500',
  KAFKA_SESSION_TIMEOUT_MS: '6000',
};

let wh: TestWarehouse;
const victimDir = mkdtempSync(join(tmpdir(), 'tallyhouse-victim-'));

afterAll(async () => {
  await wh?.close();
  rmSync(victimDir, { recursive: true, force: true });
});

it('loses and duplicates nothing when a consumer of the group is killed mid-range', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 4 }] });

  let victimLog = '';
  const victim = startConsumerProcess(
    victimDir,
    { ...env, TALLYHOUSE_CRASH_POINTS: 'after-insert:1', LOG_LEVEL: 'log' },
    (l) => {
      victimLog += l;
    },
  );
  await waitFor(async () => /joined g-rebalance/.test(victimLog), 60_000, 'the victim to join the group');
  wh = await startTestWarehouse(env);
  const members = async () => (await admin.describeGroups([group])).groups[0].members.length;
  await waitFor(async () => (await members()) === 2, 60_000, 'two members in the group');

  const events = messageEvents(20_000, { tenant: 'rebalance', contacts: 700 });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < events.length; i += 2000) {
    await producer.send({
      topic,
      messages: events.slice(i, i + 2000).map((e) => ({ key: e.contact_id, value: JSON.stringify(e) })),
    });
  }
  await producer.disconnect();

  await exited(victim);
  expect(victim.signalCode).toBe('SIGKILL');
  expect(victimLog).toContain('crash point after-insert');

  const consumer = wh.app.get(KafkaEventConsumer);
  await waitFor(async () => (await consumer.lag()).every((p) => p.lag === 0), 120_000, 'lag 0 on every partition');
  expect(await members()).toBe(1);
  await admin.disconnect();

  const [row] = await wh.ch.query<{ n: number; ids: number; rolled: number }>(
    `SELECT count() AS n, uniqExact(event_id) AS ids,
            (SELECT sum(events) FROM rollup_15m WHERE tenant_id = 'rebalance') AS rolled
     FROM events WHERE tenant_id = 'rebalance'`,
    { tag: 'test' },
  );
  expect({ n: Number(row.n), ids: Number(row.ids), rolled: Number(row.rolled) }).toEqual({
    n: 20_000,
    ids: 20_000,
    rolled: 20_000,
  });
}, 240_000);
