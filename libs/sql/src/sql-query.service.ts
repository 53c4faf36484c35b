import { Injectable } from '@nestjs/common';
import { type CallSettings, ClickHouseService, type MetaResult, renderSettings } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { MetricsService } from '@tallyhouse/observability';
import { Histogram } from 'prom-client';
import {
  engineFailure,
  SqlBusyError,
  SqlRefusedError,
  SqlSyntaxError,
  type SqlOutcome,
  type SqlStage,
} from './sql-errors';
import { SqlQueryLog } from './sql-query-log';
import {
  checkAst,
  checkParse,
  checkQueryTree,
  checkText,
  PARSE_CHECK_SQL,
  PARSE_MESSAGE_SQL,
  type ParseCheckRow,
  parseRefusal,
  sealSettings,
  type SqlLimits,
  wrapUserSql,
} from './sql-seal';

export type SqlRow = Record<string, unknown>;

/** Query texts whose checks passed, remembered (least recently used out) so a repeated query skips both EXPLAINs. */
const APPROVED_TEXTS = 1000;

export interface SqlCaller {
  tenant: string;
  keyPrefix: string;
  keyName: string;
  clientAddress: string;
}

/** How far a text got through the seal. */
interface SealTrace {
  stage: SqlStage;
}

export interface SqlResult extends MetaResult<SqlRow> {
  elapsedMs: number;
}

/**
 * Runs a tenant's ad hoc SELECT sealed to that tenant. Four layers, all the
 * engine's: its parser, given the text as a parameter value, must find exactly
 * one SELECT (so no second statement can ever reach a call); the parser's tree
 * (EXPLAIN AST, before anything is evaluated) and the analyser's tree (EXPLAIN
 * QUERY TREE) must name only documented tables of this database and no
 * settings, table functions, dictionaries, server functions or virtual
 * columns; every call, the checks included, carries readonly=1, allow_ddl=0,
 * the limits and the tenant filter on every documented table in its own
 * SETTINGS clause. Every query is logged with its outcome and how far it got.
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
    const trace: SealTrace = { stage: 'edge' };
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
      const result = await this.sealedRun(sql, caller.tenant, trace);
      rows = result.rows;
      return { ...result, elapsedMs: performance.now() - started };
    } catch (err) {
      if (err instanceof SqlBusyError) [outcome, code, error] = ['busy', 'TOO_MANY_QUERIES', err.message];
      else if (err instanceof SqlRefusedError)
        [outcome, code, error] = [err instanceof SqlSyntaxError ? 'error' : 'refused', err.code, err.message];
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
        stage: trace.stage,
        ran: trace.stage === 'run',
        error_code: code,
        error,
        duration_ms: Math.round(ms * 1000) / 1000,
        rows,
        client_address: caller.clientAddress,
      });
    }
  }

  /**
   * The checks in order, each an engine call carrying the seal in its own
   * SETTINGS; `trace.stage` says how far the text got (the log's `stage`, and
   * `ran` only when it reached the run itself).
   */
  private async sealedRun(sql: string, tenant: string, trace: SealTrace): Promise<MetaResult<SqlRow>> {
    checkText(sql, this.config.SQL_MAX_QUERY_CHARS);
    const statement = wrapUserSql(sql);
    const database = this.config.CLICKHOUSE_DATABASE;
    const settings = sealSettings(tenant, this.limits);
    if (this.approved.has(sql)) {
      this.approved.delete(sql);
      this.approved.set(sql, true);
    } else {
      // 1. The parser, on the text as a parameter value: one statement, alone and as our subquery.
      trace.stage = 'parse';
      const [parsed] = await this.ch.query<ParseCheckRow>(PARSE_CHECK_SQL, {
        tag: 'sql:parse',
        params: {
          text: sql,
          statement: `${statement}
${renderSettings(settings)}`,
          database,
        },
        settings,
      });
      if (parsed.text === null) throw await this.parseRefusal(sql, settings);
      const scope = checkParse(parsed, database);
      // 2. and 3. Both trees of the very text that runs, with the seal attached: what they approve is what executes.
      // The verdict depends on the text and the schema only (the tenant is in our settings), so it is kept.
      trace.stage = 'ast';
      checkAst(await this.ch.text(`EXPLAIN AST ${statement}`, { tag: 'sql:ast', settings }), scope);
      trace.stage = 'tree';
      checkQueryTree(await this.ch.text(`EXPLAIN QUERY TREE ${statement}`, { tag: 'sql:tree', settings }), database);
      this.approved.set(sql, true);
      if (this.approved.size > APPROVED_TEXTS) this.approved.delete(this.approved.keys().next().value as string);
    }
    trace.stage = 'run';
    return this.ch.queryWithMeta<SqlRow>(statement, { tag: 'sql:run', settings });
  }

  /** The parser's own message for a text that is not one statement. */
  private async parseRefusal(sql: string, settings: CallSettings): Promise<SqlRefusedError> {
    try {
      await this.ch.query(PARSE_MESSAGE_SQL, { tag: 'sql:parse-message', params: { text: sql }, settings });
    } catch (err) {
      return parseRefusal((err as Error).message);
    }
    return new SqlRefusedError('the query must be one SELECT statement', 'NOT_ONE_SELECT');
  }

  /** Queries of `tenant` running now (admitted, not finished). */
  runningFor(tenant: string): number {
    return this.running.get(tenant) ?? 0;
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
