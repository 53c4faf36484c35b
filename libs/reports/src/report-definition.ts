import type { ClickHouseService } from '@tallyhouse/clickhouse';
import type { ReportParams } from './report-params';
import type { ReportRange } from './report-range';

export type ColumnType = 'string' | 'integer' | 'number' | 'percent' | 'date' | 'datetime';

export interface ReportColumn {
  name: string;
  type: ColumnType;
  description: string;
}

/** A result row: values typed by the report's columns. */
export type ReportRow = Record<string, string | number | null>;

export interface ReportContext {
  ch: ClickHouseService;
  range: ReportRange;
}

/**
 * One report: what it answers (title, description with its exact
 * definitions), its parameters, its columns, and how it computes them.
 */
export interface ReportDefinition<P extends ReportParams = ReportParams> {
  name: string;
  title: string;
  /** Definitions a user needs to read the numbers: windows, what counts as unique, what "active" means. */
  description: string;
  /** The reference document it implements. */
  reference: string;
  /** The class-validator DTO of its parameters. */
  params: new () => P;
  /** Values `group_by` may take for this report (empty: no grouping). */
  groupBy: readonly string[];
  /** Result columns; a report that groups may add the group's column first. */
  columns(params: P): ReportColumn[];
  run(ctx: ReportContext, params: P): Promise<ReportRow[]>;
  /** The same rows page by page, for reports whose rows grow with the data (exports stream them). */
  rows?(ctx: ReportContext, params: P, onFraction?: (done: number) => void): AsyncIterable<ReportRow>;
  /**
   * The sheets of this report's XLSX download, when it is more than one
   * table: each sheet is this report run with some parameters changed.
   */
  workbook?(params: P): WorkbookSheet[];
}

export interface WorkbookSheet {
  sheet: string;
  /** Parameters that differ from the export's own (for example another view). */
  params: Record<string, string>;
}
