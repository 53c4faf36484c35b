import { validateConfig } from '@tallyhouse/config';
import { DEFAULT_DEMO_SEED, type DemoEvent, generateDemoEvents } from '@tallyhouse/demo';
import { type Admin, Kafka, type LogEntry, logLevel, type Message, Partitioners, type Producer } from 'kafkajs';
import { UsageError } from './context';
import { fmt, progressBar } from './progress';

const out = (line = '') => process.stdout.write(line + '\n');

/** Same rules as KAFKA_BROKERS and KAFKA_TOPIC in AppConfig. */
const BROKERS = /^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
/** Messages per produce request (demo events are ~270 bytes: ~0.5 MB a request)... */
const BATCH = 2_000;
/** ...and at most this many bytes, so even one partition's share stays under the broker's 1 MB message.max.bytes. */
const BATCH_BYTES = 512 * 1024;

export interface ProduceDemoOptions {
  events: string;
  seed?: string;
  now?: string;
  topic?: string;
  brokers?: string;
  partitions?: string;
}

/**
 * `kafka produce-demo`: the demo data set into a Kafka topic, one event per
 * message, as a producer would send it. Talks to Kafka only: the engine is
 * never opened, so this runs beside `npm start` (which consumes the topic).
 */
export async function kafkaProduceDemoCommand(opts: ProduceDemoOptions): Promise<number> {
  const config = validateConfig(process.env);
  const events = wholeNumber('events', opts.events, 0);
  const seed = opts.seed === undefined ? DEFAULT_DEMO_SEED : wholeNumber('seed', opts.seed);
  const now = opts.now === undefined ? new Date() : new Date(opts.now);
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be a date, got "${opts.now}"`);
  const topic = opts.topic ?? config.KAFKA_TOPIC;
  if (!TOPIC.test(topic)) throw new UsageError(`--topic must be a valid Kafka topic name, got "${topic}"`);
  const partitions =
    opts.partitions === undefined ? config.KAFKA_TOPIC_PARTITIONS : wholeNumber('partitions', opts.partitions, 1);
  const brokers = opts.brokers ?? config.KAFKA_BROKERS;
  if (!brokers) throw new UsageError('no Kafka brokers: pass --brokers host:port[,host:port...] or set KAFKA_BROKERS');
  if (!BROKERS.test(brokers)) throw new UsageError(`--brokers must be host:port[,host:port...], got "${brokers}"`);

  const kafka = new Kafka({
    clientId: `${config.KAFKA_CLIENT_ID}-demo-producer`,
    brokers: brokers.split(','),
    connectionTimeout: 5_000,
    // A few retries, so an unreachable broker fails in seconds rather than minutes.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
    // kafkajs logs every retried request; the command reports what finally failed. LOG_LEVEL=debug shows them.
    logLevel: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'verbose' ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => process.stderr.write(`kafkajs ${entry.namespace}: ${entry.log.message}\n`),
  });

  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Java's partitioner (murmur2 of the key): a contact lands where any other client would put it.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    try {
      await admin.connect();
    } catch (err) {
      process.stderr.write(`error: cannot reach Kafka at ${brokers}: ${(err as Error).message}\n`);
      return 1;
    }
    out(await ensureTopic(admin, topic, partitions, opts.partitions !== undefined));
    await producer.connect();
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    const bar = progressBar('kafka', 'events');
    bar.start(Math.max(events, 1), 0, { done: '0', rate: '0' });
    let acked = 0;
    try {
      await produce(producer, topic, generateDemoEvents({ events, seed, now }), (n) => {
        acked = n;
        bar.update(n, { done: fmt(n), rate: fmt(n / Math.max(seconds(), 0.001)) });
      });
    } catch (err) {
      bar.stop();
      // The idempotent producer never writes a batch twice, but a rerun starts from the first event again.
      process.stderr.write(`error: ${(err as Error).message} (after ${fmt(acked)} events were produced to ${topic})\n`);
      return 1;
    }
    bar.update(Math.max(events, 1));
    bar.stop();
    const s = seconds();
    out(`produced ${fmt(acked)} events to ${topic} in ${s.toFixed(1)} s (${fmt(acked / Math.max(s, 0.001))} events/s)`);
    return 0;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Creates the topic when it is missing; says what it found. */
async function ensureTopic(admin: Admin, topic: string, partitions: number, asked: boolean): Promise<string> {
  if (!(await admin.listTopics()).includes(topic)) {
    try {
      // false: it exists after all (created meanwhile, e.g. by the consumer starting).
      if (await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] }))
        return `created topic ${topic} with ${partitions} partitions`;
    } catch (err) {
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const has = meta.topics[0]?.partitions.length ?? 0;
  const note = asked && has !== partitions ? ` (not ${partitions}: --partitions only applies to a new topic)` : '';
  return `topic ${topic} exists with ${has} partitions${note}`;
}

/**
 * Sends the events in batches of BATCH, one request in flight (what an
 * idempotent producer needs to keep order); the next batch is built while
 * the previous one is on the wire.
 */
async function produce(
  producer: Producer,
  topic: string,
  events: Iterable<DemoEvent>,
  onProgress: (produced: number) => void,
): Promise<void> {
  let produced = 0;
  let inFlight: Promise<unknown> | null = null;
  let batch: Message[] = [];
  let bytes = 0;
  const send = async (messages: Message[]) => {
    if (inFlight) await inFlight;
    onProgress(produced);
    const sending = producer.send({ topic, messages, acks: -1 });
    sending.catch(() => undefined); // awaited (and thrown) before the next send
    inFlight = sending;
    produced += messages.length;
  };
  for (const event of events) {
    const message = demoMessage(event);
    batch.push(message);
    bytes += message.value.length + message.key.length;
    if (batch.length >= BATCH || bytes >= BATCH_BYTES) {
      await send(batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) await send(batch);
  if (inFlight) await inFlight;
  onProgress(produced);
}

/**
 * One event as a producer sends it: the value is the event exactly as
 * POST /v1/events takes it; the key keeps a contact's events in one
 * partition, in order (events without a contact share their tenant's key).
 */
export function demoMessage(event: DemoEvent): { key: string; value: Buffer } {
  return { key: `${event.tenant_id}:${event.contact_id ?? ''}`, value: Buffer.from(JSON.stringify(event)) };
}

function wholeNumber(name: string, value: string, min = -Infinity): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}"`);
  return n;
}
