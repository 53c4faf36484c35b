import type { ClickHouseService } from '@tallyhouse/clickhouse';

/**
 * The contact-level summaries (migration 0014), built with rollup_daily and
 * rollup_monthly for the same periods and recorded with them: activity_* (sets
 * of contacts per platform and channel) and touch_* (notifications received
 * per contact and channel). The definitions below are the reports': these
 * constants are what account-usage, cohorts and customer-touch compute.
 */

/** Events done to a contact rather than by them: they do not make a contact active. */
export const PASSIVE_TYPES = ['message.sent', 'message.delivered', 'message.bounced'] as const;
/** The conversational event types: a contact with one of these in a period was helped in it. */
export const HELPED_TYPES = ['conversation.message_in', 'conversation.message_out'] as const;
/** Channels on which a message.sent is a proactive message (not a reply in a conversation). */
export const PROACTIVE_CHANNELS = ['chat', 'social'] as const;
/** A notification received. */
export const TOUCH_TYPE = 'message.delivered';

export const ACTIVITY_COLUMNS = [
  'events',
  'proactive',
  'seen',
  'active',
  'registered',
  'helped',
  'signed_in',
  'sign_ins',
  'agents',
] as const;

/**
 * The activity columns aggregated from rows of rollup_15m / rollup_daily
 * (type, channel, agent_id, events, contacts): the one definition the
 * builds and the reports' fallback over rollup_15m share. (Counts are named
 * n_events, n_proactive, n_sign_ins: an alias equal to the column would be read back
 * inside the next aggregate.)
 */
export const ACTIVITY_AGGREGATES = `
  sum(events) AS n_events,
  sumIf(events, type = 'message.sent' AND channel IN ${sqlList(PROACTIVE_CHANNELS)}) AS n_proactive,
  groupBitmapMergeState(contacts) AS seen,
  groupBitmapMergeStateIf(contacts, type NOT IN ${sqlList(PASSIVE_TYPES)}) AS active,
  groupBitmapMergeStateIf(contacts, type = 'user.registered') AS registered,
  groupBitmapMergeStateIf(contacts, type IN ${sqlList(HELPED_TYPES)}) AS helped,
  groupBitmapMergeStateIf(contacts, type = 'user.login') AS signed_in,
  sumIf(events, type = 'user.login') AS n_sign_ins,
  uniqExactStateIf(agent_id, type = 'conversation.message_out' AND agent_id != '') AS agents`;

/** Per contact and channel, deliveries by platform class, from `events` rows (type, channel, platform). */
export const TOUCH_COUNTS = `
  countIf(platform = 'ios') AS n_ios,
  countIf(platform = 'android') AS n_android,
  countIf(platform NOT IN ('ios', 'android')) AS n_other`;

const TOUCH_COLUMNS = ['channels', 'ios', 'android', 'other'] as const;

/** Writes activity_daily and touch_daily for local `days` (within [startMs, endMs)). */
export async function buildContactDays(
  ch: ClickHouseService,
  tenant: string,
  tz: string,
  days: readonly string[],
  startMs: number,
  endMs: number,
): Promise<void> {
  const params = { tenant, tz, start: startMs / 1000, end: endMs / 1000, days };
  await ch.insertSelect(
    'activity_daily',
    ['tenant_id', 'time_zone', 'day', 'platform', 'channel', ...ACTIVITY_COLUMNS, 'built_at'],
    `SELECT tenant_id, {tz:String}, toDate(bucket, {tz:String}) AS day, platform, channel, ${ACTIVITY_AGGREGATES},
            now64(3)
     FROM rollup_15m
     WHERE tenant_id = {tenant:String}
       AND bucket >= toDateTime({start:UInt32}, 'UTC') AND bucket < toDateTime({end:UInt32}, 'UTC')
       AND toDate(bucket, {tz:String}) IN {days:Array(Date)}
     GROUP BY tenant_id, day, platform, channel`,
    { tag: 'rollups:build-activity-days', params },
  );
  await ch.insertSelect(
    'touch_daily',
    ['tenant_id', 'time_zone', 'day', 'contact_no', ...TOUCH_COLUMNS, 'built_at'],
    `SELECT {tenant:String}, {tz:String}, day, contact_no,
            groupArray(channel), groupArray(n_ios), groupArray(n_android), groupArray(n_other), now64(3)
     FROM (
       SELECT toDate(occurred_at, {tz:String}) AS day, contact_no, channel, ${TOUCH_COUNTS}
       FROM events
       WHERE tenant_id = {tenant:String} AND type = '${TOUCH_TYPE}' AND contact_no != 0
         AND occurred_at >= toDateTime({start:UInt32}, 'UTC') AND occurred_at < toDateTime({end:UInt32}, 'UTC')
         AND toDate(occurred_at, {tz:String}) IN {days:Array(Date)}
       GROUP BY day, contact_no, channel
     )
     GROUP BY day, contact_no`,
    { tag: 'rollups:build-touch-days', params },
  );
}

/** Writes activity_monthly and touch_monthly for local `months` from the current daily rows (FINAL). */
export async function buildContactMonths(
  ch: ClickHouseService,
  tenant: string,
  tz: string,
  months: readonly string[],
): Promise<void> {
  const params = { tenant, tz, months };
  await ch.insertSelect(
    'activity_monthly',
    ['tenant_id', 'time_zone', 'month', 'platform', 'channel', ...ACTIVITY_COLUMNS, 'built_at'],
    `SELECT tenant_id, time_zone, toStartOfMonth(day) AS month, platform, channel,
            sum(events), sum(proactive), groupBitmapMergeState(seen), groupBitmapMergeState(active),
            groupBitmapMergeState(registered), groupBitmapMergeState(helped), groupBitmapMergeState(signed_in),
            sum(sign_ins), uniqExactMergeState(agents), now64(3)
     FROM activity_daily FINAL
     WHERE tenant_id = {tenant:String} AND time_zone = {tz:String} AND toStartOfMonth(day) IN {months:Array(Date)}
     GROUP BY tenant_id, time_zone, month, platform, channel`,
    { tag: 'rollups:build-activity-months', params },
  );
  await ch.insertSelect(
    'touch_monthly',
    ['tenant_id', 'time_zone', 'month', 'contact_no', ...TOUCH_COLUMNS, 'built_at'],
    `SELECT {tenant:String}, {tz:String}, month, contact_no,
            groupArray(channel), groupArray(n_ios), groupArray(n_android), groupArray(n_other), now64(3)
     FROM (
       SELECT toStartOfMonth(day) AS month, contact_no, channel,
              sum(day_ios) AS n_ios, sum(day_android) AS n_android, sum(day_other) AS n_other
       FROM touch_daily FINAL
       ARRAY JOIN channels AS channel, ios AS day_ios, android AS day_android, other AS day_other
       WHERE tenant_id = {tenant:String} AND time_zone = {tz:String} AND toStartOfMonth(day) IN {months:Array(Date)}
       GROUP BY month, contact_no, channel
     )
     GROUP BY month, contact_no`,
    { tag: 'rollups:build-touch-months', params },
  );
}

function sqlList(values: readonly string[]): string {
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}
