import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import { EngineLanes, type Lane, laneOfTag } from './engine-lanes';
import { classifyError, ClickHouseQueryError, ClickHouseUnavailableError, isConnectionLost } from './errors';
import type { EngineKind } from './engine';
import { type CallSettings, renderSettings, withSettings } from './settings';

export type QueryParams = Record<string, unknown>;

export interface CallOptions {
  /** Names the call in logs and in the engine's query log (log_comment). */
  tag: string;
  params?: QueryParams;
  /** Apply to this statement only (rendered into its SETTINGS clause). */
  settings?: CallSettings;
  /** Safe to run again after an unavailable engine (reads, token-deduplicated inserts). */
  idempotent?: boolean;
  /** The queue the call waits in on the embedded engine (default: the view's, else from its tag). */
  lane?: Lane;
  /**
   * Milliseconds the call may take from now, waiting included: a call that waited them all is not run
   * (a timeout), and the statement's max_execution_time is what is left when it starts.
   */
  budgetMs?: number;
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/** A result with its column names and engine types (the JSON format's meta). */
export interface MetaResult<T> {
  meta: { name: string; type: string }[];
  data: T[];
  rows: number;
}

/**
 * The one wrapper every ClickHouse call goes through: per-call settings that
 * cannot leak, a tag on every statement, typed errors, retries with backoff for
 * calls that are safe to repeat.
 */
@Injectable()
export class ClickHouseService implements OnApplicationShutdown {
  private readonly logger = new Logger(ClickHouseService.name);
  private closed = false;
  /** The lane calls of this view wait in unless they name one (see forLane). */
  private defaultLane: Lane | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    readonly engine: EngineKind,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    /** Who goes next on the embedded engine (see lane()); shared by every view of this service. */
    readonly lanes: EngineLanes = new EngineLanes(),
  ) {}

  /** The same service, its calls waiting in `lane` unless they name another (exports' report queries, say). */
  forLane(lane: Lane): ClickHouseService {
    const view = Object.create(this) as ClickHouseService;
    view.defaultLane = lane;
    return view;
  }

  /** Runs a SELECT and returns its rows (JSONEachRow). */
  async query<T>(sql: string, options: CallOptions): Promise<T[]> {
    return this.run(options, async (remainingMs) => {
      const statement = withSettings(sql, this.tagged(options, remainingMs));
      const result = await this.client.query({
        query: statement,
        format: 'JSONEachRow',
        query_params: options.params,
      });
      return result.json<T>();
    });
  }

  /** Runs a SELECT and returns its rows with column names and types (JSON format). */
  async queryWithMeta<T>(sql: string, options: CallOptions): Promise<MetaResult<T>> {
    return this.run(options, async (remainingMs) => {
      const statement = withSettings(sql, this.tagged(options, remainingMs));
      const result = await this.client.query({ query: statement, format: 'JSON', query_params: options.params });
      const body = await result.json<T>();
      return { meta: body.meta ?? [], data: body.data, rows: body.rows ?? body.data.length };
    });
  }

  /** Runs a statement and returns its output as text (TabSeparatedRaw: EXPLAIN, for example). */
  async text(sql: string, options: CallOptions): Promise<string> {
    return this.run(options, async (remainingMs) => {
      const statement = withSettings(sql, this.tagged(options, remainingMs));
      const result = await this.client.query({
        query: statement,
        format: 'TabSeparatedRaw',
        query_params: options.params,
      });
      return result.text();
    });
  }

  /** Runs a statement without a result (DDL, INSERT ... SELECT, mutations). */
  async command(sql: string, options: CallOptions): Promise<void> {
    const statement = isDdl(sql) ? sql : withSettings(sql, this.tagged(options));
    await this.run(options, () => this.client.command({ query: statement, query_params: options.params }));
  }

  /** INSERT INTO table (columns) SETTINGS ... SELECT ... */
  async insertSelect(table: string, columns: readonly string[], select: string, options: CallOptions): Promise<void> {
    const head = `INSERT INTO ${table} (${columns.join(', ')}) ${renderSettings(this.tagged(options))}`;
    await this.run(options, () => this.client.command({ query: `${head}\n${select}`, query_params: options.params }));
  }

