import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParams } from '../report-params';
import { num, round, share } from '../report-values';

export class ContactsAndSalesParams extends ReportParams {
  @ApiPropertyOptional({
    default: 7,
    description: 'Days after a conversation starts in which a purchase is attributed to it (1-90)',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'attribution_days must be a whole number of days, 1 to 90' })
  @Min(1, { message: 'attribution_days must be a whole number of days, 1 to 90' })
  @Max(90, { message: 'attribution_days must be a whole number of days, 1 to 90' })
  attribution_days = 7;
}

/** group_by value -> column of the conversation (fixed identifiers). */
const GROUP_COLUMNS: Record<string, string> = { platform: 'platform', channel: 'channel' };

/** Days without activity after which a conversation closes by itself (the reference's, not configurable). */
export const INACTIVITY_CLOSE_DAYS = 7;

/**
 * Conversations as the reference counts them: "one conversation = an exchange
 * on a single thread for 7 days of activity", closed by hand (a resolution)
 * or by itself after 7 days without activity. So one conversation_id can hold
 * several conversations: a new one starts at its first event, after a
 * resolution, and after a silence of more than 7 days; a resolution after
 * such a silence belongs to no open conversation and is ignored. Activity is
 * any conversation event but a resolution. A conversation closes at its
 * resolution, else 7 days after its last activity (if that moment has come).
 * Its platform, channel and contact are those of its first event.
 *
 * The CTEs read every event of the threads with any event from 7 days before
 * the range to its end: every conversation that starts, closes or has a
 * message in the range is among them, with its whole history.
 */
const CONVERSATIONS = `
  touched AS (
    SELECT DISTINCT conversation_id FROM events
    WHERE tenant_id = {tenant:String} AND type IN {types:Array(String)} AND conversation_id != ''
      AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') - INTERVAL ${INACTIVITY_CLOSE_DAYS} DAY
      AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
  ),
  thread AS (
    SELECT conversation_id, occurred_at AS t, type, platform, channel, contact_no,
           multiIf(type = 'conversation.started', 0, type = 'conversation.resolved', 2, 1) AS ord,
           type != 'conversation.resolved' AS activity
    FROM events
    WHERE tenant_id = {tenant:String} AND type IN {types:Array(String)} AND conversation_id IN touched
  ),
  marked AS (
    SELECT *,
           row_number() OVER w AS n,
           lagInFrame(type, 1, '') OVER w AS prev_type,
           max(if(activity, t, NULL)) OVER before AS prev_activity
    FROM thread
    WINDOW w AS (PARTITION BY conversation_id ORDER BY t, ord ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           before AS (PARTITION BY conversation_id ORDER BY t, ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
  ),
  numbered AS (
    SELECT *,
           sum(toUInt32(n = 1 OR prev_type = 'conversation.resolved' OR prev_activity IS NULL
                        OR t > prev_activity + INTERVAL ${INACTIVITY_CLOSE_DAYS} DAY)) OVER w AS session
    FROM marked
    WINDOW w AS (PARTITION BY conversation_id ORDER BY t, ord ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ),
  conversations AS (
    SELECT conversation_id, session, min(t) AS first_at,
           argMin(platform, (t, ord)) AS platform, argMin(channel, (t, ord)) AS channel,
           argMin(contact_no, (t, ord)) AS contact_no,
           if(countIf(type = 'conversation.resolved') > 0, minIf(t, type = 'conversation.resolved'),
              maxIf(t, activity) + INTERVAL ${INACTIVITY_CLOSE_DAYS} DAY) AS closes_at,
           closes_at <= now64(3) AS is_closed
    FROM numbered
    GROUP BY conversation_id, session
    HAVING countIf(activity) > 0
  )`;

const CONVERSATION_TYPES = [
  'conversation.started',
  'conversation.message_in',
  'conversation.message_out',
  'conversation.resolved',
];

interface ConversationRow {
  grp: string;
  initiated: number | string;
  initiated_and_closed: number | string;
  closed: number | string;
  handling_seconds: number | string | null;
}

