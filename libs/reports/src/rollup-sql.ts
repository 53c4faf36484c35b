import type { Interval, ReportParams } from './report-params';
import type { ReportRange } from './report-range';
import type { QueryParams } from '@tallyhouse/clickhouse';

/**
 * SQL pieces shared by the reports that read rollup_15m. Identifiers come
 * only from the fixed maps below; every value is a query parameter.
 */

/** The local period a 15-minute UTC bucket falls in, as text: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:00' for hours. */
export function periodExpr(interval: Interval, weekStart: 'monday' | 'sunday', column = 'bucket'): string {
  const local = `toTimeZone(${column}, {tz:String})`;
  switch (interval) {
    case 'hour':
      // The local wall hour of the bucket, formatted straight from the instant. (toStartOfHour of the local
      // time cut Lord Howe's hours at UTC hours on its DST days, where its offset is +10:30.) Every offset
      // is a multiple of 15 minutes, so a 15-minute bucket lies inside one local hour.
      return `formatDateTime(${column}, '%Y-%m-%d %H:00', {tz:String})`;
    case 'day':
      return `toString(toDate(${local}, {tz:String}))`;
    case 'week':
      // Mode 1: weeks start on Monday; mode 0: on Sunday.
      return `toString(toStartOfWeek(${local}, ${weekStart === 'monday' ? 1 : 0}, {tz:String}))`;
    case 'month':
      return `toString(toStartOfMonth(${local}, {tz:String}))`;
    case 'quarter':
      return `toString(toStartOfQuarter(${local}, {tz:String}))`;
    case 'year':
      return `toString(toStartOfYear(${local}, {tz:String}))`;
  }
}

/** The rollup columns a filter parameter narrows (the same on rollup_15m, the summaries and events). */
const FILTER_COLUMNS = {
  channel: 'channel',
  platform: 'platform',
  campaign: 'campaign_id',
  org_unit: 'org_unit',
  group: 'group_id',
} as const;

export type FilterParam = keyof typeof FILTER_COLUMNS;

/** The filter parameters `params` sets, with their columns. */
export function activeFilters(params: ReportParams): { param: FilterParam; column: string; list: string[] }[] {
  return (Object.entries(FILTER_COLUMNS) as [FilterParam, string][])
    .map(([param, column]) => ({ param, column, list: params[param] ?? [] }))
    .filter((f) => f.list.length > 0);
}

/**
 * ` AND column IN {f_param:…}` for each filter set, for tables that carry the
 * filtered columns (values as rollupWhere binds them).
 */
export function filterClauses(params: ReportParams): string {
  return activeFilters(params)
    .map(({ param, column }) => ` AND ${column} IN {f_${param}:Array(String)}`)
    .join('');
}

/** Tenant, time range and the common filters, for rollup_15m (or raw events with `timeColumn`). */
export function rollupWhere(
  params: ReportParams,
  range: ReportRange,
  timeColumn = 'bucket',
): { sql: string; values: QueryParams } {
  const clauses = [
    'tenant_id = {tenant:String}',
    `${timeColumn} >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')`,
    `${timeColumn} < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`,
  ];
  const values: QueryParams = { tenant: params.tenant, from_ms: range.fromMs, to_ms: range.toMs, tz: range.tz };
  for (const { param, column, list } of activeFilters(params)) {
    clauses.push(`${column} IN {f_${param}:Array(String)}`);
    values[`f_${param}`] = list;
  }
  return { sql: clauses.join(' AND '), values };
}

/**
 * The same SQL with every query parameter renamed `prefix + name`, so two
 * sources with parameters of the same names and other values can share one
 * statement. (Braces appear in this SQL only as parameter placeholders.)
 */
export function prefixed(sql: string, prefix: string): string {
  return sql.replace(/\{([a-z_][a-z0-9_]*):/g, `{${prefix}$1:`);
}

export function prefixedValues(values: QueryParams | undefined, prefix: string): QueryParams {
  return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [`${prefix}${k}`, v]));
}

/**
 * `column` inside any of the UTC spans [from, to), as ORed ranges (the engine
 * reads each through the sort key); null for no spans. Parameters rest_N_from/to.
 */
export function spansWhere(
  column: string,
  spans: readonly [number, number][],
): { sql: string; values: QueryParams } | null {
  if (spans.length === 0) return null;
  const values: QueryParams = {};
  const clauses = spans.map(([from, to], i) => {
    values[`rest_${i}_from`] = from;
    values[`rest_${i}_to`] = to;
    return `(${column} >= fromUnixTimestamp64Milli({rest_${i}_from:Int64}, 'UTC') AND ${column} < fromUnixTimestamp64Milli({rest_${i}_to:Int64}, 'UTC'))`;
  });
  return { sql: `(${clauses.join(' OR ')})`, values };
}
