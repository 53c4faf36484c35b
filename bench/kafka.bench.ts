import { cpus } from 'node:os';
import { Kafka, logLevel, Partitioners, type Admin, type Message } from 'kafkajs';
import { ClickHouseService, createEngineClient, MigrationRunner, type CallOptions } from '@tallyhouse/clickhouse';
import { createHttpApp } from '@tallyhouse/http';
import { EVENT_COLUMNS, EventIngestService, EventWriter, KafkaEventConsumer } from '@tallyhouse/ingest';
import { startKafkaBroker, type KafkaBroker } from '../test/support/kafka-broker';
import { BENCH_TENANTS, contactsPerTenant, eventBlocks, type GeneratorOptions } from './generator';
import { fmtInt, freshDir, loadLine, parseArgs, parseCount, removeDir, seconds, table, writeResults } from './util';

/**
 * Kafka ingestion. One topic is filled before anything is timed, then read by:
 *   e2e      the warehouse app in-process: from its consumer having joined the
 *            group until the group's lag is 0 and rollup_15m counts every event
 *   raw      client.insert of the same rows into events (views on), 100k per insert
 *   kafkajs  a bare kafkajs consumer that counts the messages and drops them
 * Goal: e2e at least half the rate of the slower baseline.
 */

interface Options {
  gen: GeneratorOptions;
  partitions: number;
  produceChunk: number;
  rawBlock: number;
  timeoutMs: number;
  keep: boolean;
}

interface Result {
  path: string;
  events: number;
  seconds: number;
}

type Timings = Map<string, { calls: number; ms: number }>;
type Methods = Record<string, (...args: unknown[]) => Promise<unknown>>;

interface E2eDetail {
  /** NestFactory.create: the embedded engine opens here. */
  createS: number;
  /** app.init() up to the consumer's start(): migrations, staging table. */
  initBeforeConsumerS: number;
  /** KafkaEventConsumer.start(): admin connect, topic check, consumer connect, group join + sync. */
  consumerStartS: number;
  /** From start() resolving to app.init() resolving. */
  initAfterConsumerS: number;
  firstBatchMs: number;
  polls: number;
  stages: Timings;
  engine: Timings;
}

const FETCH = { maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 }; // as the app's consumer
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function run(args: string[]): Promise<void> {
  const a = parseArgs(args);
  const events = parseCount(a.get('events'), 200_000);
  const opts: Options = {
    gen: { events, seed: Number(a.get('seed') ?? 42) },
    partitions: parseCount(a.get('partitions'), 4),
    produceChunk: parseCount(a.get('produce-chunk'), 5_000),
    rawBlock: parseCount(a.get('raw-block'), 100_000),
    timeoutMs: parseCount(a.get('timeout'), Math.max(120, Math.ceil(events / 1_000))) * 1000,
    keep: a.has('keep'),
  };
  console.log(
    `kafka bench: ${fmtInt(events)} events, ${BENCH_TENANTS.length} tenants × ${fmtInt(contactsPerTenant(opts.gen))} contacts; ` +
      `topic of ${opts.partitions} partitions; raw blocks ${fmtInt(opts.rawBlock)}\n`,
  );
  console.log(`${loadLine('at the start')}\n`);

  let broker: KafkaBroker | null = null;
  let admin: Admin | null = null;
  const stamp = `${Date.now()}-${process.pid}`;
  const topic = `tallyhouse-bench-${stamp}`;
  const groups = { app: `tallyhouse-bench-app-${stamp}`, plain: `tallyhouse-bench-plain-${stamp}` };
  try {
    let brokers = process.env.KAFKA_BROKERS;
    if (brokers) {
      log(`broker: ${brokers} (KAFKA_BROKERS)`);
    } else {
      log('broker: starting one with scripts/kafka.sh');
      broker = await startKafkaBroker(`bench-${process.pid}`);
      brokers = broker.brokers;
      log(`broker: ${brokers} (started for this run)`);
    }
    const kafka = new Kafka({ clientId: 'tallyhouse-bench', brokers: brokers.split(','), logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: opts.partitions }] });

    const produced = await produce(kafka, admin, topic, opts);
    log(
      `produced ${fmtInt(events)} events (${(produced.bytes / 1e6).toFixed(1)} MB of JSON) to ${topic} in ` +
        `${produced.seconds.toFixed(2)} s, ${produced.sendSeconds.toFixed(2)} s of it awaiting the broker (not part of any figure)`,
    );

    const plain = await kafkajsConsume(kafka, topic, groups.plain, opts);
    log(
      `kafkajs consume-and-discard: ${plain.result.seconds.toFixed(2)} s after connect + join (${plain.startS.toFixed(2)} s)`,
    );
    const raw = await rawInsert(opts);
    log(`raw client.insert: ${raw.seconds.toFixed(2)} s (generation excluded)`);
    const e2e = await endToEnd(brokers, topic, groups.app, opts);
    log(`end-to-end: ${e2e.result.seconds.toFixed(2)} s after the consumer joined`);

    printResults(e2e.result, raw, plain.result, opts);
    printStartup(e2e.detail, plain.startS);
    printBreakdown(e2e.result, e2e.detail);
    console.log(`\n${loadLine('at the end')}`);

    const detail = {
      ...e2e.detail,
      stages: Object.fromEntries(e2e.detail.stages),
      engine: Object.fromEntries(e2e.detail.engine),
    };
    const file = writeResults('kafka', {
      events,
      options: opts,
      produced,
      results: [e2e.result, raw, plain.result],
      e2e: detail,
      cpus: cpus().length,
    });
    console.log(`\nresults written to ${file}`);
  } finally {
    // On a shared broker, leave nothing behind; one started here goes away with its data.
    if (admin && !broker && !opts.keep) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups(Object.values(groups)).catch(() => undefined);
    }
    await admin?.disconnect().catch(() => undefined);
    if (broker) await broker.stop();
  }
}

