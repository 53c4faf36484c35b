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
  /** The field a parse error is about ('' for the item as a whole). */
  parseErrorField?: string;
  /** Short class of a parse error for metrics ('tombstone', 'invalid-json', ...). */
  parseErrorKind?: string;
  raw: string | Buffer;
  /** Where a Kafka message came from, kept with its dead letter. */
  origin?: { topic: string; partition: number; offset: number };
}

export interface IngestOptions {
  /** Names exactly this batch across retries (a Kafka offset range): see EventWriter's batchKey. */
  batchKey?: string;
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

  async ingest(items: readonly IncomingItem[], source: string, options: IngestOptions = {}): Promise<IngestReport> {
    const stopTimer = this.metrics.ingestLatency.startTimer({ source });
    const valid: ValidEvent[] = [];
    /** Position in `items` of each valid event. */
    const validAt: number[] = [];
    const errors: Rejection[] = [];
    const letters: DeadLetter[] = [];
    const letter = (item: IncomingItem, rejection: Rejection, kind = item.parseErrorKind): DeadLetter => ({
      source,
      tenant_id: tenantOf(item.value),
      event_id: rejection.event_id,
      field: rejection.field,
      reason: rejection.reason,
      kind,
      raw: item.raw,
      ...item.origin,
    });
    items.forEach((item, index) => {
      const rejection = this.check(item, index, valid);
      if (!rejection) {
        validAt.push(index);
        return;
      }
      errors.push(rejection);
      letters.push(letter(item, rejection));
    });
    // Dead letters first: if storing them fails, the caller gets an error and nothing was accepted yet.
    await this.deadLetters.write(letters, { batchKey: options.batchKey });
    const written = await this.writer.write(valid, source, { batchKey: options.batchKey });
    if (written.refused.length > 0) {
      const refused = written.refused.map(({ index, reason }): Rejection => {
        const at = validAt[index];
        return { index: at, event_id: valid[index].event_id, field: '', reason };
      });
      await this.deadLetters.write(
        refused.map((r) => letter(items[r.index], r, 'refused-by-engine')),
        { batchKey: options.batchKey && `${options.batchKey}:refused` },
      );
      errors.push(...refused);
      errors.sort((a, b) => a.index - b.index);
    }
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
    if (item.parseError !== undefined) return { index, field: item.parseErrorField ?? '', reason: item.parseError };
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