interface MessageRow {
  grp: string;
  received: number | string;
  sent: number | string;
  active: number | string;
}

interface SalesRow {
  grp: string;
  converted: number | string;
  transactions: number | string;
  turnover: number | string;
  seconds_to_purchase: number | string | null;
}

/** Contacts and sales (social-contacts-and-sales-report), for the whole range. */
export const ContactsAndSalesReport: ReportDefinition<ContactsAndSalesParams> = {
  name: 'contacts-and-sales',
  title: 'Contacts and sales',
  reference: 'social-contacts-and-sales-report',
  description:
    'Totals for the range (no interval split), per platform or channel of the conversation when grouped ' +
    '(those of its first event). A conversation is an exchange on one thread (conversation_id) for as long as ' +
    `it stays active: it closes when resolved, or by itself ${INACTIVITY_CLOSE_DAYS} days after its last activity ` +
    '(any conversation event but a resolution); activity on the same thread after that starts a new ' +
    `conversation, and so does activity after a resolution. A resolution after more than ${INACTIVITY_CLOSE_DAYS} ` +
    'days of silence closes nothing (the conversation closed by itself). initiated: conversations started in ' +
    'the range. contacts: started and closed in the range. active: conversations with at least one agent ' +
    'message (conversation.message_out) in the range. messages_received / messages_sent: ' +
    'conversation.message_in / .message_out in the range. average_handling_seconds: mean of close minus start ' +
    'over conversations closed in the range (a close still in the future is not a close yet). Sales: a ' +
    'purchase is attributed to the latest conversation of the same contact that started at most ' +
    'attribution_days (default 7) before it, if that conversation started in the range. conversion_rate: ' +
    'initiated conversations with an attributed purchase / initiated. turnover, transactions and ' +
    'average_order_value: of attributed purchases. average_seconds_to_purchase: purchase minus start of ' +
    'its conversation. The channel filter narrows conversations by their channel.',
  params: ContactsAndSalesParams,
  groupBy: ['platform', 'channel'],

  columns(params): ReportColumn[] {
    return [
      ...(params.group_by
        ? [{ name: params.group_by, type: 'string', description: `The conversation's ${params.group_by}` } as const]
        : []),
      { name: 'contacts', type: 'integer', description: 'Conversations started and closed in the range' },
      { name: 'initiated', type: 'integer', description: 'Conversations started in the range' },
      { name: 'active', type: 'integer', description: 'Conversations with an agent message in the range' },
      { name: 'messages_received', type: 'integer', description: 'Messages from contacts' },
      { name: 'messages_sent', type: 'integer', description: 'Messages from agents' },
      {
        name: 'average_handling_seconds',
        type: 'number',
        description: 'Mean close minus start of conversations closed in the range',
      },
      { name: 'conversion_rate', type: 'percent', description: 'Initiated conversations followed by a purchase' },
      { name: 'turnover', type: 'number', description: 'Sum of attributed purchases' },
      { name: 'transactions', type: 'integer', description: 'Attributed purchases' },
      { name: 'average_order_value', type: 'number', description: 'turnover / transactions' },
      {
        name: 'average_seconds_to_purchase',
        type: 'number',
        description: 'Mean time from conversation start to purchase',
      },
    ];
  },

  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const grp = params.group_by ? GROUP_COLUMNS[params.group_by] : "''";
    const channelFilter = params.channel?.length ? 'AND channel IN {channels:Array(String)}' : '';
    const values = {
      tenant: params.tenant,
      from_ms: range.fromMs,
      to_ms: range.toMs,
      window_s: params.attribution_days * 86_400,
      channels: params.channel ?? [],
      types: CONVERSATION_TYPES,
    };
    const from = "fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')";
    const to = "fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')";
    const withConversations = `WITH ${CONVERSATIONS},
      chosen AS (SELECT * FROM conversations WHERE 1 ${channelFilter})`;
    const closedIn = `is_closed AND closes_at >= ${from} AND closes_at < ${to}`;
    const options = (tag: string) => ({ tag: `report:contacts-and-sales:${tag}`, params: values, idempotent: true });
    // One engine call after another on the embedded engine: in turn.
    const convRows = await ch.query<ConversationRow>(
      `${withConversations}
       SELECT ${grp} AS grp,
              countIf(first_at >= ${from} AND first_at < ${to}) AS initiated,
              countIf(first_at >= ${from} AND is_closed AND closes_at < ${to}) AS initiated_and_closed,
              countIf(${closedIn}) AS closed,
              avgIf(dateDiff('millisecond', first_at, closes_at) / 1000, ${closedIn}) AS handling_seconds
       FROM chosen GROUP BY grp`,
      options('conversations'),
    );
    const messageRows = await ch.query<MessageRow>(
      `${withConversations}
       SELECT ${grp === "''" ? "''" : `c.${grp}`} AS grp,
              countIf(m.type = 'conversation.message_in') AS received,
              countIf(m.type = 'conversation.message_out') AS sent,
              uniqExactIf((m.conversation_id, m.session), m.type = 'conversation.message_out') AS active
       FROM (
         SELECT conversation_id, session, type FROM numbered
         WHERE type IN ('conversation.message_in', 'conversation.message_out') AND t >= ${from} AND t < ${to}
       ) AS m
       INNER JOIN chosen AS c ON c.conversation_id = m.conversation_id AND c.session = m.session
       GROUP BY grp`,
      options('messages'),
    );
    const salesRows = await ch.query<SalesRow>(
      `${withConversations}
       SELECT ${grp === "''" ? "''" : `c.${grp}`} AS grp,
              uniqExact((c.conversation_id, c.session)) AS converted, count() AS transactions, sum(p.value) AS turnover,
              avg(dateDiff('millisecond', c.first_at, p.occurred_at) / 1000) AS seconds_to_purchase
       FROM (
         SELECT contact_no, occurred_at, toFloat64(value) AS value FROM events
         WHERE tenant_id = {tenant:String} AND type = 'purchase' AND contact_no != 0
           AND occurred_at >= ${from} AND occurred_at < ${to} + toIntervalSecond({window_s:UInt32})
         ORDER BY contact_no, occurred_at
       ) AS p
       ASOF INNER JOIN (
         SELECT contact_no, first_at, conversation_id, session, platform, channel FROM chosen
         WHERE contact_no != 0 ORDER BY contact_no, first_at
       ) AS c
         ON p.contact_no = c.contact_no AND p.occurred_at >= c.first_at
       WHERE dateDiff('millisecond', c.first_at, p.occurred_at) <= {window_s:UInt32} * 1000
         AND c.first_at >= ${from} AND c.first_at < ${to}
       GROUP BY grp`,
      options('sales'),
    );
    const groups = [...new Set([...convRows, ...messageRows, ...salesRows].map((r) => r.grp))].sort();
    return groups
      .map((g) => {
        const c = convRows.find((r) => r.grp === g);
        const m = messageRows.find((r) => r.grp === g);
        const s = salesRows.find((r) => r.grp === g);
        const initiated = num(c?.initiated);
        const transactions = num(s?.transactions);
        const turnover = round(num(s?.turnover), 4);
        return {
          ...(params.group_by ? { [params.group_by]: g } : {}),
          contacts: num(c?.initiated_and_closed),
          initiated,
          active: num(m?.active),
          messages_received: num(m?.received),
          messages_sent: num(m?.sent),
          average_handling_seconds: num(c?.closed) > 0 ? round(num(c?.handling_seconds), 3) : null,
          conversion_rate: share(num(s?.converted), initiated),
          turnover,
          transactions,
          average_order_value: transactions > 0 ? round(turnover / transactions, 4) : null,
          average_seconds_to_purchase: transactions > 0 ? round(num(s?.seconds_to_purchase), 3) : null,
        };
      })
      .filter(
        (r) => r.initiated > 0 || r.active > 0 || r.messages_received > 0 || r.transactions > 0 || r.contacts > 0,
      );
  },
};
