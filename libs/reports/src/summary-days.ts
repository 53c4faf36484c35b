import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { dayCurrent, type DaySummaryFamily, type TypeArrival } from '@tallyhouse/rollups';
import type { ReportRange } from './report-range';

/**
 * Which local days of a range can be read from a per-day summary: whole days
 * inside the range whose latest build was in the report's zone and that no
 * later arrival can have changed (`current`). The rest of the range (partial
 * days, unbuilt or stale days, other zones) is computed from the report's
 * exact source; `fallback` says whether any row-type event falls there at
 * all, so a range served wholly by the summary never reads that source.
 */
export interface SummarisedDays {
  /** Summarised local days ('YYYY-MM-DD'), with the built_at (epoch ms) of each day's build. */
  days: string[];
  builtMs: number[];
  /** Whether some row-type event in the range lies outside those days. */
  fallback: boolean;
}

const HOUR_MS = 3_600_000;

interface ArrivalRow {
  type: string;
  hour_s: number | string;
  last_ms: number | string;
}

interface BuildRow {
  day: string;
  time_zone: string;
  source_ms: number | string;
  built_ms: number | string;
  start_s: number | string;
  end_s: number | string;
}

export async function summarisedDays(
  ch: ClickHouseService,
  tenant: string,
  range: ReportRange,
  summary: DaySummaryFamily,
): Promise<SummarisedDays> {
  const values = {
    tenant,
    tz: range.tz,
    from_ms: range.fromMs,
    to_ms: range.toMs,
    table: summary.table,
    row_type: summary.rowType,
  };
  const builds = await ch.query<BuildRow>(
    `SELECT toString(period) AS day, argMax(time_zone, built_at) AS time_zone,
            toUnixTimestamp64Milli(argMax(source_arrival_at, built_at)) AS source_ms,
            toUnixTimestamp64Milli(max(built_at)) AS built_ms,
            toUnixTimestamp(toDateTime(period, {tz:String})) AS start_s,
            toUnixTimestamp(toDateTime(period + 1, {tz:String})) AS end_s
     FROM rollup_builds
     WHERE tenant_id = {tenant:String} AND table_name = {table:String}
       AND period >= toDate(fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC'), {tz:String})
       AND period <= toDate(fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC'), {tz:String})
     GROUP BY period`,
    { tag: 'report:summary-day-builds', params: values, idempotent: true },
  );
  const whole = builds.filter((b) => Number(b.start_s) * 1000 >= range.fromMs && Number(b.end_s) * 1000 <= range.toMs);
  if (whole.length === 0) return { days: [], builtMs: [], fallback: true };
  const minSource = Math.min(...whole.map((b) => Number(b.source_ms)));
  // One read of type_arrivals: the arrivals after the oldest build (can they reach a day?) and
  // the hours of the range with row-type events (do rows fall outside the fresh days?).
  const hours = await ch.query<ArrivalRow>(
    `SELECT type, toUnixTimestamp(hour) AS hour_s, toUnixTimestamp64Milli(max(last_ingested_at)) AS last_ms
     FROM type_arrivals
     WHERE tenant_id = {tenant:String} AND type IN {types:Array(String)}
     GROUP BY type, hour
     HAVING last_ms > {after:Int64}
         OR (type = {row_type:String} AND hour > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') - INTERVAL 1 HOUR
             AND hour < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC'))`,
    {
      tag: 'report:summary-day-arrivals',
      params: { ...values, types: summary.types, after: minSource },
      idempotent: true,
    },
  );
  const arrivals: TypeArrival[] = hours
    .map((h) => ({ type: h.type, hourMs: Number(h.hour_s) * 1000, lastMs: Number(h.last_ms) }))
    .filter((a) => a.lastMs > minSource);
  const fresh = whole.filter((b) =>
    dayCurrent(
      summary,
      { time_zone: b.time_zone, sourceArrivalMs: Number(b.source_ms) },
      range.tz,
      arrivals,
      Number(b.end_s) * 1000,
    ),
  );
  // Rows outside the fresh days: any hour with row-type events whose part inside the range is not covered by them.
  const rowHours = hours.filter((h) => h.type === summary.rowType);
  const spans = fresh.map((b) => [Number(b.start_s) * 1000, Number(b.end_s) * 1000] as const);
  const coveredAt = (ms: number) => spans.find(([s, e]) => s <= ms && ms < e);
  const covered = (from: number, to: number): boolean => {
    // An hour spans at most two local days.
    const first = coveredAt(from);
    return first !== undefined && (to <= first[1] || coveredAt(first[1]) !== undefined);
  };
  const fallback = rowHours.some((h) => {
    const from = Math.max(Number(h.hour_s) * 1000, range.fromMs);
    const to = Math.min(Number(h.hour_s) * 1000 + HOUR_MS, range.toMs);
    return from < to && !covered(from, to);
  });
  return { days: fresh.map((b) => b.day), builtMs: fresh.map((b) => Number(b.built_ms)), fallback };
}
