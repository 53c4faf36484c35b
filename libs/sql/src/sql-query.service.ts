import { Injectable } from '@nestjs/common';
import { ClickHouseService, type MetaResult } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { MetricsService } from '@tallyhouse/observability';
import { Histogram } from 'prom-client';
import { engineFailure, SqlBusyError, SqlRefusedError, type SqlOutcome } from './sql-errors';
import { SqlQueryLog } from './sql-query-log';
import { checkAst, checkQueryTree, sealSettings, type SqlLimits, wrapUserSql } from './sql-seal';

export type SqlRow = Record<string, unknown>;

/** Query texts whose checks passed, remembered (least recently used out) so a repeated query skips both EXPLAINs. */
const APPROVED_TEXTS = 1000;

export interface SqlCaller {
  tenant: string;
  keyPrefix: string;
  keyName: string;
  clientAddress: string;
}

export interface SqlResult extends MetaResult<SqlRow> {
  elapsedMs: number;
}

/**
 * Runs a tenant's ad hoc SELECT sealed to that tenant. Three layers, all the
 * engine's: the parser's tree (EXPLAIN AST) and the analyser's tree (EXPLAIN
 * QUERY TREE) must name only documented tables of this database and no
 * settings, table functions or dictionaries; the run itself carries readonly=1,
 * allow_ddl=0, limits and the tenant filter on every documented table in its
 * own SETTINGS clause. Every query is logged with its outcome.
 */
@Injectable()
export class SqlQueryService {
  private readonly running = new Map<string, number>();
  private readonly approved = new Map<string, true>();
  private readonly limits: SqlLimits;
  private readonly duration: Histogram<'outcome'>;

  constructor(
    private readonly ch: ClickHouseService,
    private readonly config: AppConfig,
    private readonly log: SqlQueryLog,
    metrics: MetricsService,
  ) {
    this.limits = {
      maxExecutionSeconds: config.SQL_MAX_EXECUTION_SECONDS,
      maxResultRows: config.SQL_MAX_RESULT_ROWS,
      maxResultBytes: config.SQL_MAX_RESULT_BYTES,
      maxMemoryBytes: config.SQL_MAX_MEMORY_BYTES,
      maxRowsToRead: config.SQL_MAX_ROWS_TO_READ,
    };
    this.duration = new Histogram({
      name: 'tallyhouse_sql_query_seconds',
      help: 'Ad hoc SQL queries by outcome (ok, refused, error, limit, timeout, busy)',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers: [metrics.registry],
    });
  }

  async run(sql: string, format: string, caller: SqlCaller): Promise<SqlResult> {
    const started = performance.now();
    let outcome: SqlOutcome = 'ok';
    let code = '';
    let error = '';
    let rows = 0;
    const held = this.acquire(caller.tenant);
    try {
      if (!held)
        throw new SqlBusyError(
          `tenant ${caller.tenant} already runs ${this.config.SQL_MAX_CONCURRENT_PER_TENANT} queries: wait for one to finish`,
        );
      const result = await this.sealedRun(sql, caller.tenant);
      rows = result.rows;
      return { ...result, elapsedMs: performance.now() - started };
    } catch (err) {
      if (err instanceof SqlBusyError) [outcome, code, error] = ['busy', 'TOO_MANY_QUERIES', err.message];
      else if (err instanceof SqlRefusedError) [outcome, code, error] = ['refused', err.code, err.message];
      else {
        const f = engineFailure(err);
        [outcome, code, error] = [f.outcome, f.code, f.message];
      }
      throw err;
    } finally {
      if (held) this.release(caller.tenant);
      const ms = performance.now() - started;
      this.duration.observe({ outcome }, ms / 1000);
      this.log.record({
        tenant_id: caller.tenant,
        key_prefix: caller.keyPrefix,
        key_name: caller.keyName,
        sql,
        format,
        outcome,
        error_code: code,
        error,
        duration_ms: Math.round(ms * 1000) / 1000,
        rows,
        client_address: caller.clientAddress,
      });
    }
  }

  private async sealedRun(sql: string, tenant: string): Promise<MetaResult<SqlRow>> {
    if (sql.trim() === '') throw new SqlRefusedError('sql is empty', 'EMPTY_QUERY');
    if (sql.length > this.config.SQL_MAX_QUERY_CHARS) {
      throw new SqlRefusedError(
        `the query is ${sql.length} characters; the limit is ${this.config.SQL_MAX_QUERY_CHARS} (SQL_MAX_QUERY_CHARS)`,
        'QUERY_TOO_LONG',
      );
    }
    const statement = wrapUserSql(sql);
    const database = this.config.CLICKHOUSE_DATABASE;
    const settings = sealSettings(tenant, this.limits);
    if (this.approved.has(sql)) {
      this.approved.delete(sql);
      this.approved.set(sql, true);
    } else {
      // Both checks read the very text that runs, with the seal attached: what they approve is what executes.
      // The verdict depends on the text and the schema only (the tenant is in our settings), so it is kept.
      checkAst(await this.ch.text(`EXPLAIN AST ${statement}`, { tag: 'sql:ast', settings }), database);
      checkQueryTree(await this.ch.text(`EXPLAIN QUERY TREE ${statement}`, { tag: 'sql:tree', settings }), database);
      this.approved.set(sql, true);
      if (this.approved.size > APPROVED_TEXTS) this.approved.delete(this.approved.keys().next().value as string);
    }
    return this.ch.queryWithMeta<SqlRow>(statement, { tag: 'sql:run', settings });
  }

  private acquire(tenant: string): boolean {
    const n = this.running.get(tenant) ?? 0;
    if (n >= this.config.SQL_MAX_CONCURRENT_PER_TENANT) return false;
    this.running.set(tenant, n + 1);
    return true;
  }

  private release(tenant: string): void {
    const n = (this.running.get(tenant) ?? 1) - 1;
    if (n <= 0) this.running.delete(tenant);
    else this.running.set(tenant, n);
  }
}