// ---------------------------------------------------------------------------
// filling the topic (untimed)

async function produce(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  opts: Options,
): Promise<{ seconds: number; sendSeconds: number; bytes: number }> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const started = process.hrtime.bigint();
    let sendNs = 0n;
    let bytes = 0;
    for (const block of eventBlocks(opts.gen, opts.produceChunk)) {
      const messages: Message[] = block.map(([event]) => {
        const value = JSON.stringify(event);
        bytes += Buffer.byteLength(value);
        return { key: `${event.tenant_id}:${event.contact_id ?? ''}`, value };
      });
      const sent = process.hrtime.bigint();
      await producer.send({ topic, messages });
      sendNs += process.hrtime.bigint() - sent;
    }
    const s = seconds(started);
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    if (total !== opts.gen.events) throw new Error(`the topic holds ${total} messages, expected ${opts.gen.events}`);
    return { seconds: s, sendSeconds: Number(sendNs) / 1e9, bytes };
  } finally {
    await producer.disconnect();
  }
}

// ---------------------------------------------------------------------------
// baseline: kafkajs alone

async function kafkajsConsume(
  kafka: Kafka,
  topic: string,
  groupId: string,
  opts: Options,
): Promise<{ result: Result; startS: number }> {
  const n = opts.gen.events;
  const consumer = kafka.consumer({ groupId, ...FETCH });
  let count = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  try {
    const connecting = process.hrtime.bigint();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // run() resolves once the group is joined and synced; fetching starts then.
    await consumer.run({
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= n) done();
      },
    });
    const startS = seconds(connecting);
    const started = process.hrtime.bigint();
    await withTimeout(finished, opts.timeoutMs, () => `kafkajs consumer: ${count} of ${n} messages`);
    const s = seconds(started);
    if (count !== n) throw new Error(`kafkajs consumer: ${count} messages, expected ${n}`);
    return { result: { path: 'kafkajs consume-and-discard (eachBatch)', events: n, seconds: s }, startS };
  } finally {
    await consumer.disconnect();
  }
}

