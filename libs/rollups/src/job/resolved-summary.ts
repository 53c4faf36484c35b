import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { dayChunks, recordDays, type DayBuild, type TypeArrival } from './campaign-summary';
import type { BuildRecord } from './rollup.types';

/** rollup_builds.table_name of the resolved-conversations summary. */
export const RESOLVED_TABLE = 'resolved_daily';

/** The event types the conversations table reads (its view takes type LIKE 'conversation.%'). */
export const CONVERSATION_TYPES = [
  'conversation.started',
  'conversation.message_in',
  'conversation.message_out',
  'conversation.resolved',
] as const;

/**
 * The latest arrival that can have changed a resolution day. A conversation
 * counts on the day of its latest resolution if its first message was
 * inbound and it had an outbound one: a conversation event at any time (an
 * earlier first message, a later resolution, a reply after the resolution)
 * can change any day's count, so every conversation arrival reaches every day.
 * (A type outside CONVERSATION_TYPES never reaches the table.)
 */
export function resolvedArrival(arrivals: readonly TypeArrival[]): number {
  return arrivals.reduce((latest, a) => Math.max(latest, a.lastMs), 0);
}

export function resolvedDayCurrent(
  build: BuildRecord | undefined,
  tz: string,
  arrivals: readonly TypeArrival[],
): boolean {
  return build !== undefined && build.time_zone === tz && resolvedArrival(arrivals) <= build.sourceArrivalMs;
}

/**
 * Builds resolved_daily from conversations with the account-usage report's
 * definition: per local day of the latest resolution, and the platform and
 * channel of the conversation's first event, the conversations resolved whose
 * first message was inbound and that had an outbound message. Rows carry the
 * build's built_at (recorded in rollup_builds): readers take that build's rows.
 */
export async function buildResolvedDays(
  ch: ClickHouseService,
  tenant: string,
  tz: string,
  days: readonly DayBuild[],
  builtAtMs: number,
): Promise<void> {
  for (const { chunk, params } of dayChunks(tenant, tz, days, builtAtMs)) {
    await ch.insertSelect(
      RESOLVED_TABLE,
      ['tenant_id', 'time_zone', 'day', 'platform', 'channel', 'resolved', 'built_at'],
      `SELECT {tenant:String}, {tz:String}, toDate(resolved_at, {tz:String}) AS day, platform, channel, count(),
              fromUnixTimestamp64Milli({built:Int64}, 'UTC')
       FROM (
         SELECT max(resolved_at) AS resolved_at, argMinIfMerge(first_message) AS first_message,
                sum(outbound) AS outbound, argMinMerge(platform) AS platform, argMinMerge(channel) AS channel
         FROM conversations
         WHERE tenant_id = {tenant:String}
           AND conversation_id IN (
             SELECT conversation_id FROM conversations
             WHERE tenant_id = {tenant:String}
               AND resolved_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
               AND resolved_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
           )
         GROUP BY conversation_id
       )
       WHERE resolved_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
         AND resolved_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
         AND toDate(resolved_at, {tz:String}) IN {days:Array(Date)}
         AND first_message = 'conversation.message_in' AND outbound > 0
       GROUP BY day, platform, channel`,
      { tag: 'rollups:build-resolved-days', params },
    );
    await recordDays(ch, tenant, tz, RESOLVED_TABLE, chunk, builtAtMs);
  }
}
