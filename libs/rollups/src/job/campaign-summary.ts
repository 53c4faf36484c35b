import type { ClickHouseService } from '@tallyhouse/clickhouse';
import type { BuildRecord } from './rollup.types';

/** rollup_builds.table_name of the campaign send-day summary. */
export const CAMPAIGN_TABLE = 'campaign_send_daily';

/** The event types message_funnel reads. */
export const FUNNEL_TYPES = ['message.sent', 'message.viewed', 'message.clicked', 'goal.reached'] as const;

const DAY_MS = 86_400_000;

/** When events of one funnel type last arrived for one UTC hour (type_arrivals). */
export interface TypeArrival {
  type: string;
  hourMs: number;
  lastMs: number;
}

/**
 * The latest arrival that can have changed the summary of a send day ending
 * at `dayEndMs`. Steps are judged against first instants (message_funnel's
 * mins), so an event at t can change a send s when:
 * - a send: t is a new first send, earlier than s (the contact moves to t's
 *   day) or on the day itself: any t before the day's end;
 * - a view: a new first view inside [s, s + 7 d], or before s (then the
 *   first view precedes the send and the send is not viewed): t < end + 7 d;
 * - a goal: the same with 30 days: t < end + 30 d;
 * - a click: clicks have no window (any later click counts), so any t.
 * Hours are compared by their start, which is at or before every t in them.
 */
export function campaignDayArrival(arrivals: readonly TypeArrival[], dayEndMs: number): number {
  let latest = 0;
  for (const a of arrivals) {
    const reach =
      a.type === 'message.clicked'
        ? Infinity
        : a.type === 'message.sent'
          ? dayEndMs
          : a.type === 'message.viewed'
            ? dayEndMs + 7 * DAY_MS
            : dayEndMs + 30 * DAY_MS;
    if (a.hourMs < reach && a.lastMs > latest) latest = a.lastMs;
  }
  return latest;
}

/** Whether a built send day is current for the report's zone. */
export function campaignDayCurrent(
  build: BuildRecord | undefined,
  tz: string,
  arrivals: readonly TypeArrival[],
  dayEndMs: number,
): boolean {
  return (
    build !== undefined && build.time_zone === tz && campaignDayArrival(arrivals, dayEndMs) <= build.sourceArrivalMs
  );
}

interface ArrivalRow {
  type: string;
  hour_s: number | string;
  last_ms: number | string;
}

/** The tenant's arrivals of these types later than `afterMs` (all of them with 0). */
export async function typeArrivals(
  ch: ClickHouseService,
  tenant: string,
  types: readonly string[],
  afterMs = 0,
): Promise<TypeArrival[]> {
  const rows = await ch.query<ArrivalRow>(
    `SELECT type, toUnixTimestamp(hour) AS hour_s, toUnixTimestamp64Milli(max(last_ingested_at)) AS last_ms
     FROM type_arrivals
     WHERE tenant_id = {tenant:String} AND type IN {types:Array(String)}
     GROUP BY type, hour
     HAVING last_ms > {after:Int64}`,
    { tag: 'rollups:type-arrivals', params: { tenant, types, after: afterMs }, idempotent: true },
  );
  return rows.map((r) => ({ type: r.type, hourMs: Number(r.hour_s) * 1000, lastMs: Number(r.last_ms) }));
}

/** Most days one INSERT ... SELECT builds: each statement reads the tenant's whole source once. */
const DAYS_PER_INSERT = 100;

export interface DayBuild {
  period: string;
  startMs: number;
  endMs: number;
  sourceArrivalMs: number;
}

/** A per-day summary build, DAYS_PER_INSERT days at a time: the days and the query parameters for them. */
export function* dayChunks(tenant: string, tz: string, days: readonly DayBuild[], builtAtMs: number) {
  for (let i = 0; i < days.length; i += DAYS_PER_INSERT) {
    const chunk = days.slice(i, i + DAYS_PER_INSERT);
    const params = {
      tenant,
      tz,
      built: builtAtMs,
      from_ms: Math.min(...chunk.map((d) => d.startMs)),
      to_ms: Math.max(...chunk.map((d) => d.endMs)),
      days: chunk.map((d) => d.period),
    };
    yield { chunk, params };
  }
}

