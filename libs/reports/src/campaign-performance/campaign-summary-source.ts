import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { CAMPAIGN_TABLE, campaignDayCurrent, funnelArrivals } from '@tallyhouse/rollups';
import type { ReportRange } from '../report-range';

/**
 * Which local send days of a campaign-performance range can be read from
 * campaign_send_daily: whole days inside the range whose latest build was in
 * the report's zone and that no later arrival can have changed (the reach of
 * each step's window: campaignDayCurrent). The rest of the range (partial
 * days, unbuilt or stale days, other zones) is computed from message_funnel;
 * `fallback` says whether any send falls there at all, so a range served
 * wholly by the summary never scans the funnel.
 */
export interface SendDays {
  /** Summarised local days ('YYYY-MM-DD'), with the built_at (epoch ms) of each day's build. */
  days: string[];
  builtMs: number[];
  /** Whether some send in the range lies outside those days. */
  fallback: boolean;
}

const HOUR_MS = 3_600_000;

interface BuildRow {
  day: string;
  time_zone: string;
  source_ms: number | string;
  built_ms: number | string;
  start_s: number | string;
  end_s: number | string;
}

export async function summarisedSendDays(ch: ClickHouseService, tenant: string, range: ReportRange): Promise<SendDays> {
  const values = { tenant, tz: range.tz, from_ms: range.fromMs, to_ms: range.toMs, table: CAMPAIGN_TABLE };
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
    { tag: 'report:campaign-performance:builds', params: values, idempotent: true },
  );
  const whole = builds.filter((b) => Number(b.start_s) * 1000 >= range.fromMs && Number(b.end_s) * 1000 <= range.toMs);
  if (whole.length === 0) return { days: [], builtMs: [], fallback: true };
  const minSource = Math.min(...whole.map((b) => Number(b.source_ms)));
  const arrivals = await funnelArrivals(ch, tenant, minSource);
  const fresh = whole.filter((b) =>
    campaignDayCurrent(
      { time_zone: b.time_zone, sourceArrivalMs: Number(b.source_ms) },
      range.tz,
      arrivals,
      Number(b.end_s) * 1000,
    ),
  );
  // Sends outside the fresh days: any hour with sends whose part inside the range is not covered by them.
  const sendHours = await ch.query<{ hour_s: number | string }>(
    `SELECT DISTINCT toUnixTimestamp(hour) AS hour_s FROM type_arrivals
     WHERE tenant_id = {tenant:String} AND type = 'message.sent'
       AND hour > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') - INTERVAL 1 HOUR
       AND hour < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`,
    { tag: 'report:campaign-performance:send-hours', params: values, idempotent: true },
  );
  const spans = fresh.map((b) => [Number(b.start_s) * 1000, Number(b.end_s) * 1000] as const);
  const coveredAt = (ms: number) => spans.find(([s, e]) => s <= ms && ms < e);
  const covered = (from: number, to: number): boolean => {
    // An hour spans at most two local days.
    const first = coveredAt(from);
    return first !== undefined && (to <= first[1] || coveredAt(first[1]) !== undefined);
  };
  const fallback = sendHours.some((h) => {
    const from = Math.max(Number(h.hour_s) * 1000, range.fromMs);
    const to = Math.min(Number(h.hour_s) * 1000 + HOUR_MS, range.toMs);
    return from < to && !covered(from, to);
  });
  return { days: fresh.map((b) => b.day), builtMs: fresh.map((b) => Number(b.built_ms)), fallback };
}
