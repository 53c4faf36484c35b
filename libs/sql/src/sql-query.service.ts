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
import { AdhocSqlEngine, type AdhocSession } from './adhoc-sql-engine';
import { SqlQueryLog } from './sql-query-log';
import {
  checkAst,
  checkParse,
  checkQueryTree,
  checkText,
  PARSE_CHECK_SQL,
  PARSE_MESSAGE_SQL,
  TABLE_LIST_SQL,
  type ParseCheckRow,
  parseRefusal,
  sealSettings,
  type SqlLimits,
  wrapUserSql,
} from './sql-seal';

export type SqlRow = Record<string, unknown>;

/** Query texts whose checks passed, remembered (least recently used out) so a repeated query skips both EXPLAINs. */
const APPROVED_TEXTS = 1000;
/** How long the database's table list is kept (the names that are refused). */
const TABLE_LIST_MS = 60_000;

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
  /** The data is complete up to this instant (the embedded replica's snapshot); null: read live. */
  dataAsOf: Date | null;
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
  private readonly admitted = new Set<{ tenant: string; deadline: number }>();
  private tables: { at: number; names: readonly string[] } | null = null;
  private readonly approved = new Map<string, true>();
  /** The configured limits; the threads come with the session the query runs in. */
  private readonly limits: Omit<SqlLimits, 'maxThreads'>;
  private readonly duration: Histogram<'outcome'>;

  constructor(
    private readonly ch: ClickHouseService,
    private readonly engine: AdhocSqlEngine,
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
    const deadline = Date.now() + this.limits.maxExecutionSeconds * 1000;
    const trace: SealTrace = { stage: 'edge' };
    let outcome: SqlOutcome = 'ok';
    let code = '';
    let error = '';
    let rows = 0;
    let held: { release(): void } | null = null;
    try {
      held = this.admit(caller.tenant, deadline);
      const result = await this.engine.use((session) => this.sealedRun(sql, caller.tenant, trace, session, deadline));
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
      held?.release();
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
   * `ran` only when it reached the run itself). Every call gets what is left
   * of the query's time limit, waiting included.
   */
  private async sealedRun(
    sql: string,
    tenant: string,
    trace: SealTrace,
    { ch, dataAsOf, maxThreads }: AdhocSession,
    deadline: number,
  ): Promise<MetaResult<SqlRow> & { dataAsOf: Date | null }> {
    const budget = () => deadline - Date.now();
    checkText(sql, this.config.SQL_MAX_QUERY_CHARS);
    const statement = wrapUserSql(sql);
    const database = this.config.CLICKHOUSE_DATABASE;
    const settings = sealSettings(tenant, { ...this.limits, maxThreads });
    if (this.approved.has(sql)) {
      this.approved.delete(sql);
      this.approved.set(sql, true);
    } else {
      // 1. The parser, on the text as a parameter value: one statement, alone and as our subquery.
      trace.stage = 'parse';
      const [parsed] = await ch.query<ParseCheckRow>(PARSE_CHECK_SQL, {
        tag: 'sql:parse',
        params: {
          text: sql,
          statement: `${statement}
${renderSettings(settings)}`,
        },
        settings,
        budgetMs: budget(),
      });
      if (parsed.text === null) throw await this.parseRefusal(ch, sql, settings);
      const scope = checkParse(parsed, database, await this.tableNames(database));
      // 2. and 3. Both trees of the very text that runs, with the seal attached: what they approve is what executes.
      // The verdict depends on the text and the schema only (the tenant is in our settings), so it is kept.
      trace.stage = 'ast';
      checkAst(await ch.text(`EXPLAIN AST ${statement}`, { tag: 'sql:ast', settings, budgetMs: budget() }), scope);
      trace.stage = 'tree';
      checkQueryTree(
        await ch.text(`EXPLAIN QUERY TREE ${statement}`, { tag: 'sql:tree', settings, budgetMs: budget() }),
        database,
      );
      this.approved.set(sql, true);
      if (this.approved.size > APPROVED_TEXTS) this.approved.delete(this.approved.keys().next().value as string);
    }
    trace.stage = 'run';
    const result = await ch.queryWithMeta<SqlRow>(statement, { tag: 'sql:run', settings, budgetMs: budget() });
    return { ...result, dataAsOf };
  }

  /** The database's tables, from the main engine (a replica holds only the documented ones), kept a minute. */
  private async tableNames(database: string): Promise<readonly string[]> {
    if (this.tables && Date.now() - this.tables.at < TABLE_LIST_MS) return this.tables.names;
    const [row] = await this.ch.query<{ tables: string[] }>(TABLE_LIST_SQL, {
      tag: 'sql:tables',
      params: { database },
      lane: 'interactive',
    });
    this.tables = { at: Date.now(), names: row?.tables ?? [] };
    return this.tables.names;
  }

  /** The parser's own message for a text that is not one statement. */
  private async parseRefusal(ch: ClickHouseService, sql: string, settings: CallSettings): Promise<SqlRefusedError> {
    try {
      await ch.query(PARSE_MESSAGE_SQL, { tag: 'sql:parse-message', params: { text: sql }, settings });
    } catch (err) {
      return parseRefusal((err as Error).message);
    }
    return new SqlRefusedError('the query must be one SELECT statement', 'NOT_ONE_SELECT');
  }

  /** Queries of `tenant` admitted now (running or waiting their turn). */
  runningFor(tenant: string): number {
    let n = 0;
    for (const q of this.admitted) if (q.tenant === tenant) n++;
    return n;
  }

  /**
   * Admits a query or refuses it (429): at most SQL_MAX_CONCURRENT_PER_TENANT
   * of one tenant and SQL_MAX_QUEUED in all. Every admitted query ends by its
   * deadline (the time limit counts waiting), so Retry-After is when the
   * first of those that block this one ends.
   */
  private admit(tenant: string, deadline: number): { release(): void } {
    const mine = [...this.admitted].filter((q) => q.tenant === tenant);
    const blocking =
      mine.length >= this.config.SQL_MAX_CONCURRENT_PER_TENANT
        ? { queries: mine, why: `tenant ${tenant} already runs ${mine.length} queries` }
        : this.admitted.size >= this.config.SQL_MAX_QUEUED
          ? { queries: [...this.admitted], why: `${this.admitted.size} queries are running or waiting` }
          : null;
    if (blocking) {
      const firstEnd = Math.min(...blocking.queries.map((q) => q.deadline));
      const retryAfter = Math.max(1, Math.ceil((firstEnd - Date.now()) / 1000));
      throw new SqlBusyError(`${blocking.why}: try again in ${retryAfter} s`, retryAfter);
    }
    const entry = { tenant, deadline };
    this.admitted.add(entry);
    return { release: () => this.admitted.delete(entry) };
  }
}