/**
 * Builds campaign_send_daily from message_funnel with the report's
 * definitions (test/report-campaign-performance.e2e-spec.ts checks both
 * against the events): per first-send day, campaign and message, bitmaps of
 * the contacts sent, viewed within 7 days, clicked after the send, and with
 * the goal within 30 days after a view. Every row of one build carries the
 * build's `built_at`, recorded in rollup_builds too: readers take only the
 * rows of a day's latest build, so a campaign that no longer has first sends
 * on a rebuilt day leaves no stale row behind.
 */
export async function buildSendDays(
  ch: ClickHouseService,
  tenant: string,
  tz: string,
  days: readonly DayBuild[],
  builtAtMs: number,
): Promise<void> {
  for (const { chunk, params } of dayChunks(tenant, tz, days, builtAtMs)) {
    await ch.insertSelect(
      CAMPAIGN_TABLE,
      ['tenant_id', 'time_zone', 'day', 'campaign_id', 'message_id', 'sent', 'viewed', 'clicked', 'goal', 'built_at'],
      `WITH
       sends AS (
         SELECT campaign_id, message_id, contact_no,
                min(sent_at) AS first_sent_at, min(viewed_at) AS first_viewed_at, min(clicked_at) AS first_clicked_at
         FROM message_funnel
         WHERE tenant_id = {tenant:String} AND message_id != ''
         GROUP BY campaign_id, message_id, contact_no
         HAVING first_sent_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
            AND first_sent_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
            AND toDate(first_sent_at, {tz:String}) IN {days:Array(Date)}
       ),
       goals AS (
         SELECT campaign_id, message_id, contact_no, min(goal_at) AS first_goal_at
         FROM message_funnel
         WHERE tenant_id = {tenant:String} AND goal_at IS NOT NULL
         GROUP BY campaign_id, message_id, contact_no
       )
       SELECT {tenant:String}, {tz:String}, toDate(s.first_sent_at, {tz:String}) AS day, s.campaign_id, s.message_id,
              groupBitmapState(s.contact_no),
              groupBitmapStateIf(s.contact_no, viewed),
              groupBitmapStateIf(s.contact_no, s.first_clicked_at IS NOT NULL AND s.first_clicked_at >= s.first_sent_at),
              groupBitmapStateIf(s.contact_no, viewed AND g.first_goal_at IS NOT NULL
                AND g.first_goal_at >= s.first_sent_at AND g.first_goal_at <= s.first_sent_at + INTERVAL 30 DAY),
              fromUnixTimestamp64Milli({built:Int64}, 'UTC')
       FROM (
         SELECT *, first_viewed_at IS NOT NULL AND first_viewed_at >= first_sent_at
                   AND first_viewed_at <= first_sent_at + INTERVAL 7 DAY AS viewed
         FROM sends
       ) AS s
       LEFT JOIN goals AS g
         ON g.campaign_id = s.campaign_id AND g.contact_no = s.contact_no
        AND g.message_id = if(s.campaign_id = '', s.message_id, '')
       GROUP BY day, s.campaign_id, s.message_id`,
      { tag: 'rollups:build-send-days', params },
    );
    await recordDays(ch, tenant, tz, CAMPAIGN_TABLE, chunk, builtAtMs);
  }
}

/** Records built days in rollup_builds with the build's own built_at (readers match rows to it). */
export async function recordDays(
  ch: ClickHouseService,
  tenant: string,
  tz: string,
  table: string,
  days: readonly DayBuild[],
  builtAtMs: number,
): Promise<void> {
  await ch.insertSelect(
    'rollup_builds',
    ['tenant_id', 'table_name', 'period', 'time_zone', 'source_arrival_at', 'built_at'],
    `SELECT {tenant:String}, {table:String}, p.1, {tz:String}, fromUnixTimestamp64Milli(p.2, 'UTC'),
            fromUnixTimestamp64Milli({built:Int64}, 'UTC')
     FROM (SELECT arrayJoin(arrayZip({periods:Array(Date)}, {arrivals:Array(Int64)})) AS p)`,
    {
      tag: 'rollups:record-days',
      params: {
        tenant,
        tz,
        table,
        built: builtAtMs,
        periods: days.map((d) => d.period),
        arrivals: days.map((d) => d.sourceArrivalMs),
      },
    },
  );
}
