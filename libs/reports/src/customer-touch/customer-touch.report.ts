import { ApiPropertyOptional } from '@nestjs/swagger';
import { EARLIEST_EVENT_MS } from '@tallyhouse/events';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsOptional, Matches } from 'class-validator';
import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParams, toList } from '../report-params';
import { rollupWhere } from '../rollup-sql';
import { rollupSource } from '../rollup-source';

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
    const where = rollupWhere(params, range, 'occurred_at');
    const typeFilter = params.message_type?.length ? 'AND channel IN {message_type:Array(String)}' : '';
    const values = { ...where.values, message_type: params.message_type ?? [] };
    // Per contact, how many notifications in all and per platform class (one pass, counters per
    // class rather than a row per class); then how many contacts per count.
    const histogram = await ch.query<HistogramRow>(
      `SELECT segment, least(n, 10) AS received, count() AS contacts
       FROM (
         SELECT contact_no, count() AS total, countIf(platform = 'ios') AS ios, countIf(platform = 'android') AS android
         FROM events
         WHERE ${where.sql} AND type = 'message.delivered' AND contact_no != 0 ${typeFilter}
         GROUP BY contact_no
       )
       ARRAY JOIN ['total', 'ios', 'android', 'other'] AS segment, [total, ios, android, toUInt64(total - ios - android)] AS n
       WHERE n > 0
       GROUP BY segment, received`,
      { tag: 'report:customer-touch', params: values, idempotent: true },
    );
    // Known contacts: anyone with an event before the end of the range. Whole months and days
    // from the summaries of the tenant's home zone (the zone only cuts the union into periods,
    // so any zone gives the same set), rollup_15m for the rest; no filter narrows "known".
    const [home] = await ch.query<{ time_zone: string }>(
      `SELECT time_zone FROM tenants FINAL WHERE tenant_id = {tenant:String}`,
      { tag: 'report:customer-touch:zone', params: { tenant: params.tenant }, idempotent: true },
    );
    const everything = Object.assign(new ReportParams(), { tenant: params.tenant });
    const before = await rollupSource(
      ch,
      everything,
      { tz: home?.time_zone || 'UTC', fromMs: EARLIEST_EVENT_MS, toMs: range.toMs },
      'total',
      undefined,
      { unionOnly: true },
    );
    const known = await ch.query<KnownRow>(
      `SELECT segment, bitmapCardinality(groupBitmapMergeState(contacts)) AS known
       FROM (SELECT ${PLATFORM_CLASS} AS class, contacts FROM ${before.sql})
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
