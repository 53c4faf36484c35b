import type { DaySummaryFamily, TypeArrival } from './day-summary';

/**
 * Account usage's resolved conversations, in one place. A conversation
 * (tenant, conversation_id) is resolved in a period when
 * - it has a conversation.resolved event in the period (every resolution
 *   counts: resolved again next month, it counts next month too, and a
 *   later resolution never takes it out of an earlier period),
 * - its first message (conversation.message_in or .message_out, the
 *   earliest) is inbound, and it has at least one outbound message,
 * and it is grouped by the platform and channel of that first message. A
 * period counts each conversation once (distinct), however often it was
 * resolved in it. The rollup job builds resolved_daily from
 * `resolutionsSql` and the report computes the days no summary covers from
 * the same text.
 */

/** The event types the conversations table reads (its view takes type LIKE 'conversation.%'). */
export const CONVERSATION_TYPES = [
  'conversation.started',
  'conversation.message_in',
  'conversation.message_out',
  'conversation.resolved',
] as const;

/** The summary table (rollup_builds.table_name) of resolution days. */
export const RESOLVED_TABLE = 'resolved_daily';

/**
 * The latest arrival that can have changed a resolution day: a conversation
 * event at any time (an earlier first message, an outbound reply, another
 * resolution) can change whether a conversation counts on any of the days it
 * was resolved, so every conversation arrival reaches every day.
 */
export function resolvedArrival(arrivals: readonly TypeArrival[]): number {
  return arrivals.reduce((latest, a) => Math.max(latest, a.lastMs), 0);
}

/** resolved_daily: per resolution day, platform and channel, the set of conversations (uniqExact state). */
export const RESOLVED_CONVERSATIONS: DaySummaryFamily = {
  table: RESOLVED_TABLE,
  types: CONVERSATION_TYPES,
  rowType: 'conversation.resolved',
  arrival: (arrivals) => resolvedArrival(arrivals),
};

/**
 * The CTE `resolutions`: one row per resolution in [{from_ms}, {to_ms}) of a
 * conversation that counts, with its conversation_id and the platform and
 * channel of its first message. `where` is ANDed on those two (filters).
 * Resolutions are read from events (type and time lead its sort key); the
 * conversation's conditions from conversations.
 */
export function resolutionsSql(where = ''): string {
  const inRange = `tenant_id = {tenant:String} AND type = 'conversation.resolved' AND conversation_id != ''
        AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
        AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;
  return `
  resolutions AS (
    SELECT r.resolved_at AS resolved_at, r.conversation_id AS conversation_id, c.platform AS platform, c.channel AS channel
    FROM (SELECT occurred_at AS resolved_at, conversation_id FROM events WHERE ${inRange}) AS r
    INNER JOIN (
      SELECT conversation_id, argMinIfMerge(first_message) AS first_message, sum(outbound) AS outbound,
             argMinIfMerge(message_platform) AS platform, argMinIfMerge(message_channel) AS channel
      FROM conversations
      WHERE tenant_id = {tenant:String} AND conversation_id IN (SELECT conversation_id FROM events WHERE ${inRange})
      GROUP BY conversation_id
      HAVING first_message = 'conversation.message_in' AND outbound > 0
    ) AS c ON c.conversation_id = r.conversation_id
    WHERE 1 ${where}
  )`;
}

/** The distinct conversations of `resolutions` rows, mergeable with resolved_daily's column. */
export const RESOLVED_STATE = 'uniqExactState(conversation_id)';
