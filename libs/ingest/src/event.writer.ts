import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { AppConfig } from '@tallyhouse/config';
import { ClickHouseService, ClickHouseUnavailableError } from '@tallyhouse/clickhouse';
import type { ValidEvent } from '@tallyhouse/events';
import { MetricsService } from '@tallyhouse/observability';
import { ContactNumbers, contactKey } from './contact-numbers';

export interface WriteResult {
  accepted: number;
  duplicates: number;
  /** Positions (in the submitted array) of the events that were duplicates. */
  duplicateIndexes: number[];
}

interface Submission {
  events: readonly ValidEvent[];
  source: string;
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
  write(events: readonly ValidEvent[], source: string): Promise<WriteResult> {
    if (events.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0, duplicateIndexes: [] });
    return new Promise((resolve, reject) => {
      this.queue.push({ events, source, resolve, reject });
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
      if (batch.length > 0 && rows + next.events.length > this.config.INGEST_FLUSH_ROWS) break;
      batch.push(this.queue.shift()!);
      rows += next.events.length;
    }
    return batch;
  }

  private async flushWithRetry(batch: Submission[]): Promise<WriteResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.flush(batch);
      } catch (err) {
        // Safe to run again: a repeated flush finds the events it already stored as duplicates.
        if (!(err instanceof ClickHouseUnavailableError) || attempt >= 5) throw err;
        const delay = Math.min(10_000, 200 * 2 ** attempt);
        this.logger.warn(`flush failed (${err.message}); retry ${attempt} in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async flush(batch: Submission[]): Promise<WriteResult[]> {
    await this.init();
    const started = process.hrtime.bigint();
    const results: WriteResult[] = batch.map(() => ({ accepted: 0, duplicates: 0, duplicateIndexes: [] }));
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
      const stored = new Set(await this.storedBefore());
      for (const seq of stored) {
        const [b, i] = owners[seq];
        results[b].duplicateIndexes.push(i);
      }
      const numbers = await this.contacts.resolve(this.staging);
      let rows = '';
      block.forEach(({ event, source }, seq) => {
        if (!stored.has(seq)) rows += eventRow(event, numbers, source);
      });
      await this.ch.insertCompact('events', EVENT_COLUMNS, rows, { tag: 'writer:insert-events' });
    }

    batch.forEach((s, b) => {
      const r = results[b];
      r.duplicateIndexes.sort((x, y) => x - y);
      r.duplicates = r.duplicateIndexes.length;
      r.accepted = s.events.length - r.duplicates;
      this.metrics.eventsAccepted.inc({ source: s.source }, r.accepted);
      if (r.duplicates) this.metrics.eventsDuplicate.inc({ source: s.source }, r.duplicates);
    });
    this.metrics.flushRows.observe(block.length);
    this.logger.debug(`flushed ${block.length} rows in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
    return results;
  }

  /** Staged rows whose event is already in `events` (within the dedup window). */
  private async storedBefore(): Promise<number[]> {
    const windowDays = this.config.DEDUP_WINDOW_DAYS;
    const rows = await this.ch.query<{ seq: number }>(
      `SELECT s.seq AS seq FROM ${this.staging} AS s
       WHERE (s.tenant_id, s.event_id, s.occurred_at) IN (
         SELECT toString(tenant_id), event_id, occurred_at FROM events
         WHERE tenant_id IN (SELECT DISTINCT tenant_id FROM ${this.staging})
           AND occurred_at >= (SELECT min(occurred_at) FROM ${this.staging})
           AND occurred_at <= (SELECT max(occurred_at) FROM ${this.staging})
           ${windowDays > 0 ? 'AND ingested_at >= now64(3) - toIntervalDay({window:UInt32})' : ''}
       )`,
      { tag: 'writer:dedup', params: windowDays > 0 ? { window: windowDays } : undefined, idempotent: true },
    );
    return rows.map((r) => Number(r.seq));
  }
}

const STAGING_COLUMNS = ['seq', 'tenant_id', 'event_id', 'occurred_at', 'contact_id'] as const;

/** One events row in EVENT_COLUMNS order. */
function eventRow(e: ValidEvent, numbers: Map<string, number>, source: string): string {
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
    ]) + '\n'
  );
}
