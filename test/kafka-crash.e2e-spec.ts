import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from './support/kafka-broker';
import {
  compareWithProduced,
  exited,
  groupLag,
  produceCrashSet,
  startConsumerProcess,
  type ProducedSet,
} from './support/kafka-crash-run';

/**
 * Exactly once across crashes, for real: the consumer is the warehouse
 * process, killed with SIGKILL again and again (at chosen steps of storing an
 * offset range, and at random moments), the broker is restarted once, and at
 * the end events, every view-fed rollup and dead_letters equal a recomputation
 * from what was produced. This test runs its own broker, since it restarts it.
 */
const POINTS = ['before-insert', 'during-insert', 'after-insert'] as const;

interface Scenario {
  events: number;
  partitions: number;
  /** Runs that end in a SIGKILL before the final clean run. */
  kills: number;
  env?: Record<string, string>;
  /** Restart the broker while this run (index) is consuming. */
  brokerRestartAt?: number;
  /** Steps to crash at (default all); every other run is killed at a random moment unless aimedOnly. */
  points?: readonly string[];
  aimedOnly?: boolean;
  /** Chance of dying at the aimed step, per offset range (default 0.25). */
  probability?: number;
}

async function runScenario(broker: KafkaBroker, s: Scenario) {
  const topic = `crash-${randomUUID().slice(0, 8)}`;
  const group = `g-${topic}`;
  const admin = new Kafka({ clientId: 'crash', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: s.partitions }] });
  await admin.disconnect();
  const produced: ProducedSet = await produceCrashSet(broker.brokers, topic, s.events);
  const dataDir = mkdtempSync(join(tmpdir(), 'tallyhouse-kafka-crash-'));
  const log: string[] = [];
  const kills: Record<string, number> = {};
  const env = (extra: Record<string, string>) => ({
    KAFKA_BROKERS: broker.brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP: group,
    KAFKA_MAX_BATCH_EVENTS: '2000',
    KAFKA_MAX_MESSAGE_BYTES: '65536',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...s.env,
    ...extra,
  });
  try {
    // Runs until `kills` processes died (at most twice as many runs): an aimed run counts for its
    // step only if the process says it died there (a slow start can end in the deadline instead).
    let killed = 0;
    for (let run = 0; killed < s.kills && run < 2 * s.kills; run++) {
      const lagBefore = await groupLag(broker.brokers, group, topic);
      if (lagBefore === 0) break; // all stored already: nothing left to crash into
      // Odd runs: killed from outside at a random moment; even runs: at a chosen step.
      const points = s.points ?? POINTS;
      const aimed = s.aimedOnly || run % 2 === 0;
      const point = points[(s.aimedOnly ? run : (run / 2) | 0) % points.length];
      const runLog: string[] = [];
      const child = startConsumerProcess(
        dataDir,
        env(aimed ? { TALLYHOUSE_CRASH_POINTS: `${point}:${s.probability ?? 0.25}` } : {}),
        (line) => {
          log.push(line);
          runLog.push(line);
        },
      );
      if (run === s.brokerRestartAt) {
        await new Promise((r) => setTimeout(r, 5000));
        await broker.restart();
      }
      if (!aimed) {
        setTimeout(() => child.kill('SIGKILL'), 5000 + Math.random() * 3000);
      }
      const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000);
      await exited(child);
      clearTimeout(deadline);
      const hit = runLog.join('').includes(`crash point ${point}`);
      const how =
        child.signalCode !== 'SIGKILL' ? `exit ${child.exitCode}` : !aimed ? 'random moment' : hit ? point : 'deadline';
      kills[how] = (kills[how] ?? 0) + 1;
      if (how !== 'deadline' && !how.startsWith('exit')) killed++;
    }
    // The last run: no faults; it must catch up and stop cleanly on SIGTERM.
    const child = startConsumerProcess(dataDir, env({ TALLYHOUSE_CRASH_POINTS: '' }), (line) => log.push(line));
    const started = Date.now();
    while ((await groupLag(broker.brokers, group, topic)) > 0) {
      if (Date.now() - started > 180_000) throw new Error(`consumer did not catch up:\n${log.join('').slice(-4000)}`);
      if (child.exitCode !== null) throw new Error(`consumer exited ${child.exitCode}:\n${log.join('').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    child.kill('SIGTERM');
    await exited(child);
    // Nest closes the app on SIGTERM (consumer stopped after its range, engine closed), then re-raises the signal.
    const cleanStop = child.exitCode === 0 || child.signalCode === 'SIGTERM';
    return { produced, mismatches: await compareWithProduced(dataDir, produced), kills, cleanStop };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('Kafka ingest across crashes and a broker restart', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafkaBroker(`crash-${process.pid}`);
  }, 15 * 60_000);
  afterAll(async () => {
    await broker?.stop();
  });

  it(
    'counts every valid event exactly once in events and every rollup, every bad message once in dead_letters',
    async () => {
      const result = await runScenario(broker, { events: 200_000, partitions: 4, kills: 12, brokerRestartAt: 5 });
      console.log(
        `200k events, ${result.produced.messages} messages (${result.produced.bad} bad); kills: ${JSON.stringify(result.kills)}`,
      );
      const killed = Object.entries(result.kills)
        .filter(([how]) => how !== 'deadline' && !how.startsWith('exit'))
        .reduce((s, [, n]) => s + n, 0);
      expect(killed).toBeGreaterThanOrEqual(10);
      for (const point of POINTS) expect(result.kills[point]).toBeGreaterThan(0);
      expect(result.mismatches).toEqual([]);
      expect(result.cleanStop).toBe(true);
    },
    12 * 60_000,
  );

  it(
    'negative control: without insert deduplication tokens the same crashes double-count',
    async () => {
      const result = await runScenario(broker, {
        events: 20_000,
        partitions: 2,
        kills: 4,
        env: { INGEST_DEDUP_TOKENS: 'false' },
        points: ['after-insert'],
        aimedOnly: true,
        probability: 0.5,
      });
      console.log(
        `negative control: kills ${JSON.stringify(result.kills)}; mismatches ${JSON.stringify(result.mismatches)}`,
      );
      expect(result.kills['after-insert']).toBeGreaterThanOrEqual(1);
      expect(result.mismatches.length).toBeGreaterThan(0);
      expect(result.mismatches.some((m) => m.what === 'events rows' && m.actual > m.expected)).toBe(true);
    },
    8 * 60_000,
  );
});
