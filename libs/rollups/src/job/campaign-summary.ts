import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { CAMPAIGN_TABLE, campaignStepsSql, STEP_STATES } from '../definitions/campaign-funnel';
import { dayChunks, recordDays, type DayBuild } from './day-builds';

/**
 * Builds campaign_send_daily from the campaign funnel's definition
 * (definitions/campaign-funnel.ts, the same steps the report computes live):
 * per first-send day, campaign and message, the bitmaps of the contacts sent,
 * viewed, clicked and with the goal. Every row of one build carries the
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
      `WITH ${campaignStepsSql({
        sentHaving: `first_sent_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
          AND first_sent_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
          AND toDate(first_sent_at, {tz:String}) IN {days:Array(Date)}`,
      })}
       SELECT {tenant:String}, {tz:String}, toDate(sent_at, {tz:String}) AS day, campaign_id, message_id,
              ${STEP_STATES}, fromUnixTimestamp64Milli({built:Int64}, 'UTC')
       FROM steps
       GROUP BY day, campaign_id, message_id`,
      { tag: 'rollups:build-send-days', params },
    );
    await recordDays(ch, tenant, tz, CAMPAIGN_TABLE, chunk, builtAtMs);
  }
}
