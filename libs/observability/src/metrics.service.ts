import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of this process, served at GET /metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly eventsAccepted = new Counter({
    name: 'tallyhouse_events_accepted_total',
    help: 'Events stored, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly eventsRejected = new Counter({
    name: 'tallyhouse_events_rejected_total',
    help: 'Events sent to dead_letters, by source and field at fault',
    labelNames: ['source', 'field'] as const,
    registers: [this.registry],
  });

  readonly eventsDuplicate = new Counter({
    name: 'tallyhouse_events_duplicate_total',
    help: 'Events not stored because their event_id was already stored',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly ingestLatency = new Histogram({
    name: 'tallyhouse_ingest_latency_seconds',
    help: 'Time from receiving a batch to its events being stored',
    labelNames: ['source'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly flushRows = new Histogram({
    name: 'tallyhouse_writer_flush_rows',
    help: 'Rows per insert the event writer made',
    buckets: [10, 100, 1000, 5000, 10000, 50000, 100000],
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: 'tallyhouse_dead_letters_total',
    help: 'Rows written to dead_letters, by source and kind of fault',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  });

  readonly scheduleRuns = new Counter({
    name: 'tallyhouse_schedule_runs_total',
    help: 'Scheduled report runs finished, by status (delivered, failed)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly scheduleDeliveries = new Counter({
    name: 'tallyhouse_schedule_deliveries_total',
    help: 'Deliveries of scheduled reports, by target type and outcome (ok, failed), after retries',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly scheduleFailing = new Gauge({
    name: 'tallyhouse_schedule_failing',
    help: '1 for a schedule whose latest run failed, 0 once a run is delivered',
    labelNames: ['schedule'] as const,
    registers: [this.registry],
  });

  readonly kafkaMessages = new Counter({
    name: 'tallyhouse_kafka_messages_total',
    help: 'Kafka messages stored (as events, duplicates or dead letters) and committed',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly kafkaLag = new Gauge({
    name: 'tallyhouse_kafka_consumer_lag',
    help: 'Messages in the partition after the last committed offset',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly kafkaBatchSeconds = new Histogram({
    name: 'tallyhouse_kafka_batch_seconds',
    help: 'Time to store one offset range and commit it',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly kafkaInsertFailures = new Counter({
    name: 'tallyhouse_kafka_insert_failures_total',
    help: 'Attempts to store an offset range that failed and were retried with backoff',
    registers: [this.registry],
  });

  readonly kafkaPartitionStalled = new Gauge({
    name: 'tallyhouse_kafka_partition_stalled',
    help: 'Whether a partition has had messages and stored none for longer than KAFKA_STALL_SECONDS (1) or not (0)',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly kafkaPartitionWaitingSeconds = new Gauge({
    name: 'tallyhouse_kafka_partition_waiting_seconds',
    help: 'How long a partition has had messages waiting without storing a range (0 when none wait)',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly kafkaBrokerReachable = new Gauge({
    name: 'tallyhouse_kafka_broker_reachable',
    help: 'Whether the last look at the broker (offsets for /health) succeeded',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tallyhouse_' });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
