import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ClickHouseQueryError, ClickHouseService } from '@tallyhouse/clickhouse';
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
    // Always a token: two identical letters from different requests are both kept
    // (the table deduplicates blocks, for Kafka retries).
    await this.insertIsolating(letters.map(letterRow), options.batchKey ? `dl:${options.batchKey}` : randomUUID());
    for (const l of letters) {
      this.metrics.eventsRejected.inc({ source: l.source, field: l.field || 'event' });
      this.metrics.deadLetters.inc({
        source: l.source,
        kind: l.kind ?? (l.field ? `invalid ${l.field}` : 'invalid event'),
      });
    }
  }

  /**
   * Inserts the rows; if the engine refuses them (not an outage), halves them
   * down to the row it refuses, and stores that one with its text as base64:
   * whatever arrived is kept, even what the engine will not take as text.
   */
  private async insertIsolating(rows: DeadLetterRow[], token: string): Promise<void> {
    try {
      await this.ch.insertRows('dead_letters', rows, {
        tag: 'dead-letters:insert',
        settings: { insert_deduplicate: 1, insert_deduplication_token: token },
      });
    } catch (err) {
      if (!(err instanceof ClickHouseQueryError)) throw err;
      if (rows.length === 1) {
        if (rows[0].raw_encoding === 'base64') throw err;
        return this.insertIsolating([asBase64(rows[0], err.message)], `${token}/base64`);
      }
      const half = Math.ceil(rows.length / 2);
      await this.insertIsolating(rows.slice(0, half), `${token}/a`);
      await this.insertIsolating(rows.slice(half), `${token}/b`);
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

interface DeadLetterRow {
  source: string;
  tenant_id: string;
  event_id: string;
  field: string;
  reason: string;
  raw: string;
  raw_encoding: 'text' | 'base64';
  topic: string;
  partition: number;
  offset: number;
}

/** A letter as a row: what it says of itself made well-formed text (it may quote the bad input). */
function letterRow(l: DeadLetter): DeadLetterRow {
  return {
    source: l.source,
    tenant_id: wellFormed(l.tenant_id ?? ''),
    event_id: wellFormed(l.event_id ?? '').slice(0, 256),
    field: wellFormed(l.field),
    reason: wellFormed(l.reason),
    ...rawColumns(l.raw),
    topic: l.topic ?? '',
    partition: l.partition ?? -1,
    offset: l.offset ?? -1,
  };
}

/** The row with every text the engine might refuse as base64, and why. */
function asBase64(row: DeadLetterRow, why: string): DeadLetterRow {
  return {
    ...row,
    tenant_id: '',
    event_id: '',
    reason: `${row.reason} (kept as base64: the engine refused the text: ${wellFormed(why.split('\n')[0]).slice(0, 200)})`,
    raw: Buffer.from(row.raw, 'utf8').toString('base64'),
    raw_encoding: 'base64',
  };
}

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNPAIRED_SURROGATES = new RegExp(UNPAIRED_SURROGATE.source, 'g');

/** Unpaired surrogates (not Unicode text; JSON can carry them) as U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(UNPAIRED_SURROGATES, '\uFFFD');
}

/** Text as is; bytes as text when they are UTF-8 without NULs, else base64 (the engine takes text here). */
export function rawColumns(raw: string | Buffer): { raw: string; raw_encoding: 'text' | 'base64' } {
  // A string that is not well-formed Unicode did not come from bytes: keep its UTF-16 code units exactly.
  if (typeof raw === 'string') {
    if (!UNPAIRED_SURROGATE.test(raw)) return { raw, raw_encoding: 'text' };
    return { raw: Buffer.from(raw, 'utf16le').toString('base64'), raw_encoding: 'base64' };
  }
  if (!raw.includes(0)) {
    try {
      return { raw: utf8.decode(raw), raw_encoding: 'text' };
    } catch {
      /* not UTF-8 */
    }
  }
  return { raw: raw.toString('base64'), raw_encoding: 'base64' };
}
