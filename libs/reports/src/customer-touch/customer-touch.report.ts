import { ApiPropertyOptional } from '@nestjs/swagger';
import { EARLIEST_EVENT_MS } from '@tallyhouse/events';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsOptional, Matches } from 'class-validator';
import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParams, toList } from '../report-params';
import type { ClickHouseService, QueryParams } from '@tallyhouse/clickhouse';
import { TOUCH_COUNTS, TOUCH_TYPE } from '@tallyhouse/rollups';
import { activitySource } from '../activity-source';
import { homeZone } from '../home-zone';
import type { ReportRange } from '../report-range';
import { activeFilters, rollupWhere, spansWhere } from '../rollup-sql';
import { summaryPeriods } from '../rollup-source';

export class CustomerTouchParams extends ReportParams {
  @ApiPropertyOptional({
    description: 'Only notifications of these message types, i.e. channels: push, email, sms… (comma-separated)',
    type: String,
  })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(20)
  @Matches(/^[a-z][a-z0-9_-]*$/, {
    each: true,
    message: 'message_type must be a list of channel names such as push, email',
  })
  message_type?: string[];
}

/** Segments of the histogram: every contact, then by the platform class of the notification. */
const SEGMENTS = ['total', 'ios', 'android', 'other'] as const;
/** SQL for a platform's class; the identifiers are fixed. */
const PLATFORM_CLASS = "multiIf(platform = 'ios', 'ios', platform = 'android', 'android', 'other')";
const BUCKETS = ['none', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10+'] as const;

interface HistogramRow {
  segment: string;
  received: number | string;
  contacts: number | string;
}

interface KnownRow {
  segment: string;
  known: number | string;
}

/**
 * Customer touch (customer-touch-notification-histogram): how many contacts
 * received none, 1, 2, … 9, or 10 or more notifications in the range.
 */
export const CustomerTouchReport: ReportDefinition<CustomerTouchParams> = {
  name: 'customer-touch',
  title: 'Customer touch',
  reference: 'customer-touch-notification-histogram',
  description:
    'Contacts by the number of notifications they received in the range: none, 1 … 9, 10 or more. ' +
    'A notification received is a message.delivered event; message_type narrows it to channels (push, ' +
    'email, sms, …). Segments: total (all notifications of a contact, any platform) and per platform of ' +
    'the notification: ios, android, and other (every other platform); a contact who received on two ' +
    'platforms is in both segments, with the count of each. "none" counts the known contacts who received ' +
    'nothing: known = contacts with any event of any type before the end of the range (for a platform ' +
    'segment, any event on that platform class). Exact counts.',
  params: CustomerTouchParams,
  groupBy: [],

  columns(): ReportColumn[] {
    return [
      { name: 'segment', type: 'string', description: 'total, ios, android or other' },
      { name: 'known_contacts', type: 'integer', description: 'Contacts known by the end of the range' },
      ...BUCKETS.map((b): ReportColumn => ({
        name: b === 'none' ? 'none' : `received_${b.replace('+', '_or_more')}`,
        type: 'integer',
        description: b === 'none' ? 'Known contacts who received no notification' : `Contacts who received ${b}`,
      })),
    ];
  },

  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const received = await receivedPerContact(ch, params, range);
    // Per contact, how many notifications in all and per platform class (counters per class
    // rather than a row per class); then how many contacts per count.
    const histogram = await ch.query<HistogramRow>(
      `SELECT segment, least(n, 10) AS received, count() AS contacts
       FROM (
         SELECT contact_no, sum(n_ios) + sum(n_android) + sum(n_other) AS total, sum(n_ios) AS ios_n,
                sum(n_android) AS android_n, sum(n_other) AS other_n
         FROM ${received.sql}
         GROUP BY contact_no
       )
       ARRAY JOIN ['total', 'ios', 'android', 'other'] AS segment, [total, ios_n, android_n, other_n] AS n
       WHERE n > 0
       GROUP BY segment, received`,
      { tag: 'report:customer-touch', params: received.values, idempotent: true },
    );
    // Known contacts: anyone with an event before the end of the range. Whole months and days
    // from the summaries of the tenant's home zone (the zone only cuts the union into periods,
    // so any zone gives the same set), rollup_15m for the rest; no filter narrows "known".
    const everything = Object.assign(new ReportParams(), { tenant: params.tenant });
    const before = await activitySource(
      ch,
      everything,
      { tz: await homeZone(ch, params.tenant), fromMs: EARLIEST_EVENT_MS, toMs: range.toMs },
      'total',
      { unionOnly: true },
    );
    const known = await ch.query<KnownRow>(
      `SELECT segment, groupBitmapMerge(seen) AS known
       FROM (SELECT ${PLATFORM_CLASS} AS class, seen FROM ${before.sql})
       ARRAY JOIN ['total', class] AS segment
       GROUP BY segment`,
      { tag: 'report:customer-touch:known', params: before.values, idempotent: true },
    );
    const knownBy = new Map(known.map((k) => [k.segment, Number(k.known)]));
    return SEGMENTS.map((segment) => {
      const row: ReportRow = { segment, known_contacts: knownBy.get(segment) ?? 0, none: 0 };
      let receivers = 0;
      for (let n = 1; n <= 10; n++) {
        const found = histogram.find((h) => h.segment === segment && Number(h.received) === n);
        const count = found ? Number(found.contacts) : 0;
        row[n === 10 ? 'received_10_or_more' : `received_${n}`] = count;
        receivers += count;
      }
      row.none = Math.max(0, Number(row.known_contacts) - receivers);
      return row;
    });
  },
};

