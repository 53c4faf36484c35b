import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParams } from '../report-params';
import { periodExpr, rollupWhere } from '../rollup-sql';
import { activitySource, servesActivity } from '../activity-source';
import type { ReportRange } from '../report-range';
import { rollupSource } from '../rollup-source';
import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { HELPED_TYPES, PROACTIVE_CHANNELS } from '@tallyhouse/rollups';
import { summarisedDays, type SummarisedDays } from '../summary-days';
import { RESOLVED_CONVERSATIONS, RESOLVED_STATE, resolutionsSql } from '@tallyhouse/rollups';

export class AccountUsageParams extends ReportParams {}

/** group_by value -> the column it groups by (the only identifiers that enter the SQL). */
const GROUP_COLUMNS: Record<string, string> = { platform: 'platform', channel: 'channel' };

interface UsageRow {
  period: string;
  grp: string;
  unique_contacts: number | string;
  active_agents: number | string;
  channels: number | string;
  proactive_messages: number | string;
}

interface ResolvedRow {
  period: string;
  grp: string;
  resolved: number | string;
}

/**
 * Account usage (account-usage-unique-monthly-contacts): per interval, and
 * per platform or channel when grouped.
 */
export const AccountUsageReport: ReportDefinition<AccountUsageParams> = {
  name: 'account-usage',
  title: 'Account usage',
  reference: 'account-usage-unique-monthly-contacts',
  description:
    'Per interval in the chosen time zone. unique_contacts: distinct contacts who sent or received a ' +
    'conversation message (conversation.message_in or .message_out) in the interval; exact, and for a ' +
    "month it is the month's distinct contacts, not a sum of days. resolved_conversations: distinct " +
    'conversations with a resolution (conversation.resolved) in the interval whose first message ' +
    '(conversation.message_in or .message_out, the earliest) was inbound and that have at least one outbound ' +
    'message; every resolution counts, so a conversation resolved in two months counts in both, and once in a ' +
    'period holding both; grouped and filtered by the platform and channel of that first message. ' +
    'active_agents: distinct agents who sent at ' +
    'least one outbound conversation message. channels: distinct channels with any event. ' +
    'proactive_messages: messages sent (message.sent) on the conversational channels chat and social, ' +
    'that is, not in reply to a conversation. The channel filter applies to every figure.',
  params: AccountUsageParams,
  groupBy: ['platform', 'channel'],

  columns(params): ReportColumn[] {
    const cols: ReportColumn[] = [{ name: 'period', type: 'string', description: 'Start of the interval, local' }];
    if (params.group_by) cols.push({ name: params.group_by, type: 'string', description: `The ${params.group_by}` });
    return [
      ...cols,
      { name: 'unique_contacts', type: 'integer', description: 'Distinct contacts helped (exact)' },
      { name: 'resolved_conversations', type: 'integer', description: 'Conversations resolved' },
      { name: 'active_agents', type: 'integer', description: 'Distinct agents who answered' },
      { name: 'channels', type: 'integer', description: 'Distinct channels in use' },
      { name: 'proactive_messages', type: 'integer', description: 'Proactive messages sent' },
    ];
  },

  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const where = rollupWhere(params, range);
    const period = periodExpr(params.interval, params.week_start);
    const grp = params.group_by ? GROUP_COLUMNS[params.group_by] : "''";
    const usage = servesActivity(params)
      ? await usageFromActivity(ch, params, range, period, grp)
      : await usageFromRollups(ch, params, range, period, grp);
    const resolvedWhere = params.channel?.length ? 'AND channel IN {f_channel:Array(String)}' : '';
    // Whole current days from resolved_daily (hours cannot be cut out of a day), the rest computed by the
    // same definition the job builds with: sets of conversations, merged, so a period counts each once.
    const summary: SummarisedDays =
      params.interval === 'hour'
        ? { days: [], builtMs: [], fallback: true }
        : await summarisedDays(ch, params.tenant, range, RESOLVED_CONVERSATIONS);
    const branches: string[] = [];
    if (summary.days.length > 0) {
      branches.push(`SELECT ${periodExpr(params.interval, params.week_start, 'toDateTime(day, {tz:String})')} AS period,
                            ${grp} AS grp, conversations
        FROM resolved_daily FINAL
        WHERE tenant_id = {tenant:String} AND time_zone = {tz:String} AND day IN {s_days:Array(Date)}
          AND toUnixTimestamp64Milli(built_at) >= {s_built:Array(Int64)}[indexOf({s_days:Array(Date)}, day)]
          ${resolvedWhere}`);
    }
    if (summary.fallback) {
      branches.push(`SELECT ${periodExpr(params.interval, params.week_start, 'resolved_at')} AS period,
              ${grp} AS grp, ${RESOLVED_STATE} AS conversations
       FROM resolutions
       WHERE toDate(resolved_at, {tz:String}) NOT IN {s_days:Array(Date)}
       GROUP BY period, grp`);
    }
    const resolved = await ch.query<ResolvedRow>(
      `${summary.fallback ? `WITH ${resolutionsSql(resolvedWhere)}` : ''}
       SELECT period, grp, uniqExactMerge(conversations) AS resolved
       FROM (${branches.join('\n UNION ALL \n')}) GROUP BY period, grp`,
      {
        tag: 'report:account-usage:resolved',
        params: { ...where.values, s_days: summary.days, s_built: summary.builtMs },
        idempotent: true,
      },
    );
    // One row per period (and group), whichever query has it.
    const rows = new Map<string, ReportRow>();
    const row = (period: string, grp: string): ReportRow => {
      const key = `${period}\u0000${grp}`;
      if (!rows.has(key)) {
        rows.set(key, {
          period,
          ...(params.group_by ? { [params.group_by]: grp } : {}),
          unique_contacts: 0,
          resolved_conversations: 0,
          active_agents: 0,
          channels: 0,
          proactive_messages: 0,
        });
      }
      return rows.get(key)!;
    };
    for (const u of usage) {
      Object.assign(row(u.period, u.grp), {
        unique_contacts: Number(u.unique_contacts),
        active_agents: Number(u.active_agents),
        channels: Number(u.channels),
        proactive_messages: Number(u.proactive_messages),
      });
    }
    for (const r of resolved) row(r.period, r.grp).resolved_conversations = Number(r.resolved);
    return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r);
  },
};

