import { Injectable } from '@nestjs/common';
import { AppConfig } from '@tallyhouse/config';
import { EventContract, type ValidEvent } from '@tallyhouse/events';
import { MetricsService } from '@tallyhouse/observability';
import { DeadLetterWriter, type DeadLetter } from './dead-letter.writer';
import { EventWriter } from './event.writer';

/** One item of a batch: the parsed value, or why it could not be parsed, and what arrived. */
export interface IncomingItem {
  value?: unknown;
  parseError?: string;
  raw: string;
}

export interface Rejection {
  index: number;
  event_id?: string;
  field: string;
  reason: string;
}

export interface IngestReport {
  received: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: Rejection[];
}

/**
 * Validates a batch against the event contract, stores the valid events and
 * dead-letters the rest, and says what happened to each. HTTP, file import
 * and the Kafka consumer all come through here.
 */
@Injectable()
export class EventIngestService {
  readonly contract: EventContract;

  constructor(
    private readonly writer: EventWriter,
    private readonly deadLetters: DeadLetterWriter,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.contract = new EventContract({ maxFutureMs: config.EVENT_MAX_FUTURE_HOURS * 3_600_000 });
  }

  async ingest(items: readonly IncomingItem[], source: string): Promise<IngestReport> {
    const stopTimer = this.metrics.ingestLatency.startTimer({ source });
    const valid: ValidEvent[] = [];
    const errors: Rejection[] = [];
    const letters: DeadLetter[] = [];
    items.forEach((item, index) => {
      const rejection = this.check(item, index, valid);
      if (!rejection) return;
      errors.push(rejection);
      letters.push({
        source,
        tenant_id: tenantOf(item.value),
        event_id: rejection.event_id,
        field: rejection.field,
        reason: rejection.reason,
        raw: item.raw,
      });
    });
    // Dead letters first: if storing them fails, the caller gets an error and nothing was accepted yet.
    await this.deadLetters.write(letters);
    const written = await this.writer.write(valid, source);
    stopTimer();
    return {
      received: items.length,
      accepted: written.accepted,
      duplicates: written.duplicates,
      rejected: errors.length,
      errors,
    };
  }

  private check(item: IncomingItem, index: number, valid: ValidEvent[]): Rejection | null {
    if (item.parseError !== undefined) return { index, field: '', reason: item.parseError };
    const result = this.contract.validate(item.value);
    if (result.ok) {
      valid.push(result.event);
      return null;
    }
    const eventId = (item.value as { event_id?: unknown } | null)?.event_id;
    return {
      index,
      ...(typeof eventId === 'string' ? { event_id: eventId } : {}),
      field: result.error.field,
      reason: result.error.reason,
    };
  }
}

function tenantOf(value: unknown): string | undefined {
  const t = (value as { tenant_id?: unknown } | null)?.tenant_id;
  return typeof t === 'string' ? t.slice(0, 64) : undefined;
}
