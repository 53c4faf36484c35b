import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { RESOLVED_STATE, RESOLVED_TABLE, resolutionsSql } from '../definitions/resolved-conversations';
import { dayChunks, recordDays, type DayBuild } from './day-builds';

/**
 * Builds resolved_daily from the resolved conversations' definition
 * (definitions/resolved-conversations.ts, the same resolutions the report
 * computes live): per local resolution day and the platform and channel of
 * the conversation's first message, the set of conversations resolved that
 * day (and its size). Rows carry the build's built_at (recorded in
 * rollup_builds): readers take that build's rows.
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
      ['tenant_id', 'time_zone', 'day', 'platform', 'channel', 'resolved', 'conversations', 'built_at'],
      `WITH ${resolutionsSql()}
       SELECT {tenant:String}, {tz:String}, toDate(resolved_at, {tz:String}) AS day, platform, channel,
              uniqExact(conversation_id), ${RESOLVED_STATE}, fromUnixTimestamp64Milli({built:Int64}, 'UTC')
       FROM resolutions
       WHERE toDate(resolved_at, {tz:String}) IN {days:Array(Date)}
       GROUP BY day, platform, channel`,
      { tag: 'rollups:build-resolved-days', params },
    );
    await recordDays(ch, tenant, tz, RESOLVED_TABLE, chunk, builtAtMs);
  }
}