/** Usage per period and group from activity_* (filters on channel and platform only). */
async function usageFromActivity(
  ch: ClickHouseService,
  params: AccountUsageParams,
  range: ReportRange,
  period: string,
  grp: string,
): Promise<UsageRow[]> {
  const source = await activitySource(ch, params, range, params.interval);
  return ch.query<UsageRow>(
    `SELECT ${period} AS period, ${grp} AS grp, groupBitmapMerge(helped) AS unique_contacts,
            uniqExactMerge(agents) AS active_agents, uniqExactIf(channel, channel != '') AS channels,
            sum(proactive) AS proactive_messages
     FROM ${source.sql}
     GROUP BY period, grp
     ORDER BY period, grp`,
    { tag: 'report:account-usage', params: source.values, idempotent: true },
  );
}

/** The same figures from the rollups, for filters activity_* does not hold (campaign, org unit, group). */
async function usageFromRollups(
  ch: ClickHouseService,
  params: AccountUsageParams,
  range: ReportRange,
  period: string,
  grp: string,
): Promise<UsageRow[]> {
  const source = await rollupSource(ch, params, range, params.interval);
  // Two passes over the same rows: only the conversation rows' bitmaps are read (reading a
  // bitmap costs far more than a count, and most rows are other event types).
  return ch.query<UsageRow>(
    `SELECT period, grp, max(unique_contacts) AS unique_contacts, max(active_agents) AS active_agents,
            max(channels) AS channels, max(proactive_messages) AS proactive_messages
     FROM (
       SELECT ${period} AS period, ${grp} AS grp,
              bitmapCardinality(groupBitmapMergeState(contacts)) AS unique_contacts,
              uniqExactIf(agent_id, type = 'conversation.message_out' AND agent_id != '') AS active_agents,
              0 AS channels, 0 AS proactive_messages
       FROM ${source.sql} WHERE type IN {conversation:Array(String)}
       GROUP BY period, grp
       UNION ALL
       SELECT ${period} AS period, ${grp} AS grp, 0, 0, uniqExactIf(channel, channel != ''),
              sumIf(events, type = 'message.sent' AND channel IN {proactive:Array(String)})
       FROM ${source.sql}
       GROUP BY period, grp
     )
     GROUP BY period, grp
     ORDER BY period, grp`,
    {
      tag: 'report:account-usage',
      params: { ...source.values, conversation: [...HELPED_TYPES], proactive: [...PROACTIVE_CHANNELS] },
      idempotent: true,
    },
  );
}