async function withTimeout(promise: Promise<void>, ms: number, what: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what()}`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------
// baseline: raw client.insert, as bench/ingest.bench.ts does it

async function rawInsert(opts: Options): Promise<Result> {
  const n = opts.gen.events;
  const dir = freshDir('kafka-raw');
  const { client, kind } = createEngineClient({ dataDir: dir });
  const ch = new ClickHouseService(client, kind);
  try {
    await new MigrationRunner(ch).migrate();
    let total = 0;
    for (const block of eventBlocks(opts.gen, opts.rawBlock)) {
      const values = block.map(([, row]) => row);
      const started = process.hrtime.bigint();
      // BenchRow has no ingest_batch: JSONEachRow fills it with its default.
      await client.insert({ table: 'events', values, format: 'JSONEachRow', columns: [...EVENT_COLUMNS] });
      total += seconds(started);
    }
    await expectCounts(ch, n, 'raw client.insert');
    return { path: `raw client.insert ${fmtInt(opts.rawBlock)}/block`, events: n, seconds: total };
  } finally {
    // The embedded engine is one per process: closed before the app opens its own.
    await ch.close();
    if (!opts.keep) removeDir(dir);
  }
}

// ---------------------------------------------------------------------------
// end-to-end: the warehouse app in-process

async function endToEnd(
  brokers: string,
  topic: string,
  group: string,
  opts: Options,
): Promise<{ result: Result; detail: E2eDetail }> {
  const n = opts.gen.events;
  const dir = freshDir('kafka-e2e');
  Object.assign(process.env, {
    DATA_DIR: dir,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP: group,
    KAFKA_TOPIC_PARTITIONS: String(opts.partitions),
    DEMO_DATA: 'false',
    ROLLUP_SCHEDULER: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  });
  delete process.env.CLICKHOUSE_URL;
  // Loaded here so that the module reads the environment set above.
  const { WarehouseModule } = await import('../apps/warehouse/src/warehouse.module');
  const creating = process.hrtime.bigint();
  const app = await createHttpApp(WarehouseModule, 'Tallyhouse bench');
  const createS = seconds(creating);
  try {
    const consumer = app.get(KafkaEventConsumer);
    const ch = app.get(ClickHouseService);
    const stages: Timings = new Map();
    const engine: Timings = new Map();
    // Patched on the instances before init: every later call goes through these.
    for (const method of ['query', 'command', 'insertSelect', 'insertJson', 'insertCompact']) {
      timeCalls(ch, method, engine, (args) => (args[args.length - 1] as CallOptions).tag);
    }
    timeCalls(app.get(EventIngestService), 'ingest', stages, () => 'ingest');
    timeCalls(app.get(EventWriter), 'write', stages, () => 'write');
    // Private, but the consumer's eachBatch looks it up on the instance at each call.
    timeCalls(consumer, 'onBatch', stages, () => 'onBatch');

    // The clock starts when the consumer has joined its group: engine start-up,
    // migrations and the join are start-up, reported apart.
    let consumerStarting = 0n;
    let clock = 0n;
    const start = consumer.start.bind(consumer);
    consumer.start = async () => {
      consumerStarting = process.hrtime.bigint();
      await start();
      clock = process.hrtime.bigint();
      stages.clear();
      engine.clear();
    };
    let firstBatch = 0n;
    const methods = consumer as unknown as Methods;
    const timedOnBatch = methods.onBatch;
    methods.onBatch = (...args) => {
      if (firstBatch === 0n) firstBatch = process.hrtime.bigint();
      return timedOnBatch(...args);
    };

    const initStarted = process.hrtime.bigint();
    await app.init();
    const initDone = process.hrtime.bigint();
    if (clock === 0n) throw new Error('the Kafka consumer did not start (is KAFKA_BROKERS set?)');

    // Lag first (a broker round trip); the engine is asked only once the lag is 0,
    // so the bench does not compete with the consumer for it while it writes.
    const deadline = Date.now() + opts.timeoutMs;
    let lag = n;
    let rollup = 0;
    let polls = 0;
    for (;;) {
      polls++;
      const partitions = await consumer.lag();
      lag = partitions.reduce((sum, p) => sum + p.lag, 0);
      if (partitions.length > 0 && lag === 0) {
        rollup = await rollupEvents(ch);
        if (rollup === n) break;
      }
      if (Date.now() > deadline) {
        throw new Error(`end-to-end: timed out with lag ${lag}, rollup_15m counting ${rollup} of ${n} events`);
      }
      await sleep(100);
    }
    const s = seconds(clock);
    const snapshot = (t: Timings): Timings => new Map([...t].map(([k, v]) => [k, { ...v }]));
    const detail: E2eDetail = {
      createS,
      initBeforeConsumerS: Number(consumerStarting - initStarted) / 1e9,
      consumerStartS: Number(clock - consumerStarting) / 1e9,
      initAfterConsumerS: Number(initDone - clock) / 1e9,
      firstBatchMs: firstBatch ? Number(firstBatch - clock) / 1e6 : NaN,
      polls,
      stages: snapshot(stages),
      engine: snapshot(engine),
    };
    await expectCounts(ch, n, 'end-to-end');
    const [dead] = await ch.query<{ n: string }>('SELECT count() AS n FROM dead_letters', { tag: 'bench:count' });
    if (Number(dead.n) !== 0) throw new Error(`end-to-end: ${dead.n} dead letters, expected none`);
    return { result: { path: 'end-to-end: Kafka → app → rollup_15m', events: n, seconds: s }, detail };
  } finally {
    await app.close();
    if (!opts.keep) removeDir(dir);
  }
}

/** Times every call of `method` on this instance, by the label of its arguments. */
function timeCalls(obj: object, method: string, into: Timings, label: (args: unknown[]) => string): void {
  const target = obj as Methods;
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`no method ${method} to time`);
  const bound = original.bind(obj);
  target[method] = async (...args: unknown[]) => {
    const started = process.hrtime.bigint();
    try {
      return await bound(...args);
    } finally {
      const key = label(args);
      const entry = into.get(key) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += Number(process.hrtime.bigint() - started) / 1e6;
      into.set(key, entry);
    }
  };
}

async function rollupEvents(ch: ClickHouseService): Promise<number> {
  const [row] = await ch.query<{ n: string | null }>('SELECT sum(events) AS n FROM rollup_15m', {
    tag: 'bench:rollup-sum',
  });
  return Number(row?.n ?? 0);
}

async function expectCounts(ch: ClickHouseService, n: number, path: string): Promise<void> {
  const [row] = await ch.query<{ events: string; rollup: string }>(
    'SELECT (SELECT count() FROM events) AS events, (SELECT sum(events) FROM rollup_15m) AS rollup',
    { tag: 'bench:count' },
  );
  if (Number(row.events) !== n || Number(row.rollup) !== n) {
    throw new Error(`${path}: events holds ${row.events} rows and rollup_15m counts ${row.rollup}, expected ${n}`);
  }
}

// ---------------------------------------------------------------------------
// report

function printResults(e2e: Result, raw: Result, plain: Result, opts: Options): void {
  const rate = (r: Result) => r.events / r.seconds;
  const rows: string[][] = [['path', 'events', 'seconds', 'events/s', 'e2e ÷ this']];
  for (const r of [e2e, raw, plain]) {
    rows.push([
      r.path,
      fmtInt(r.events),
      r.seconds.toFixed(2),
      fmtInt(rate(r)),
      `${(rate(e2e) / rate(r)).toFixed(2)}×`,
    ]);
  }
  console.log(`\n${table(rows)}`);
  const slower = rate(raw) <= rate(plain) ? raw : plain;
  const ratio = rate(e2e) / rate(slower);
  console.log(
    `\nend-to-end ÷ slower baseline (${slower.path}) = ${ratio.toFixed(2)} ` +
      `(goal ≥ 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ${opts.partitions} partitions, ` +
      `end-to-end polled every 100 ms`,
  );
}

function printStartup(d: E2eDetail, plainStartS: number): void {
  console.log(
    `\nstart-up, not in the figures: app create (engine open) ${d.createS.toFixed(2)} s; ` +
      `app.init() ${(d.initBeforeConsumerS + d.consumerStartS + d.initAfterConsumerS).toFixed(2)} s, of which ` +
      `migrations etc. ${d.initBeforeConsumerS.toFixed(2)} s and consumer start (admin connect, topic check, ` +
      `group join + sync) ${d.consumerStartS.toFixed(2)} s; init resolved ${(d.initAfterConsumerS * 1000).toFixed(0)} ms ` +
      `after the join. kafkajs baseline: connect + join ${plainStartS.toFixed(2)} s.`,
  );
}

function printBreakdown(e2e: Result, d: E2eDetail): void {
  const wallMs = e2e.seconds * 1000;
  const pct = (ms: number) => `${((100 * ms) / wallMs).toFixed(1)}%`;
  const stage = (name: string) => d.stages.get(name) ?? { calls: 0, ms: 0 };
  const onBatch = stage('onBatch');
  const ingest = stage('ingest');
  const write = stage('write');
  let engineMs = 0;
  let writerMs = 0;
  let planMs = 0;
  for (const [tag, e] of d.engine) {
    engineMs += e.ms;
    if (tag.startsWith('writer:')) writerMs += e.ms;
    if (tag.startsWith('kafka:')) planMs += e.ms;
  }
  const rows: string[][] = [['end-to-end: where the wall time goes', 'calls', 'total ms', '% of wall']];
  const row = (label: string, ms: number, calls = '') => rows.push([label, calls, fmtInt(ms), pct(ms)]);
  row('eachBatch handler (onBatch)', onBatch.ms, String(onBatch.calls));
  row('  kafka:plan-* engine calls', planMs);
  row('  decode, commit, heartbeat (the rest outside ingest)', onBatch.ms - ingest.ms - planMs);
  row('  ingest()', ingest.ms, String(ingest.calls));
  row('    validation (ingest() outside the writer)', ingest.ms - write.ms);
  row('    EventWriter.write()', write.ms, String(write.calls));
  row('      writer:* engine calls', writerMs);
  row('      the rest (JS: keys, rows, contact numbers)', write.ms - writerMs);
  row('no handler running (fetches, last poll)', wallMs - onBatch.ms);
  rows.push(['wall', '', fmtInt(wallMs), '100.0%']);
  console.log(
    `\n${table(rows)}\n(first batch ${d.firstBatchMs.toFixed(0)} ms after the join; ` +
      `${fmtInt(e2e.events / Math.max(1, ingest.calls))} events per range on average; ${d.polls} polls)`,
  );

  const tags: string[][] = [['end-to-end: engine calls by tag', 'calls', 'total ms', '% of wall']];
  for (const [tag, e] of [...d.engine].sort((x, y) => y[1].ms - x[1].ms)) {
    tags.push([tag, String(e.calls), fmtInt(e.ms), pct(e.ms)]);
  }
  tags.push(['all engine calls', '', fmtInt(engineMs), pct(engineMs)]);
  console.log(`\n${table(tags)}`);
}

function log(line: string): void {
  console.log(`  ${line}`);
}
