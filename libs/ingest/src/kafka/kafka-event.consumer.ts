import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@tallyhouse/config';
import { HealthService, MetricsService } from '@tallyhouse/observability';
import { type Admin, type Consumer, type EachBatchPayload, Kafka, logLevel } from 'kafkajs';
import { EventIngestService, type IncomingItem } from '../event-ingest.service';
import { crashDuring, crashPoint } from './crash-points';
import { KafkaInsertPlans, type OffsetRange, type PartitionRef } from './kafka-insert-plans';
import { decodeKafkaMessage, type RawKafkaMessage } from './kafka-message.decoder';

/** Messages of one partition received but not yet stored and committed. */
interface PartitionBuffer {
  /** Offset the next delivered message must have to continue this buffer. */
  next: number;
  messages: RawKafkaMessage[];
  /**
   * The newest range recorded for the partition, read from kafka_insert_plans once when
   * the buffer starts (after an assignment or a crash), then kept as this consumer records
   * its own; undefined until read.
   */
  recorded?: OffsetRange | null;
}

export interface PartitionLag {
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Consumes the events topic into the warehouse, exactly once.
 *
 * Per partition, messages are stored as offset ranges: the range is recorded
 * (KafkaInsertPlans), its events and dead letters are inserted under tokens
 * made from topic, partition and range, and only then is the offset after it
 * committed. Whatever crashes where, a redelivery is cut into the same range
 * and its inserts are dropped by the engine wherever the first attempt got
 * to (see libs/ingest/README.md). Bad messages become dead letters in their
 * range; they never hold back a partition.
 */
@Injectable()
export class KafkaEventConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaEventConsumer.name);
  private kafka: Kafka | null = null;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private readonly buffers = new Map<number, PartitionBuffer>();
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
    if (config.KAFKA_BROKERS) health.register('kafka', () => this.health());
  }

  get enabled(): boolean {
    return Boolean(this.config.KAFKA_BROKERS);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async start(): Promise<void> {
    const { KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_GROUP, KAFKA_TOPIC } = this.config;
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
    this.consumer = this.kafka.consumer({
      groupId: KAFKA_GROUP,
      sessionTimeout: this.config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.min(3000, Math.floor(this.config.KAFKA_SESSION_TIMEOUT_MS / 3)),
      // Large fetches make large ranges: each range costs a fixed ~10 engine calls, so fewer is faster.
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.assigned = (e.payload.memberAssignment[KAFKA_TOPIC] ?? []).slice().sort((a, b) => a - b);
      // A new generation starts from the committed offsets: forget what was buffered.
      this.buffers.clear();
      this.logger.log(`joined ${KAFKA_GROUP}: partitions ${this.assigned.join(', ') || 'none'} of ${KAFKA_TOPIC}`);
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.lastError = e.payload.error.message;
      this.logger.error(`consumer crashed: ${e.payload.error.message} (restart: ${e.payload.restart})`);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [KAFKA_TOPIC], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.logger.log(`consuming ${KAFKA_TOPIC} from ${KAFKA_BROKERS} as ${KAFKA_GROUP}`);
  }

  /** Stops after the range in progress is stored and committed (SIGTERM path). */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect().catch((e: Error) => this.logger.warn(`disconnect: ${e.message}`));
    if (this.admin) await this.admin.disconnect().catch(() => undefined);
    this.admin = null;
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

  private async health(): Promise<{ ok: boolean; [detail: string]: unknown }> {
    const partitions = await this.lag().catch((e: Error) => {
      this.lastError = e.message;
      return [] as PartitionLag[];
    });
    for (const p of partitions) {
      this.metrics.kafkaLag.set({ topic: this.config.KAFKA_TOPIC, partition: String(p.partition) }, p.lag);
    }
    const deadLetters: Record<string, number> = {};
    for (const v of (await this.metrics.deadLetters.get()).values) {
      if (v.labels.source === 'kafka') deadLetters[String(v.labels.kind)] = v.value;
    }
    return {
      ok: this.consumer !== null && partitions.length > 0,
      topic: this.config.KAFKA_TOPIC,
      group: this.config.KAFKA_GROUP,
      assigned: this.assigned,
      lag: partitions.reduce((s, p) => s + p.lag, 0),
      partitions,
      messages_per_second: this.rate(),
      dead_letters_since_start: deadLetters,
      last_stored_at: this.lastStoredAt?.toISOString() ?? null,
      last_error: this.lastError,
    };
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

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const ref: PartitionRef = { group: this.config.KAFKA_GROUP, topic: batch.topic, partition: batch.partition };
    const firstOffset = Number(batch.messages[0].offset);
    let buffer = this.buffers.get(batch.partition);
    if (!buffer || buffer.next !== firstOffset) {
      // Fetching restarted here (a new assignment, a seek): what was buffered will come again.
      buffer = { next: firstOffset, messages: [] };
      this.buffers.set(batch.partition, buffer);
    }
    buffer.messages.push(...batch.messages.map((m) => ({ offset: m.offset, value: m.value })));
    buffer.next = Number(batch.lastOffset()) + 1;
    // Fetch on from here; only commits (after storing) say what is done.
    resolveOffset(batch.lastOffset());

    while (buffer.messages.length > 0 && isRunning() && !isStale()) {
      const range = await this.nextRange(ref, buffer);
      if (!range) return; // the recorded range is not all here yet: wait for the next fetch
      const count = buffer.messages.findIndex((m) => Number(m.offset) > range.last);
      const messages = buffer.messages.slice(0, count === -1 ? buffer.messages.length : count);
      const stored = await this.storeRange(ref, range, messages, payload);
      if (!stored) return;
      buffer.messages.splice(0, messages.length);
      this.metrics.kafkaLag.set(
        { topic: ref.topic, partition: String(ref.partition) },
        Math.max(0, Number(batch.highWatermark) - range.last - 1),
      );
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

  /** Stores one range (retrying with backoff while the engine is down), then commits it. */
  private async storeRange(
    ref: PartitionRef,
    range: OffsetRange,
    messages: RawKafkaMessage[],
    payload: EachBatchPayload,
  ): Promise<boolean> {
    const started = process.hrtime.bigint();
    const max = this.config.KAFKA_MAX_MESSAGE_BYTES;
    const items: IncomingItem[] = messages.map((m) => decodeKafkaMessage(m, ref.topic, ref.partition, max));
    const batchKey = `${ref.group}:${ref.topic}:${ref.partition}:${range.first}-${range.last}`;
    for (let attempt = 1; ; attempt++) {
      try {
        crashPoint('before-insert');
        await crashDuring('during-insert', () => this.ingest.ingest(items, 'kafka', { batchKey }));
        break;
      } catch (err) {
        this.lastError = (err as Error).message;
        this.metrics.kafkaInsertFailures.inc();
        if (!payload.isRunning() || payload.isStale()) return false;
        // Hold the partition (and so memory) here until the engine takes the range.
        const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.logger.warn(
          `partition ${ref.partition} ${range.first}-${range.last}: ${this.lastError}; retry in ${delay} ms`,
        );
        for (let waited = 0; waited < delay; waited += 1000) {
          await sleep(Math.min(1000, delay - waited));
          await payload.heartbeat();
        }
      }
    }
    crashPoint('after-insert');
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: ref.topic, partitions: [{ partition: ref.partition, offset: String(range.last + 1) }] }],
    });
    this.lastError = null;
    this.lastStoredAt = new Date();
    this.metrics.kafkaMessages.inc({ topic: ref.topic, partition: String(ref.partition) }, messages.length);
    this.recent.push({ at: Date.now(), messages: messages.length });
    this.metrics.kafkaBatchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    await payload.heartbeat();
    return true;
  }
}
