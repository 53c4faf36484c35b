import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '@tallyhouse/config';
import { ClickHouseQueryError, ClickHouseService, ClickHouseUnavailableError } from '@tallyhouse/clickhouse';
import type { ValidEvent } from '@tallyhouse/events';
import { MetricsService } from '@tallyhouse/observability';
import { ContactNumbers, contactKey } from './contact-numbers';

export interface WriteResult {
  accepted: number;
  duplicates: number;
  /** Positions (in the submitted array) of the events that were duplicates. */
  duplicateIndexes: number[];
  /** Events the engine itself refused (a poison row isolated from its block), with the engine's reason. */
  refused: { index: number; reason: string }[];
}

export interface WriteOptions {
  /**
   * Names exactly this set of events across retries (a Kafka topic, partition
   * and offset range). It is flushed alone, as its own block, under an insert
   * deduplication token made from it: a retry after a crash stores nothing twice,
   * in events or in any view. Without it each flush gets a fresh token.
   */
  batchKey?: string;
}

interface Submission {
  events: readonly ValidEvent[];
  source: string;
  batchKey?: string;
  resolve: (r: WriteResult) => void;
  reject: (e: unknown) => void;
}

export const EVENT_COLUMNS = [
  'event_id',
  'tenant_id',
  'occurred_at',
  'type',
  'contact_id',
  'contact_no',
  'campaign_id',
  'message_id',
  'channel',
  'platform',
  'org_unit',
  'group_id',
  'conversation_id',
  'agent_id',
  'value',
  'properties',
  'source',
  'ingest_batch',
] as const;

/**
 * The one path by which events reach the `events` table (HTTP, files, Kafka).
 *
 * Submissions from concurrent callers are coalesced into large blocks (the
 * engine inserts big blocks far faster than many small ones). The keys of a
 * block are staged in a Memory table so the engine can name the events already
 * stored and the contacts' numbers; then the rest of the block is inserted into
 * `events` (which feeds every view) in one insert. A single flush runs at a
 * time, so deduplication and numbering see a consistent state.
 *
 * Duplicate = same tenant_id, event_id and occurred_at as a stored event (a
 * retry resends the same event). The lookup is bounded by the block's time
 * range, so its cost does not grow with the size of the table.
 */
