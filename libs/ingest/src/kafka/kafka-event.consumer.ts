import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@tallyhouse/config';
import { HealthService, MetricsService } from '@tallyhouse/observability';
import { type Admin, type Consumer, type EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import { EventIngestService, type IncomingItem } from '../event-ingest.service';
import { crashDuring, crashPoint, partitionFault } from './crash-points';
import { KafkaInsertPlans, type OffsetRange, type PartitionRef } from './kafka-insert-plans';
import { decodeKafkaMessage, type RawKafkaMessage } from './kafka-message.decoder';
import { PartitionProgress } from './partition-progress';

/** Messages of one partition received but not yet stored and committed, and the worker storing them. */
interface PartitionBuffer {
  /** Offset after the last message buffered: what arrives below it is here already, or stored. */
  next: number;
  messages: RawKafkaMessage[];
  bytes: number;
  /** The partition's high watermark at the last fetch, for the lag gauge. */
  highWatermark: number;
  /**
   * The newest range recorded for the partition, read from kafka_insert_plans once when
   * the buffer starts (after an assignment or a crash), then kept as this consumer records
   * its own; undefined until read.
   */
  recorded?: OffsetRange | null;
  /** Set while fetching this partition is paused because its buffer is full. */
  resume: (() => void) | null;
  worker: Promise<void> | null;
}

export interface PartitionLag {
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

type ConsumerState = 'off' | 'connecting' | 'joining' | 'consuming';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A partition's buffer is full (fetching it pauses) past this many bytes, or twice a range of messages. */
const PAUSE_BYTES = 64 * 1024 * 1024;
/** How long /health waits for the broker's offsets before it says the broker does not answer. */
const BROKER_ANSWER_MS = 3000;

/**
 * Consumes the events topic into the warehouse, exactly once, each partition
 * on its own.
 *
 * Fetching only fills per-partition buffers (kafkajs fetches again only when
 * every batch of a fetch was handled, so a partition that cannot store would
 * otherwise hold all of them back). A worker per partition stores its buffer
 * as offset ranges: the range is recorded (KafkaInsertPlans), its events and
 * dead letters are inserted under tokens made from topic, partition and
 * range, and only then is the offset after it committed. Whatever crashes
 * where, a redelivery is cut into the same range and its inserts are dropped
 * by the engine wherever the first attempt got to (libs/ingest/README.md).
 * A partition that cannot store keeps retrying with backoff and is named on
 * /health once it has waited KAFKA_STALL_SECONDS; a full buffer pauses only
 * its own partition's fetching. The process serves HTTP while the consumer
 * connects and joins in the background.
 */
@Injectable()
export class KafkaEventConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaEventConsumer.name);
  private kafka: Kafka | null = null;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private readonly buffers = new Map<number, PartitionBuffer>();
  private readonly progress: PartitionProgress;
  private state: ConsumerState = 'off';
  private stopping = false;
  /** Bumped at every group join: a worker of an older generation stops and commits nothing. */
  private generation = 0;
  private starting: Promise<void> | null = null;
  private gauges: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  private lastStoredAt: Date | null = null;
  private assigned: number[] = [];
  /** (time, messages) of recent commits, for the rate on /health. */
  private readonly recent: { at: number; messages: number }[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly ingest: EventIngestService,
    private readonly plans: KafkaInsertPlans,
    private readonly metrics: MetricsService,
    health: HealthService,
  ) {
    this.progress = new PartitionProgress(config.KAFKA_STALL_SECONDS * 1000);
    if (config.KAFKA_BROKERS) health.register('kafka', () => this.health());
  }

  get enabled(): boolean {
    return Boolean(this.config.KAFKA_BROKERS);
  }

  /** Not awaited: the HTTP server and /health answer while the consumer connects and joins. */
  onApplicationBootstrap(): void {
    if (this.enabled) this.starting = this.startUntilConnected();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts, and after a failure (a broker not up yet) tries again with backoff until it runs or stops. */
  async startUntilConnected(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        this.lastError = (err as Error).message;
        this.state = 'off';
        await this.disconnect();
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
        this.logger.warn(`cannot consume yet (${this.lastError}); trying again in ${delay / 1000} s`);
        await sleep(delay);
      }
    }
  }

  async start(): Promise<void> {
    const { KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_GROUP, KAFKA_TOPIC } = this.config;
    this.stopping = false;
    this.state = 'connecting';
    this.gauges ??= setInterval(() => this.updateStallGauges(), 5000).unref();
    this.kafka = new Kafka({
      clientId: KAFKA_CLIENT_ID,
      brokers: KAFKA_BROKERS!.split(','),
      // kafkajs warns about every rebalance; its errors (lost connections, failed requests) are worth a warning here.
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => this.logger.warn(`kafkajs ${entry.namespace}: ${entry.log.message}`),
      // Keep trying while the broker restarts: nothing is lost while we wait.
      retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.ensureTopic();
    const consumer = this.kafka.consumer({
      groupId: KAFKA_GROUP,
      sessionTimeout: this.config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.min(3000, Math.floor(this.config.KAFKA_SESSION_TIMEOUT_MS / 3)),
      // Large fetches make large ranges: each range costs a fixed ~10 engine calls, so fewer is faster.
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.generation++;
      this.assigned = (e.payload.memberAssignment[KAFKA_TOPIC] ?? []).slice().sort((a, b) => a - b);
      // A new generation starts from the committed offsets: forget what was buffered (and unpause it).
      for (const [partition, buffer] of this.buffers) {
        buffer.resume?.();
        this.progress.forget(partition);
      }
      this.buffers.clear();
      this.state = 'consuming';
      this.logger.log(`joined ${KAFKA_GROUP}: partitions ${this.assigned.join(', ') || 'none'} of ${KAFKA_TOPIC}`);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.state = 'joining';
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.lastError = e.payload.error.message;
      this.logger.error(`consumer crashed: ${e.payload.error.message} (restart: ${e.payload.restart})`);
      if (!e.payload.restart && !this.stopping) {
        this.state = 'off';
        void this.disconnect().then(() => (this.starting = this.startUntilConnected()));
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [KAFKA_TOPIC], fromBeginning: true });
    this.state = 'joining';
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Batches only fill buffers (the workers store them), so all of a fetch's partitions are taken in turn quickly.
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.logger.log(`consuming ${KAFKA_TOPIC} from ${KAFKA_BROKERS} as ${KAFKA_GROUP}`);
  }

  /** Stops after the ranges in progress are stored and committed (SIGTERM path). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.gauges) clearInterval(this.gauges);
    this.gauges = null;
    const workers = [...this.buffers.values()].map((b) => b.worker).filter((w): w is Promise<void> => w !== null);
    await Promise.race([Promise.allSettled(workers), sleep(this.config.KAFKA_SESSION_TIMEOUT_MS)]);
    await this.disconnect();
    // A start still trying to reach a broker gives up at its next step (it sees `stopping`).
    await Promise.race([this.starting?.catch(() => undefined), sleep(2000)]);
    this.state = 'off';
  }

  /** Committed offset and end of each partition of the topic, from the broker. */
  async lag(): Promise<PartitionLag[]> {
    if (!this.admin) return [];
    const { KAFKA_GROUP: groupId, KAFKA_TOPIC: topic } = this.config;
    const [ends, committed] = await Promise.all([
      this.admin.fetchTopicOffsets(topic),
      this.admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    return ends
      .map((e) => {
        const end = Number(e.high);
        const c = Math.max(done.get(e.partition) ?? -1, Number(e.low));
        return { partition: e.partition, committed: c, end, lag: Math.max(0, end - c) };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  private async disconnect(): Promise<void> {
    const [consumer, admin] = [this.consumer, this.admin];
    this.consumer = null;
    this.admin = null;
    if (consumer) await consumer.disconnect().catch((e: Error) => this.logger.warn(`disconnect: ${e.message}`));
    if (admin) await admin.disconnect().catch(() => undefined);
  }

  /**
   * ok when the consumer is in its group, the broker answered for the offsets
   * and no partition is stalled. Never a lag it could not read: while the
   * broker does not answer, lag is null and `broker` says why.
   */
  private async health(): Promise<{ ok: boolean; [detail: string]: unknown }> {
    let partitions: PartitionLag[] | null = null;
    let broker = 'not connected';
    if (this.admin) {
      try {
        partitions = await withTimeout(this.lag(), BROKER_ANSWER_MS, 'the broker did not answer within 3 s');
        broker = 'reachable';
      } catch (e) {
        broker = `unreachable: ${(e as Error).message}`;
      }
    }
    this.metrics.kafkaBrokerReachable.set(partitions ? 1 : 0);
    for (const p of partitions ?? []) {
      this.metrics.kafkaLag.set({ topic: this.config.KAFKA_TOPIC, partition: String(p.partition) }, p.lag);
    }
    const stalled = this.updateStallGauges();
    const deadLetters: Record<string, number> = {};
    for (const v of (await this.metrics.deadLetters.get()).values) {
      if (v.labels.source === 'kafka') deadLetters[String(v.labels.kind)] = v.value;
    }
    return {
      ok: this.state === 'consuming' && partitions !== null && partitions.length > 0 && stalled.length === 0,
      state: this.state,
      broker,
      topic: this.config.KAFKA_TOPIC,
      group: this.config.KAFKA_GROUP,
      assigned: this.assigned,
      lag: partitions ? partitions.reduce((s, p) => s + p.lag, 0) : null,
      partitions: partitions ?? [],
      stalled,
      messages_per_second: this.rate(),
      dead_letters_since_start: deadLetters,
      last_stored_at: this.lastStoredAt?.toISOString() ?? null,
      last_error: this.lastError,
    };
  }

  /** Sets the per-partition stall gauges (also every 5 s, for scrapes without /health); returns the stalls. */
  private updateStallGauges() {
    const topic = this.config.KAFKA_TOPIC;
    const stalls = this.progress.stalls();
    const stalled = new Set(stalls.map((s) => s.partition));
    for (const [partition, seconds] of this.progress.waitedSeconds()) {
      const labels = { topic, partition: String(partition) };
      this.metrics.kafkaPartitionWaitingSeconds.set(labels, Math.round(seconds));
      this.metrics.kafkaPartitionStalled.set(labels, stalled.has(partition) ? 1 : 0);
    }
    return stalls;
  }

  /** Messages stored and committed per second over the last minute. */
  private rate(): number {
    const since = Date.now() - 60_000;
    while (this.recent.length > 0 && this.recent[0].at < since) this.recent.shift();
    const messages = this.recent.reduce((s, r) => s + r.messages, 0);
    return Math.round(messages / 60);
  }

  private async ensureTopic(): Promise<void> {
    const topic = this.config.KAFKA_TOPIC;
    const existing = await this.admin!.listTopics();
    if (existing.includes(topic)) return;
    await this.admin!.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: this.config.KAFKA_TOPIC_PARTITIONS }],
    });
    this.logger.log(`created topic ${topic} with ${this.config.KAFKA_TOPIC_PARTITIONS} partitions`);
  }

  /** Fills the partition's buffer and hands it to its worker; fetching goes on for every partition. */
  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, pause } = payload;
    if (batch.messages.length === 0) return;
    const partition = batch.partition;
    let buffer = this.buffers.get(partition);
    if (!buffer) {
      buffer = {
        next: Number(batch.messages[0].offset),
        messages: [],
        bytes: 0,
        highWatermark: 0,
        resume: null,
        worker: null,
      };
      this.buffers.set(partition, buffer);
    }
    for (const m of batch.messages) {
      // Below `next` it is buffered or stored already (fetching restarted from a resolved offset).
      if (Number(m.offset) < buffer.next) continue;
      buffer.messages.push({ offset: m.offset, value: m.value });
      buffer.bytes += m.value?.length ?? 0;
    }
    buffer.next = Math.max(buffer.next, Number(batch.lastOffset()) + 1);
    buffer.highWatermark = Number(batch.highWatermark);
    // Fetch on from here; only commits (after storing) say what is done.
    resolveOffset(batch.lastOffset());
    this.progress.waiting(partition);
    if (!buffer.resume && this.full(buffer)) buffer.resume = pause();
    this.ensureWorker({ group: this.config.KAFKA_GROUP, topic: batch.topic, partition }, buffer);
    await heartbeat();
  }

  private full(buffer: PartitionBuffer): boolean {
    return buffer.messages.length >= 2 * this.config.KAFKA_MAX_BATCH_EVENTS || buffer.bytes >= PAUSE_BYTES;
  }

  private ensureWorker(ref: PartitionRef, buffer: PartitionBuffer): void {
    if (buffer.worker) return;
    const generation = this.generation;
    buffer.worker = this.work(ref, buffer, generation)
      .catch((err: Error) => {
        this.lastError = err.message;
        this.logger.error(`partition ${ref.partition}: ${err.message}`);
      })
      .finally(() => {
        buffer.worker = null;
        // Messages that arrived as the worker finished: go on.
        if (buffer.messages.length > 0 && this.owns(generation) && !this.stopping) this.ensureWorker(ref, buffer);
      });
  }

  private owns(generation: number): boolean {
    return generation === this.generation && this.consumer !== null;
  }

  /** Stores the partition's buffer range by range until it is empty, or the partition is no longer ours. */
  private async work(ref: PartitionRef, buffer: PartitionBuffer, generation: number): Promise<void> {
    while (buffer.messages.length > 0 && this.owns(generation) && !this.stopping) {
      const range = await this.nextRange(ref, buffer);
      if (!range) return; // the recorded range is not all here yet: the next fetch restarts the worker
      const count = buffer.messages.findIndex((m) => Number(m.offset) > range.last);
      const messages = buffer.messages.slice(0, count === -1 ? buffer.messages.length : count);
      if (!(await this.storeRange(ref, range, messages, generation))) return;
      buffer.messages.splice(0, messages.length);
      buffer.bytes -= messages.reduce((s, m) => s + (m.value?.length ?? 0), 0);
      this.progress.stored(ref.partition, buffer.messages.length > 0);
      this.metrics.kafkaLag.set(
        { topic: ref.topic, partition: String(ref.partition) },
        Math.max(0, buffer.highWatermark - range.last - 1),
      );
      if (buffer.resume && !this.full(buffer)) {
        buffer.resume();
        buffer.resume = null;
      }
    }
  }

  /**
   * The range to store next: the one recorded before a crash if the buffer
   * starts with it (null while it is incomplete), else a new one, recorded now.
   */
  private async nextRange(ref: PartitionRef, buffer: PartitionBuffer): Promise<OffsetRange | null> {
    const start = Number(buffer.messages[0].offset);
    const end = Number(buffer.messages[buffer.messages.length - 1].offset);
    buffer.recorded ??= await this.plans.latest(ref);
    const recorded = buffer.recorded;
    if (recorded && recorded.last >= start) {
      if (recorded.first === start) {
        this.logger.debug(`partition ${ref.partition}: replaying recorded range ${recorded.first}-${recorded.last}`);
        return end >= recorded.last ? recorded : null;
      }
      if (recorded.first < start) {
        // Committed inside a recorded range: only a manual offset reset does that.
        this.logger.warn(
          `partition ${ref.partition}: committed offset ${start} is inside recorded range ${recorded.first}-${recorded.last}; starting a new range`,
        );
      }
    }
    const cap = this.config.KAFKA_MAX_BATCH_EVENTS;
    const last = Number(buffer.messages[Math.min(cap, buffer.messages.length) - 1].offset);
    const range = { first: start, last };
    await this.plans.record(ref, range);
    buffer.recorded = range;
    return range;
  }

  /**
   * Stores one range, retrying with backoff while it fails (the engine down,
   * or refusing it), then commits it. False when the partition stopped being
   * this generation's first: whatever was stored is stored once anyway.
   */
  private async storeRange(
    ref: PartitionRef,
    range: OffsetRange,
    messages: RawKafkaMessage[],
    generation: number,
  ): Promise<boolean> {
    const started = process.hrtime.bigint();
    const max = this.config.KAFKA_MAX_MESSAGE_BYTES;
    const items: IncomingItem[] = messages.map((m) => decodeKafkaMessage(m, ref.topic, ref.partition, max));
    const batchKey = `${ref.group}:${ref.topic}:${ref.partition}:${range.first}-${range.last}`;
    for (let attempt = 1; ; attempt++) {
      try {
        this.progress.trying(ref.partition, range);
        partitionFault(ref.partition);
        crashPoint('before-insert');
        await crashDuring('during-insert', () => this.ingest.ingest(items, 'kafka', { batchKey }));
        break;
      } catch (err) {
        this.lastError = `partition ${ref.partition} ${range.first}-${range.last}: ${(err as Error).message}`;
        this.progress.failed(ref.partition, (err as Error).message);
        this.metrics.kafkaInsertFailures.inc();
        if (!this.owns(generation) || this.stopping) return false;
        // Hold this partition (and so its memory) here until the engine takes the range; the others go on.
        const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.logger.warn(`${this.lastError}; retry in ${delay} ms`);
        for (let waited = 0; waited < delay && this.owns(generation) && !this.stopping; waited += 500) {
          await sleep(Math.min(500, delay - waited));
        }
      }
    }
    crashPoint('after-insert');
    if (!this.owns(generation)) return false;
    try {
      await this.consumer!.commitOffsets([
        { topic: ref.topic, partition: ref.partition, offset: String(range.last + 1) },
      ]);
    } catch (err) {
      // A rebalance took the partition meanwhile: its new owner starts at the committed offset, with this plan.
      this.lastError = `partition ${ref.partition}: commit of ${range.last + 1} failed: ${(err as Error).message}`;
      this.logger.warn(this.lastError);
      return false;
    }
    this.lastError = null;
    this.lastStoredAt = new Date();
    this.metrics.kafkaMessages.inc({ topic: ref.topic, partition: String(ref.partition) }, messages.length);
    this.recent.push({ at: Date.now(), messages: messages.length });
    this.metrics.kafkaBatchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(message)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
