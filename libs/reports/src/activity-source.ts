import type { ClickHouseService, QueryParams } from '@tallyhouse/clickhouse';
import { ACTIVITY_AGGREGATES } from '@tallyhouse/rollups';
import type { Interval, ReportParams } from './report-params';
import type { ReportRange } from './report-range';
import { activeFilters, filterClauses, rollupWhere, spansWhere, type FilterParam } from './rollup-sql';
import { summaryPeriods } from './rollup-source';

/**
 * Contact activity per platform and channel (seen, active, registered,
 * helped, signed_in, sign_ins, agents, events, proactive: see libs/rollups contact-summaries), read
 * like rollupSource reads the rollups: whole current months from
 * activity_monthly, whole current days from activity_daily, the rest of the
 * range regrouped from rollup_15m with the same aggregates. A few rows per
 * day instead of one per event type and dimension set.
 *
 * Exact only for filters on platform and channel (the other dimensions are
 * not in these tables): `servesActivity` says whether a report's parameters
 * qualify.
 */
export interface ActivitySource {
  /** A parenthesised subquery with bucket (UTC period start), platform, channel and the activity columns. */
  sql: string;
  values: QueryParams;
  /** Local periods served by the summaries ('YYYY-MM-DD'), for tests and the bench. */
  months: string[];
  days: string[];
}

/** The filters activity_* can apply: the dimensions it keeps. */
const ACTIVITY_FILTERS: readonly FilterParam[] = ['channel', 'platform'];

export function servesActivity(params: ReportParams): boolean {
  return activeFilters(params).every((f) => ACTIVITY_FILTERS.includes(f.param));
}

const COLUMNS = 'events, proactive, seen, active, registered, helped, signed_in, sign_ins, agents';

/**
 * `unionOnly`: the caller only ORs the bitmaps, so the summaries are read
 * without FINAL (a newer version of a row holds every contact of an older one).
 */
export async function activitySource(
  ch: ClickHouseService,
  params: ReportParams,
  range: ReportRange,
  interval: Interval | 'total',
  { unionOnly = false }: { unionOnly?: boolean } = {},
): Promise<ActivitySource> {
  if (!servesActivity(params)) throw new Error('activitySource: only channel and platform filters are exact here');
  const base = rollupWhere(params, range);
  const periods = await summaryPeriods(ch, params.tenant, range, interval);
  const values: QueryParams = { ...base.values, s_months: periods.months, s_days: periods.days };
  const filters = filterClauses(params);
  const final = unionOnly ? '' : ' FINAL';
  const branches: string[] = [];
  if (periods.months.length > 0) {
    branches.push(`SELECT toTimeZone(toDateTime(month, {tz:String}), 'UTC') AS bucket, platform, channel, ${COLUMNS}
                   FROM activity_monthly${final}
                   WHERE tenant_id = {tenant:String} AND time_zone = {tz:String}
                     AND month IN {s_months:Array(Date)}${filters}`);
  }
  if (periods.days.length > 0) {
    branches.push(`SELECT toTimeZone(toDateTime(day, {tz:String}), 'UTC') AS bucket, platform, channel, ${COLUMNS}
                   FROM activity_daily${final}
                   WHERE tenant_id = {tenant:String} AND time_zone = {tz:String}
                     AND day IN {s_days:Array(Date)}${filters}`);
  }
  const rest = spansWhere('bucket', periods.rest);
  if (rest || branches.length === 0) {
    Object.assign(values, rest?.values);
    branches.push(`SELECT bucket, platform, channel, n_events AS events, n_proactive AS proactive,
                          seen, active, registered, helped, signed_in, n_sign_ins AS sign_ins, agents
                   FROM (
                     SELECT bucket, platform, channel, ${ACTIVITY_AGGREGATES}
                     FROM rollup_15m
                     WHERE ${base.sql} AND ${rest?.sql ?? '0'}
                     GROUP BY bucket, platform, channel
                   )`);
  }
  return { sql: `(${branches.join('\n UNION ALL \n')})`, values, months: periods.months, days: periods.days };
}
