import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { chTime, ClickHouseService, isoTime } from '@tallyhouse/clickhouse';
import type { SqlOutcome, SqlStage } from './sql-errors';

export interface SqlLogEntry {
  tenant_id: string;
  key_prefix: string;
  key_name: string;
  sql: string;
  format: string;
  outcome: SqlOutcome;
  stage: SqlStage;
  /** The user's statement was executed (stage 'run'); a refused query never was. */
  ran: boolean;
  error_code: string;
  error: string;
  duration_ms: number;
  rows: number;
  client_address: string;
}

/** Longest query text kept in the log (the rest is cut, with a note). */
const MAX_LOGGED_SQL = 20_000;

/**
 * Every ad hoc query into sql_query_log. Entries are written in batches once a
 * second (and at shutdown), off the query's path: a query costs its caller no
 * extra insert, and the log never waits behind a slow query's answer.
 */
@Injectable()
export class SqlQueryLog implements OnModuleDestroy {
  private readonly logger = new Logger('SqlQueryLog');
  private pending: (SqlLogEntry & { at: string })[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ch: ClickHouseService) {}

  record(entry: SqlLogEntry): void {
    const sql =
      entry.sql.length > MAX_LOGGED_SQL
        ? `${entry.sql.slice(0, MAX_LOGGED_SQL)} …(${entry.sql.length} chars)`
        : entry.sql;
    this.pending.push({ ...entry, sql, at: chTime(new Date()) });
    this.timer ??= setTimeout(() => void this.flush(), 1000);
  }

  /** Writes what is pending; resolves when it is stored. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.ch.insertRows('sql_query_log', batch, { tag: 'sql:log' });
      } catch (err) {
        this.logger.error(`could not write ${batch.length} query log entries: ${(err as Error).message}`);
      }
    });
    await this.flushing;
  }

  /** The newest entries, of one tenant or (null) all. */
  async recent(tenant: string | null, limit: number): Promise<(SqlLogEntry & { at: string })[]> {
    await this.flush();
    const rows = await this.ch.query<SqlLogEntry & { at: string }>(
      `SELECT toString(at) AS at, tenant_id, key_prefix, key_name, sql, format, outcome, stage, ran,
              error_code, error,
              duration_ms, toUInt64(rows) AS rows, client_address
       FROM sql_query_log
       WHERE {tenant:String} = '' OR tenant_id = {tenant:String}
       ORDER BY at DESC LIMIT {limit:UInt32}`,
      { tag: 'sql:log-read', params: { tenant: tenant ?? '', limit }, idempotent: true },
    );
    return rows.map((r) => ({ ...r, at: isoTime(r.at), rows: Number(r.rows), duration_ms: Number(r.duration_ms) }));
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }
}
