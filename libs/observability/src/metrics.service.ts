import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tallyhouse_' });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