/**
 * Notifications received per contact in the range (rows of contact_no, n_ios, n_android, n_other, one
 * or more per contact): whole current months from touch_monthly, whole current days from
 * touch_daily, the rest from events. With a common filter (channel, platform, campaign, org
 * unit, group) everything comes from events, which hold those.
 */
export async function receivedPerContact(
  ch: ClickHouseService,
  params: CustomerTouchParams,
  range: ReportRange,
): Promise<{ sql: string; values: QueryParams; months: string[]; days: string[] }> {
  const where = rollupWhere(params, range, 'occurred_at');
  // touch_* keeps no filter dimension (only each notification's channel, for message_type).
  const summarised = activeFilters(params).length === 0;
  const periods = summarised
    ? await summaryPeriods(ch, params.tenant, range, 'total')
    : { months: [], days: [], rest: [[range.fromMs, range.toMs] as [number, number]] };
  const types = params.message_type?.length ? params.message_type : null;
  const values: QueryParams = {
    ...where.values,
    message_type: types ?? [],
    s_months: periods.months,
    s_days: periods.days,
  };
  // A summary row's counts per platform class; with message types, only the chosen channels'
  // (one row per channel, then a filter: cheaper than filtering each array).
  const fromSummary = (table: string, period: string, list: string) =>
    types
      ? `SELECT contact_no, t_ios AS n_ios, t_android AS n_android, t_other AS n_other
         FROM ${table} FINAL
         ARRAY JOIN channels AS t_channel, ios AS t_ios, android AS t_android, other AS t_other
         WHERE tenant_id = {tenant:String} AND time_zone = {tz:String} AND ${period} IN {${list}:Array(Date)}
           AND t_channel IN {message_type:Array(String)}`
      : `SELECT contact_no, arraySum(ios) AS n_ios, arraySum(android) AS n_android, arraySum(other) AS n_other
         FROM ${table} FINAL
         WHERE tenant_id = {tenant:String} AND time_zone = {tz:String} AND ${period} IN {${list}:Array(Date)}`;
  const branches: string[] = [];
  if (periods.months.length > 0) branches.push(fromSummary('touch_monthly', 'month', 's_months'));
  if (periods.days.length > 0) branches.push(fromSummary('touch_daily', 'day', 's_days'));
  const rest = spansWhere('occurred_at', periods.rest);
  if (rest || branches.length === 0) {
    Object.assign(values, rest?.values);
    branches.push(`SELECT contact_no, ${TOUCH_COUNTS}
       FROM events
       WHERE ${where.sql} AND ${rest?.sql ?? '0'} AND type = '${TOUCH_TYPE}' AND contact_no != 0
         ${types ? 'AND channel IN {message_type:Array(String)}' : ''}
       GROUP BY contact_no`);
  }
  return { sql: `(${branches.join('\n UNION ALL \n')})`, values, months: periods.months, days: periods.days };
}