@Injectable()
export class EventWriter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventWriter.name);
  private readonly queue: Submission[] = [];
  private draining: Promise<void> | null = null;
  private readonly staging: string;
  private readonly contacts: ContactNumbers;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly ch: ClickHouseService,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    // One staging table per writer process: the embedded engine has one; a
    // server may have several ingest processes.
    const instance = ch.engine === 'embedded' ? 'local' : `${hostname()}_${process.pid}`;
    this.staging = `events_staging_${instance.replace(/[^A-Za-z0-9_]/g, '_')}`;
    this.contacts = new ContactNumbers(ch);
  }

  async onModuleInit(): Promise<void> {
    await this.init();
  }

  /** Stores the events (or recognises them as duplicates); resolves once they are durable. */
  write(events: readonly ValidEvent[], source: string, options: WriteOptions = {}): Promise<WriteResult> {
    if (events.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0, duplicateIndexes: [], refused: [] });
    return new Promise((resolve, reject) => {
      this.queue.push({ events, source, batchKey: options.batchKey, resolve, reject });
      this.drain();
    });
  }

  /** Resolves when everything submitted so far has been flushed. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.idle();
    if (this.ch.engine === 'server') {
      await this.ch
        .command(`DROP TABLE IF EXISTS ${this.staging}`, { tag: 'writer:drop-staging' })
        .catch(() => undefined);
    }
  }

  private init(): Promise<void> {
    this.ready ??= this.ch.command(
      `CREATE TABLE IF NOT EXISTS ${this.staging} AS events_staging_template ENGINE = Memory`,
      { tag: 'writer:create-staging' },
    );
    return this.ready;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.takeBatch();
          try {
            const results = await this.flushWithRetry(batch);
            batch.forEach((s, i) => s.resolve(results[i]));
          } catch (err) {
            for (const s of batch) s.reject(err);
          }
        }
      } finally {
        this.draining = null;
      }
    })();
  }

  private takeBatch(): Submission[] {
    const batch: Submission[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      // A keyed submission is a block of its own: its token must name exactly its events.
      if (batch.length > 0 && (next.batchKey || batch[0].batchKey)) break;
      if (batch.length > 0 && rows + next.events.length > this.config.INGEST_FLUSH_ROWS) break;
      batch.push(this.queue.shift()!);
      rows += next.events.length;
    }
    return batch;
  }

  private async flushWithRetry(batch: Submission[]): Promise<WriteResult[]> {
    // One token for every attempt: a retry after a partly stored block completes it (see flush).
    const token = batch[0].batchKey ?? randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.flush(batch, token);
      } catch (err) {
        // Safe to run again: a repeated flush finds the events it already stored as duplicates.
        if (!(err instanceof ClickHouseUnavailableError) || attempt >= 5) throw err;
        const delay = Math.min(10_000, 200 * 2 ** attempt);
        this.logger.warn(`flush failed (${err.message}); retry ${attempt} in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async flush(batch: Submission[], token: string): Promise<WriteResult[]> {
    await this.init();
    const started = process.hrtime.bigint();
    const results: WriteResult[] = batch.map(() => ({ accepted: 0, duplicates: 0, duplicateIndexes: [], refused: [] }));
    const ingestBatch = batchNumber(token);
    // Position in the block -> (submission, index); events repeated inside the block are duplicates at once.
    const owners: [number, number][] = [];
    const block: { event: ValidEvent; source: string }[] = [];
    const seen = new Set<string>();
    let keys = '';
    batch.forEach((s, b) => {
      s.events.forEach((e, i) => {
        const key = `${e.tenant_id}\0${e.event_id}\0${e.occurred_ms}`;
        if (seen.has(key)) {
          results[b].duplicateIndexes.push(i);
          return;
        }
        seen.add(key);
        keys += JSON.stringify([owners.length, e.tenant_id, e.event_id, e.occurred_at, e.contact_id]) + '\n';
        owners.push([b, i]);
        block.push({ event: e, source: s.source });
      });
    });

    if (block.length > 0) {
      // Only the keys go through staging; the events themselves are parsed once, by the final insert.
      await this.ch.command(`TRUNCATE TABLE ${this.staging}`, { tag: 'writer:truncate' });
      await this.ch.insertCompact(this.staging, STAGING_COLUMNS, keys, { tag: 'writer:stage' });
      const stored = new Set(await this.storedBefore(ingestBatch));
      for (const seq of stored) {
        const [b, i] = owners[seq];
        results[b].duplicateIndexes.push(i);
      }
      const numbers = await this.contacts.resolve(this.staging);
      const rows: Row[] = [];
      block.forEach(({ event, source }, seq) => {
        if (!stored.has(seq)) rows.push({ seq, line: eventRow(event, numbers, source, ingestBatch) });
      });
      for (const { seq, reason } of await this.insertIsolatingPoison(rows, token)) {
        const [b, i] = owners[seq];
        results[b].refused.push({ index: i, reason });
      }
    }

    batch.forEach((s, b) => {
      const r = results[b];
      r.duplicateIndexes.sort((x, y) => x - y);
      r.duplicates = r.duplicateIndexes.length;
      r.accepted = s.events.length - r.duplicates - r.refused.length;
      this.metrics.eventsAccepted.inc({ source: s.source }, r.accepted);
      if (r.duplicates) this.metrics.eventsDuplicate.inc({ source: s.source }, r.duplicates);
    });
    this.metrics.flushRows.observe(block.length);
    this.logger.debug(
      `flushed ${block.length} rows (token ${token}) in ${Number(process.hrtime.bigint() - started) / 1e6} ms`,
    );
    return results;
  }

  /**
   * Inserts the rows under `token`. If the engine refuses the block (not an
   * outage: a query error), the block is split in halves, each under a token
   * derived from this one, down to the single rows it refuses: a poison event
   * cannot hold back its neighbours, and a retry splits the same way.
   */
  private async insertIsolatingPoison(rows: Row[], token: string): Promise<{ seq: number; reason: string }[]> {
    if (rows.length === 0) return [];
    try {
      await this.ch.insertCompact('events', EVENT_COLUMNS, rows.map((r) => r.line).join(''), {
        tag: 'writer:insert-events',
        settings: {
          insert_deduplicate: 1,
          // Off (tests' negative control only): a fresh token per attempt, so a retry is stored again,
          // as by a consumer without tokens. (insert_deduplicate=0 is not an option: the embedded engine
          // ignores it in the statement and deduplicates identical blocks by content.)
          insert_deduplication_token: this.config.INGEST_DEDUP_TOKENS ? token : randomUUID(),
          deduplicate_blocks_in_dependent_materialized_views: 1,
        },
      });
      return [];
    } catch (err) {
      if (!(err instanceof ClickHouseQueryError)) throw err;
      if (rows.length === 1) {
        this.logger.warn(`the engine refused one event: ${err.message}`);
        return [{ seq: rows[0].seq, reason: `refused by ClickHouse: ${err.message.split('\n')[0].slice(0, 500)}` }];
      }
      const half = Math.ceil(rows.length / 2);
      return [
        ...(await this.insertIsolatingPoison(rows.slice(0, half), `${token}/a`)),
        ...(await this.insertIsolatingPoison(rows.slice(half), `${token}/b`)),
      ];
    }
  }

  /** Staged rows whose event another flush already stored (within the dedup window). */
  private async storedBefore(ingestBatch: number): Promise<number[]> {
    const windowDays = this.config.DEDUP_WINDOW_DAYS;
    const rows = await this.ch.query<{ seq: number }>(
      `SELECT s.seq AS seq FROM ${this.staging} AS s
       WHERE (s.tenant_id, s.event_id, s.occurred_at) IN (
         SELECT toString(tenant_id), event_id, occurred_at FROM events
         WHERE tenant_id IN (SELECT DISTINCT tenant_id FROM ${this.staging})
           AND occurred_at >= (SELECT min(occurred_at) FROM ${this.staging})
           AND occurred_at <= (SELECT max(occurred_at) FROM ${this.staging})
           AND ingest_batch != {batch:UInt64}
           ${windowDays > 0 ? 'AND ingested_at >= now64(3) - toIntervalDay({window:UInt32})' : ''}
       )`,
      { tag: 'writer:dedup', params: { batch: ingestBatch, window: windowDays }, idempotent: true },
    );
    return rows.map((r) => Number(r.seq));
  }
}

const STAGING_COLUMNS = ['seq', 'tenant_id', 'event_id', 'occurred_at', 'contact_id'] as const;

interface Row {
  /** Position in the flushed block. */
  seq: number;
  line: string;
}

/**
 * The flush's number in events.ingest_batch: 48 bits of a hash of its token,
 * so a retry of the same Kafka range has the same number (and a JS number holds it exactly).
 */
function batchNumber(token: string): number {
  return createHash('sha256').update(token).digest().readUIntBE(0, 6);
}

/** One events row in EVENT_COLUMNS order. */
function eventRow(e: ValidEvent, numbers: Map<string, number>, source: string, ingestBatch: number): string {
  const contactNo = e.contact_id ? (numbers.get(contactKey(e.tenant_id, e.contact_id)) ?? 0) : 0;
  return (
    JSON.stringify([
      e.event_id,
      e.tenant_id,
      e.occurred_at,
      e.type,
      e.contact_id,
      contactNo,
      e.campaign_id,
      e.message_id,
      e.channel,
      e.platform,
      e.org_unit,
      e.group_id,
      e.conversation_id,
      e.agent_id,
      e.value,
      e.properties,
      source,
      ingestBatch,
    ]) + '\n'
  );
}
