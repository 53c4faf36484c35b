import type { ClickHouseService, QueryParams } from '@tallyhouse/clickhouse';
import type { Interval, ReportParams } from './report-params';
import type { ReportRange } from './report-range';
import { localMidnightToUtc, periodEnd } from './report-range';
import { filterClauses, rollupWhere, spansWhere } from './rollup-sql';

/**
 * The rows a rollup report aggregates, read from the coarsest table that is
 * exact for them: whole local months from rollup_monthly, whole local days
 * from rollup_daily, everything else from rollup_15m. The three have the same
 * dimensions and mergeable bitmaps, so a report's GROUP BY over their union
 * gives the figures it would over rollup_15m alone, with far fewer rows.
 *
 * A summary period is used only when it was built in the report's zone and no
 * event for it arrived after the build read its source (rollup_builds against
 * event_arrivals): a late event sends its day and month back to rollup_15m
 * until the job restates them. Each 15-minute UTC bucket lies in exactly one
 * local day of any zone, so "not in a summarised day" splits the range exactly.
 */
export interface RollupSource {
  /** A parenthesised subquery with columns type, bucket (UTC period start), the dimensions, events, value, contacts. */
  sql: string;
  values: QueryParams;
  /** Local periods served by the summaries ('YYYY-MM-DD'), for tests and the bench. */
  months: string[];
  days: string[];
}

const DIMS = 'channel, platform, campaign_id, message_id, org_unit, group_id, agent_id';

/** A row of the freshness query: a local day with events (kind 'day') or a summary build (kind = its table). */
interface FreshnessRow {
  kind: string;
  /** The local day, or the built period. */
  day: string;
  month: string;
  day_whole: number | boolean;
  month_whole: number | boolean;
  /** When the day's events last arrived, or the build's source arrival (epoch ms). */
  arrived_ms: number | string;
  /** The build's zone ('' for days). */
  time_zone: string;
}

/**
 * `interval` is the report's grouping ('total' when it sums the whole range):
 * hours need 15-minute rows, days and weeks can use daily summaries, months
 * and longer can use both. `types` narrows every branch to these event types.
 * `unionOnly`: the caller only ORs the bitmaps, so the summaries are read
 * without FINAL. Exact for that use alone: sources only grow, so a newer
 * version of a summary row holds every contact of an older one (counts would
 * be summed over versions).
 */
export async function rollupSource(
  ch: ClickHouseService,
  params: ReportParams,
  range: ReportRange,
  interval: Interval | 'total',
  types?: readonly string[],
  { unionOnly = false }: { unionOnly?: boolean } = {},
): Promise<RollupSource> {
  const base = rollupWhere(params, range);
  const values: QueryParams = { ...base.values };
  const typeClause = types ? ' AND type IN {s_types:Array(String)}' : '';
  if (types) values.s_types = types;

  const { months: monthsUsed, days: daysUsed, rest } = await summaryPeriods(ch, params.tenant, range, interval);
  values.s_months = monthsUsed;
  values.s_days = daysUsed;

  const filters = filterClauses(params);
  const final = unionOnly ? '' : ' FINAL';
  const branches: string[] = [];
  if (monthsUsed.length > 0) {
    branches.push(`SELECT type, toTimeZone(toDateTime(month, {tz:String}), 'UTC') AS bucket, ${DIMS},
                          events, value, contacts
                   FROM rollup_monthly${final}
                   WHERE tenant_id = {tenant:String} AND time_zone = {tz:String}
                     AND month IN {s_months:Array(Date)}${filters}${typeClause}`);
  }
  if (daysUsed.length > 0) {
    branches.push(`SELECT type, toTimeZone(toDateTime(day, {tz:String}), 'UTC') AS bucket, ${DIMS},
                          events, value, contacts
                   FROM rollup_daily${final}
                   WHERE tenant_id = {tenant:String} AND time_zone = {tz:String}
                     AND day IN {s_days:Array(Date)}${filters}${typeClause}`);
  }
  const restWhere = spansWhere('bucket', rest);
  if (restWhere || branches.length === 0) {
    Object.assign(values, restWhere?.values);
    branches.push(`SELECT type, bucket, ${DIMS}, toUInt64(events) AS events, toDecimal128(value, 4) AS value, contacts
                   FROM rollup_15m
                   WHERE ${base.sql} AND ${restWhere?.sql ?? '0'}${typeClause}`);
  }
  return { sql: `(${branches.join('\n UNION ALL \n')})`, values, months: monthsUsed, days: daysUsed };
}

/** The summarised local months and days a report reads, and the rest of its range. */
export interface SummaryPeriods {
  months: string[];
  days: string[];
  /**
   * The UTC spans [fromMs, toMs) of the range those months and days do not cover: read from
   * the finer source. Spans, not a list of excluded days, so that read uses the sort key.
   */
  rest: [number, number][];
}

/**
 * Which current summary periods (rollup_builds of rollup_daily / rollup_monthly,
 * which every table built with them shares) a report over `range` grouped by
 * `interval` reads: months for monthly and coarser intervals, days otherwise.
 */
export async function summaryPeriods(
  ch: ClickHouseService,
  tenant: string,
  range: ReportRange,
  interval: Interval | 'total',
): Promise<SummaryPeriods> {
  const fresh = interval === 'hour' ? NONE : await freshSummaries(ch, tenant, range);
  const useMonths = interval === 'month' || interval === 'quarter' || interval === 'year' || interval === 'total';
  const months = useMonths ? fresh.months : [];
  const inUsedMonth = (day: string) => months.includes(day.slice(0, 8) + '01');
  const days = fresh.days.filter((d) => !inUsedMonth(d));
  // A summarised month holds all of its days, fresh or not as days.
  const covered = [
    ...months.map((m) => localSpan(m, 'month', range.tz)),
    ...days.map((d) => localSpan(d, 'day', range.tz)),
  ];
  return { months, days, rest: uncovered(range, covered) };
}

