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
    // Position in the block -> (submission, index); events repeated inside the block are duplicates at once.
    const owners: [number, number][] = [];
    const block: BlockEntry[] = [];
    const seen = new Set<string>();
    batch.forEach((s, b) => {
      s.events.forEach((e, i) => {
        const key = `${e.tenant_id}\0${e.event_id}\0${e.occurred_ms}`;
        if (seen.has(key)) {
          results[b].duplicateIndexes.push(i);
          return;
        }
        seen.add(key);
        block.push({ seq: owners.length, event: e, source: s.source });
        owners.push([b, i]);
      });
    });

    const outcome = await this.storeIsolating(block, token);
    for (const seq of outcome.stored) {
      const [b, i] = owners[seq];
      results[b].duplicateIndexes.push(i);
    }
    for (const { seq, reason } of outcome.refused) {
      const [b, i] = owners[seq];
      results[b].refused.push({ index: i, reason });
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
   * Stores `entries` as one block; if the engine refuses the block before its
   * insert (staging its keys, the duplicate check, numbering contacts), the
   * block is halved, each half under a token derived from this one, down to
   * the entry it refuses — unless a harmless statement of the same kind fails
   * too, which is an engine in trouble, not an event: that is thrown, and the
   * whole block is tried again later. The insert itself isolates its own.
   */
  private async storeIsolating(entries: BlockEntry[], token: string): Promise<BlockOutcome> {
    if (entries.length === 0) return { stored: [], refused: [] };
    try {
      return await this.storeBlock(entries, token);
    } catch (err) {
      if (!(err instanceof ClickHouseQueryError) || !(await this.engineTakesCanary())) throw err;
      if (entries.length === 1) {
        this.logger.warn(`the engine refused one event before its insert: ${err.message}`);
        return { stored: [], refused: [{ seq: entries[0].seq, reason: engineReason(err) }] };
      }
      const half = Math.ceil(entries.length / 2);
      const [a, b] = [
        await this.storeIsolating(entries.slice(0, half), `${token}/a`),
        await this.storeIsolating(entries.slice(half), `${token}/b`),
      ];
      return { stored: [...a.stored, ...b.stored], refused: [...a.refused, ...b.refused] };
    }
  }

  /** Stages the keys, finds what is already stored, numbers new contacts and inserts the rest. */
  private async storeBlock(entries: BlockEntry[], token: string): Promise<BlockOutcome> {
    const ingestBatch = batchNumber(token);
    let keys = '';
    entries.forEach(({ event: e }, at) => {
      keys += JSON.stringify([at, e.tenant_id, e.event_id, e.occurred_at, e.contact_id]) + '\n';
    });
    // Only the keys go through staging; the events themselves are parsed once, by the final insert.
    await this.ch.command(`TRUNCATE TABLE ${this.staging}`, { tag: 'writer:truncate' });
    await this.ch.insertCompact(this.staging, STAGING_COLUMNS, keys, { tag: 'writer:stage' });
    const stored = new Set(await this.storedBefore(ingestBatch));
    const numbers = await this.contacts.resolve(this.staging);
    const rows: Row[] = [];
    entries.forEach(({ seq, event, source }, at) => {
      if (!stored.has(at))
        rows.push({ seq, event, batch: ingestBatch, line: eventRow(event, numbers, source, ingestBatch) });
    });
    return {
      stored: [...stored].map((at) => entries[at].seq),
      refused: await this.insertIsolatingPoison(rows, token),
    };
  }

  /** Whether the engine takes a staging row that cannot be wrong: if not, a failure is not the events'. */
  private async engineTakesCanary(): Promise<boolean> {
    try {
      await this.ch.command(`TRUNCATE TABLE ${this.staging}`, { tag: 'writer:truncate' });
      await this.ch.insertCompact(this.staging, STAGING_COLUMNS, CANARY_KEY, { tag: 'writer:canary' });
      return true;
    } catch {
      return false;
    }
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
      // A view that fails does so after events took the block (an insert is not atomic across its views):
      // splitting would store those rows again. It is the engine's trouble, not an event's: the block is
      // tried again whole, under the same token, which completes whatever the first attempt left undone.
      if (await this.landed(rows)) {
        throw new ViewRefusedError(`events took the block, but a view refused it: ${err.message.split('\n')[0]}`);
      }
      if (rows.length === 1) {
        this.logger.warn(`the engine refused one event: ${err.message}`);
        return [{ seq: rows[0].seq, reason: engineReason(err) }];
      }
      const half = Math.ceil(rows.length / 2);
      return [
        ...(await this.insertIsolatingPoison(rows.slice(0, half), `${token}/a`)),
        ...(await this.insertIsolatingPoison(rows.slice(half), `${token}/b`)),
      ];
    }
  }

  /** Whether any of `rows` is in events with this block's batch number (a failed insert that wrote anyway). */
  private async landed(rows: Row[]): Promise<boolean> {
    const [found] = await this.ch.query<{ n: string }>(
      `SELECT count() AS n FROM events
       WHERE tenant_id IN {tenants:Array(String)} AND occurred_at BETWEEN {from:DateTime64(3)} AND {to:DateTime64(3)}
         AND ingest_batch = {batch:UInt64} AND event_id IN {ids:Array(UUID)}`,
      {
        tag: 'writer:landed',
        params: {
          tenants: [...new Set(rows.map((r) => r.event.tenant_id))],
          from: rows.reduce((m, r) => (r.event.occurred_at < m ? r.event.occurred_at : m), rows[0].event.occurred_at),
          to: rows.reduce((m, r) => (r.event.occurred_at > m ? r.event.occurred_at : m), rows[0].event.occurred_at),
          batch: rows[0].batch,
          ids: rows.map((r) => r.event.event_id),
        },
        idempotent: true,
      },
    );
    return Number(found.n) > 0;
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
/** A staging row nothing can be wrong with. */
const CANARY_KEY = '[0, "", "00000000-0000-0000-0000-000000000000", "2000-01-01 00:00:00.000", ""]\n';

/** An event of the block being flushed: its position among the block's events, and where it came from. */
interface BlockEntry {
  seq: number;
  event: ValidEvent;
  source: string;
}

/** Of a block: the entries another flush already stored, and the ones the engine refused. */
interface BlockOutcome {
  stored: number[];
  refused: { seq: number; reason: string }[];
}

function engineReason(err: Error): string {
  return `refused by ClickHouse: ${err.message.split('\n')[0].slice(0, 500)}`;
}

interface Row {
  /** Position in the flushed block. */
  seq: number;
  line: string;
  event: ValidEvent;
  /** The block's number in events.ingest_batch. */
  batch: number;
}

/** A view refused a block that events took: an engine fault to retry, not an event to dead-letter. */
export class ViewRefusedError extends Error {}

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
