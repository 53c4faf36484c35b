import { Injectable } from '@nestjs/common';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { MetricsService } from '@tallyhouse/observability';

export interface DeadLetter {
  source: string;
  tenant_id?: string;
  event_id?: string;
  field: string;
  reason: string;
  /** What arrived, as received. */
  raw: string;
  topic?: string;
  partition?: number;
  offset?: number;
}

/** Writes what could not become an event to dead_letters: nothing bad is dropped silently. */
@Injectable()
export class DeadLetterWriter {
  constructor(
    private readonly ch: ClickHouseService,
    private readonly metrics: MetricsService,
  ) {}

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.ch.insertRows(
      'dead_letters',
      letters.map((l) => ({
        source: l.source,
        tenant_id: l.tenant_id ?? '',
        event_id: l.event_id ?? '',
        field: l.field,
        reason: l.reason,
        raw: l.raw,
        topic: l.topic ?? '',
        partition: l.partition ?? -1,
        offset: l.offset ?? -1,
      })),
      { tag: 'dead-letters:insert' },
    );
    for (const l of letters) this.metrics.eventsRejected.inc({ source: l.source, field: l.field || 'event' });
  }
}
