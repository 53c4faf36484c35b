import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { homeZone } from './home-zone';
import { findReport, REPORTS } from './report-catalog';
import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from './report-definition';
import type { ReportParams } from './report-params';
import { ReportParamError, UnknownReportError } from './report-errors';
import { RangeError400, resolveRange } from './report-range';

export { ReportParamError, UnknownReportError };

export interface ReportResult {
  report: string;
  title: string;
  time_zone: string;
  /** The range counted, UTC instants; from inclusive, to exclusive. */
  from: string;
  to: string;
  params: Record<string, unknown>;
  columns: ReportColumn[];
  rows: ReportRow[];
}

/** A report with validated parameters and a resolved zone and range, ready to run or stream. */
export interface PreparedReport {
  def: ReportDefinition<ReportParams>;
  params: ReportParams;
  context: ReportContext;
  /** The result without its rows. */
  meta: Omit<ReportResult, 'rows'>;
}

/** Validates a report's parameters, resolves its zone and range, and runs it. */
@Injectable()
export class ReportService {
  constructor(
    private readonly ch: ClickHouseService,
    private readonly config: AppConfig,
  ) {}

  list(): readonly ReportDefinition<ReportParams>[] {
    return REPORTS;
  }

  /** Validates the parameters and resolves zone and range: everything but running the report. */
  async prepare(name: string, query: Record<string, unknown>): Promise<PreparedReport> {
    const def = findReport(name);
    if (!def) throw new UnknownReportError(`no report named ${name}; see GET /v1/reports`);
    const params = plainToInstance(def.params, query, { exposeDefaultValues: true });
    const errors = await validate(params, { forbidUnknownValues: true, whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) {
      const e = errors[0];
      const reason = Object.values(e.constraints ?? {})[0] ?? `${e.property} is not allowed`;
      throw new ReportParamError(
        e.property,
        reason.replace(/^property (\w+) should not exist$/, '$1 is not a parameter of this report'),
      );
    }
    if (params.group_by !== undefined && !def.groupBy.includes(params.group_by)) {
      throw new ReportParamError(
        'group_by',
        def.groupBy.length ? `group_by must be one of ${def.groupBy.join(', ')}` : `${def.name} has no group_by`,
      );
    }
    const tz = params.tz ?? (await homeZone(this.ch, params.tenant));
    let range;
    try {
      range = resolveRange({ from: params.from, to: params.to, tz }, { maxDays: this.config.REPORT_MAX_DAYS });
    } catch (err) {
      if (err instanceof RangeError400) throw new ReportParamError(err.field, err.message);
      throw err;
    }
    return {
      def,
      params,
      context: { ch: this.ch, range },
      meta: {
        report: def.name,
        title: def.title,
        time_zone: tz,
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        params: { ...params, tz },
        columns: def.columns(params),
      },
    };
  }

  async run(name: string, query: Record<string, unknown>): Promise<ReportResult> {
    const prepared = await this.prepare(name, query);
    return { ...prepared.meta, rows: await prepared.def.run(prepared.context, prepared.params) };
  }

  /**
   * The rows of a prepared report one at a time, for exports: reports whose
   * rows grow with the data (one per contact) page through them; the others
   * run once. Their queries wait in the engine's export lane.
   */
  async *rows(prepared: PreparedReport, onFraction?: (done: number) => void): AsyncGenerator<ReportRow> {
    const { def, params } = prepared;
    // Exports and scheduled files wait behind interactive reports on the embedded engine, never before them.
    const context = { ...prepared.context, ch: prepared.context.ch.forLane('export') };
    if (def.rows) {
      yield* def.rows(context, params, onFraction);
      return;
    }
    const rows = await def.run(context, params);
    onFraction?.(1);
    yield* rows;
  }

  /** When the tenant's latest event arrived: what a report or export includes. */
  async dataAsOf(tenant: string): Promise<string | null> {
    const [row] = await this.ch.query<{ at: string | null }>(
      `SELECT toString(max(last_ingested_at)) AS at FROM event_arrivals WHERE tenant_id = {tenant:String}
       HAVING count() > 0`,
      { tag: 'report:data-as-of', params: { tenant }, idempotent: true },
    );
    return row?.at ? `${row.at.replace(' ', 'T')}Z` : null;
  }
}