  /** Inserts newline-delimited JSON rows; settings stay on this statement. */
  async insertJson(table: string, ndjson: string, options: CallOptions): Promise<void> {
    if (ndjson.length === 0) return;
    const query = `INSERT INTO ${table} ${renderSettings(this.tagged(options))} FORMAT JSONEachRow`;
    await this.run(options, async () => {
      const result = await this.client.exec({ query, values: Readable.from([ndjson]) });
      result.stream.destroy();
    });
  }

  /**
   * Inserts rows given as JSON arrays in `columns` order (JSONCompactEachRow):
   * no key names to write or parse, about twice as fast as JSONEachRow here.
   */
  async insertCompact(table: string, columns: readonly string[], lines: string, options: CallOptions): Promise<void> {
    if (lines.length === 0) return;
    const query = `INSERT INTO ${table} (${columns.join(', ')}) ${renderSettings(this.tagged(options))} FORMAT JSONCompactEachRow`;
    await this.run(options, async () => {
      const result = await this.client.exec({ query, values: Readable.from([lines]) });
      result.stream.destroy();
    });
  }

  async insertRows(table: string, rows: readonly object[], options: CallOptions): Promise<void> {
    if (rows.length === 0) return;
    let body = '';
    for (const row of rows) body += JSON.stringify(row) + '\n';
    await this.insertJson(table, body, options);
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1', { tag: 'ping' });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private tagged(options: CallOptions, remainingMs?: number): CallSettings {
    const budget =
      remainingMs === undefined ? {} : { max_execution_time: Math.max(0.1, Math.round(remainingMs) / 1000) };
    return { ...options.settings, ...budget, log_comment: `tallyhouse:${options.tag}` };
  }

  /**
   * On the embedded engine calls run one at a time, in the order of their
   * lanes (engine-lanes.ts: ingest, then interactive work, exports, the
   * rollup job, ad hoc SQL), and a failed call is followed by a drain before
   * the next starts. Why: chDB runs one query at a time anyway, and a query
   * that fails after producing rows (a limit, a throwIf, a timeout) leaves
   * those rows in the session's output buffer, where the NEXT query's result
   * picks them up (measured with chdb 3.4.0: a plain `SELECT 1` returned 30,000
   * rows of the failed query before its own). Without the drain, one caller's
   * rows (another tenant's) would reach another caller. On a server every
   * call has its own HTTP response: nothing to do. A call with a budget gets
   * what is left of it when it starts, or is not run at all.
   */
  private lane<T>(options: CallOptions, call: (remainingMs?: number) => Promise<T>): Promise<T> {
    const queued = Date.now();
    const budgeted = () => {
      if (options.budgetMs === undefined) return call();
      const waited = Date.now() - queued;
      const remaining = options.budgetMs - waited;
      if (remaining <= 0) {
        throw new ClickHouseQueryError(
          `Timeout exceeded: waited ${waited} ms for the engine, the budget was ${options.budgetMs} ms`,
          options.tag,
          '159',
          'TIMEOUT_EXCEEDED',
        );
      }
      return call(remaining);
    };
    if (this.engine !== 'embedded') return budgeted();
    const lane = options.lane ?? this.defaultLane ?? laneOfTag(options.tag);
    return this.lanes.run(lane, options.tag, async () => {
      let ran = false;
      try {
        return await budgeted().finally(() => (ran = true));
      } catch (err) {
        if (ran && !isConnectionLost(err)) await this.drain();
        throw err;
      }
    });
  }

  /** Reads and discards whatever a failed query left in the embedded session's output. */
  private async drain(): Promise<void> {
    try {
      const result = await this.client.query({ query: "SELECT 'drained' AS drain", format: 'JSONEachRow' });
      await result.text();
    } catch (err) {
      this.logger.warn(`drain after a failed query failed: ${(err as Error).message}`);
    }
  }

  private async run<T>(options: CallOptions, call: (remainingMs?: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.lane(options, call);
      } catch (raw) {
        const err = classifyError(raw, options.tag);
        const retryable = err instanceof ClickHouseUnavailableError && options.idempotent && !this.closed;
        if (!retryable || attempt >= this.retry.attempts) throw err;
        const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        this.logger.warn(`${options.tag}: ${err.message}; retry ${attempt} in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
      }
    }
  }
}

function isDdl(sql: string): boolean {
  return /^\s*(CREATE|DROP|ALTER|RENAME|TRUNCATE|EXCHANGE|OPTIMIZE|SYSTEM|DETACH|ATTACH)\b/i.test(sql);
}
