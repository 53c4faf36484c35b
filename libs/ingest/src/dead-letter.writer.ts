import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { MetricsService } from '@tallyhouse/observability';

export interface DeadLetter {
  source: string;
  tenant_id?: string;
  event_id?: string;
  field: string;
  reason: string;
  /** A short class of fault for metrics ('tombstone', 'invalid-json', ...); default from the field. */
  kind?: string;
  /** What arrived, as received: text, or bytes (kept as base64 when they are not valid UTF-8). */
  raw: string | Buffer;
  topic?: string;
  partition?: number;
  offset?: number;
}

export interface DeadLetterOptions {
  /** Names exactly this set of letters across retries (see EventWriter's batchKey): stored once. */
  batchKey?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Writes what could not become an event to dead_letters: nothing bad is dropped silently. */
@Injectable()
export class DeadLetterWriter {
  constructor(
    private readonly ch: ClickHouseService,
    private readonly metrics: MetricsService,
  ) {}

  async write(all: readonly DeadLetter[], options: DeadLetterOptions = {}): Promise<void> {
    const letters = await this.withoutStoredMessages(all);
    if (letters.length === 0) return;
    await this.ch.insertRows(
      'dead_letters',
      letters.map((l) => ({
        source: l.source,
        tenant_id: l.tenant_id ?? '',
        event_id: l.event_id ?? '',
        field: l.field,
        reason: l.reason,
        ...rawColumns(l.raw),
        topic: l.topic ?? '',
        partition: l.partition ?? -1,
        offset: l.offset ?? -1,
      })),
      {
        tag: 'dead-letters:insert',
        // Always a token: two identical letters from different requests are both kept
        // (the table deduplicates blocks, for Kafka retries).
        settings: {
          insert_deduplicate: 1,
          insert_deduplication_token: options.batchKey ? `dl:${options.batchKey}` : randomUUID(),
        },
      },
    );
    for (const l of letters) {
      this.metrics.eventsRejected.inc({ source: l.source, field: l.field || 'event' });
      this.metrics.deadLetters.inc({
        source: l.source,
        kind: l.kind ?? (l.field ? `invalid ${l.field}` : 'invalid event'),
      });
    }
  }

  /**
   * A Kafka message has one place in the log: if it was dead-lettered before
   * (its offsets consumed again after a manual reset), it is not added twice.
   */
  private async withoutStoredMessages(letters: readonly DeadLetter[]): Promise<readonly DeadLetter[]> {
    const fromKafka = letters.filter((l) => l.topic !== undefined && l.offset !== undefined);
    if (fromKafka.length === 0) return letters;
    const offsets = fromKafka.map((l) => l.offset!);
    const stored = await this.ch.query<{ key: string }>(
      `SELECT DISTINCT concat(topic, '/', toString(partition), '/', toString(offset)) AS key FROM dead_letters
       WHERE topic IN {topics:Array(String)} AND offset BETWEEN {low:Int64} AND {high:Int64}`,
      {
        tag: 'dead-letters:stored',
        params: {
          topics: [...new Set(fromKafka.map((l) => l.topic!))],
          low: Math.min(...offsets),
          high: Math.max(...offsets),
        },
        idempotent: true,
      },
    );
    if (stored.length === 0) return letters;
    const seen = new Set(stored.map((r) => r.key));
    return letters.filter((l) => l.topic === undefined || !seen.has(`${l.topic}/${l.partition}/${l.offset}`));
  }
}

/** Text as is; bytes as text when they are UTF-8 without NULs, else base64 (the engine takes text here). */
export function rawColumns(raw: string | Buffer): { raw: string; raw_encoding: 'text' | 'base64' } {
  if (typeof raw === 'string') return { raw, raw_encoding: 'text' };
  if (!raw.includes(0)) {
    try {
      return { raw: utf8.decode(raw), raw_encoding: 'text' };
    } catch {
      /* not UTF-8 */
    }
  }
  return { raw: raw.toString('base64'), raw_encoding: 'base64' };
}