/** [start, end) in UTC of the local day or month starting on `label` ('YYYY-MM-DD'). */
function localSpan(label: string, unit: 'day' | 'month', tz: string): [number, number] {
  const [y, m, d] = label.split('-').map(Number);
  return [localMidnightToUtc(y, m, d, tz), periodEnd(label, unit, tz)];
}

/** The parts of the range outside the covered spans, adjacent parts merged. */
export function uncovered(range: ReportRange, covered: readonly [number, number][]): [number, number][] {
  const rest: [number, number][] = [];
  let at = range.fromMs;
  for (const [start, end] of [...covered].sort((a, b) => a[0] - b[0])) {
    if (start > at) rest.push([at, Math.min(start, range.toMs)]);
    at = Math.max(at, end);
    if (at >= range.toMs) break;
  }
  if (at < range.toMs) rest.push([at, range.toMs]);
  return rest.filter(([a, b]) => a < b);
}

interface FreshSummaries {
  /** Whole local days in the range whose daily summary is current. */
  days: string[];
  /** Whole local months in the range whose monthly summary is current. */
  months: string[];
  /** Every local day with events near the range (days without events have rows in no table). */
  daysWithEvents: string[];
}

const NONE: FreshSummaries = { days: [], months: [], daysWithEvents: [] };

/** Local days and months inside the range whose summaries are current. */
async function freshSummaries(ch: ClickHouseService, tenant: string, range: ReportRange): Promise<FreshSummaries> {
  const values = { tenant, tz: range.tz, from_ms: range.fromMs, to_ms: range.toMs };
  // One engine call (each costs 5-15 ms on the embedded engine) for two things: every local day
  // with events in the range, when its events last arrived, and whether it and its month lie
  // inside the range (kind 'day'); and the latest build of every daily and monthly summary
  // period that can matter (kind = the table, arrived_ms = the build's source arrival).
  const rows = await ch.query<FreshnessRow>(
    `SELECT 'day' AS kind, toString(d) AS day, toString(toStartOfMonth(d)) AS month,
            toUInt8(toUnixTimestamp(toDateTime(d, {tz:String})) * 1000 >= {from_ms:Int64}
              AND toUnixTimestamp(toDateTime(d + 1, {tz:String})) * 1000 <= {to_ms:Int64}) AS day_whole,
            toUInt8(toUnixTimestamp(toDateTime(toStartOfMonth(d), {tz:String})) * 1000 >= {from_ms:Int64}
              AND toUnixTimestamp(toDateTime(addMonths(toStartOfMonth(d), 1), {tz:String})) * 1000 <= {to_ms:Int64}) AS month_whole,
            toInt64(toUnixTimestamp64Milli(max(last_ingested_at))) AS arrived_ms, '' AS time_zone
     FROM event_arrivals
     ARRAY JOIN arrayDistinct([toDate(hour, {tz:String}), toDate(hour + INTERVAL 3599 SECOND, {tz:String})]) AS d
     WHERE tenant_id = {tenant:String}
       AND hour >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') - INTERVAL 1 HOUR
       AND hour < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
     GROUP BY d
     UNION ALL
     -- (Not "AS period": ClickHouse would read the alias in WHERE.)
     SELECT toString(table_name), toString(period), '', toUInt8(0), toUInt8(0),
            toInt64(toUnixTimestamp64Milli(argMax(source_arrival_at, built_at))), argMax(time_zone, built_at)
     FROM rollup_builds
     WHERE tenant_id = {tenant:String} AND table_name IN ('rollup_daily', 'rollup_monthly')
       AND period >= toStartOfMonth(toDate(fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') - INTERVAL 1 DAY, {tz:String}))
       AND period <= toDate(fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC'), {tz:String})
     GROUP BY table_name, period`,
    { tag: 'report:summary-freshness', params: values, idempotent: true },
  );
  const dayRows = rows.filter((r) => r.kind === 'day');
  const candidates = dayRows.filter((d) => Boolean(Number(d.day_whole)));
  if (candidates.length === 0) return NONE;
  const builds = rows.filter((r) => r.kind !== 'day');
  const built = new Map(builds.filter((b) => b.time_zone === range.tz).map((b) => [`${b.kind}|${b.day}`, b]));
  const current = (table: string, period: string, arrivedMs: number): boolean => {
    const b = built.get(`${table}|${period}`);
    return b !== undefined && Number(b.arrived_ms) >= arrivedMs;
  };
  const days = candidates.filter((d) => current('rollup_daily', d.day, Number(d.arrived_ms))).map((d) => d.day);
  // A month needs every day with events inside the range, and no day of it arrived after its build.
  const byMonth = new Map<string, FreshnessRow[]>();
  for (const d of dayRows) byMonth.set(d.month, [...(byMonth.get(d.month) ?? []), d]);
  const months = [...byMonth.entries()]
    .filter(
      ([month, rows]) =>
        rows.every((d) => Boolean(Number(d.month_whole))) &&
        current('rollup_monthly', month, Math.max(...rows.map((d) => Number(d.arrived_ms)))),
    )
    .map(([month]) => month);
  return { days, months, daysWithEvents: dayRows.map((d) => d.day) };
}
