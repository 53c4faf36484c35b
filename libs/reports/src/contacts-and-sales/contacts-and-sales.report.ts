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
/** A conversation closes when resolved, or after 7 days without a message. */
const CLOSED_AT = "if(resolved_at > toDateTime64(0, 3, 'UTC'), resolved_at, last_at + INTERVAL 7 DAY)";

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
    '(the platform and channel of its first event). A conversation closes when resolved, or after 7 days ' +
    'without a message. initiated: conversations started in the range. contacts: started and closed in ' +
    'the range. active: conversations with at least one agent message (conversation.message_out) in the ' +
    'range. messages_received / messages_sent: conversation.message_in / .message_out in the range. ' +
    'average_handling_seconds: mean of close minus start over conversations closed in the range. Sales: a ' +
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
    };
    const from = "fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')";
    const to = "fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')";
    const conversations = `
      SELECT conversation_id, min(first_at) AS first_at, max(last_at) AS last_at, max(resolved_at) AS resolved_at,
             argMinMerge(platform) AS platform, argMinMerge(channel) AS channel, argMinMerge(contact_no) AS contact_no
      FROM conversations WHERE tenant_id = {tenant:String}
      GROUP BY conversation_id`;
    const [convRows, messageRows, salesRows] = await Promise.all([
      ch.query<ConversationRow>(
        `SELECT ${grp} AS grp,
                countIf(first_at >= ${from} AND first_at < ${to}) AS initiated,
                countIf(first_at >= ${from} AND closed_at < ${to}) AS initiated_and_closed,
                countIf(closed_at >= ${from} AND closed_at < ${to}) AS closed,
                avgIf(dateDiff('millisecond', first_at, closed_at) / 1000, closed_at >= ${from} AND closed_at < ${to}) AS handling_seconds
         FROM (SELECT *, ${CLOSED_AT} AS closed_at FROM (${conversations}) WHERE 1 ${channelFilter})
         GROUP BY grp`,
        { tag: 'report:contacts-and-sales:conversations', params: values, idempotent: true },
      ),
      ch.query<MessageRow>(
        `SELECT ${grp === "''" ? "''" : `c.${grp}`} AS grp,
                countIf(e.type = 'conversation.message_in') AS received,
                countIf(e.type = 'conversation.message_out') AS sent,
                uniqExactIf(e.conversation_id, e.type = 'conversation.message_out') AS active
         FROM (
           SELECT type, conversation_id FROM events
           WHERE tenant_id = {tenant:String} AND type IN ('conversation.message_in', 'conversation.message_out')
             AND occurred_at >= ${from} AND occurred_at < ${to}
         ) AS e
         INNER JOIN (SELECT conversation_id, platform, channel FROM (${conversations}) WHERE 1 ${channelFilter}) AS c
           ON c.conversation_id = e.conversation_id
         GROUP BY grp`,
        { tag: 'report:contacts-and-sales:messages', params: values, idempotent: true },
      ),
      ch.query<SalesRow>(
        `SELECT ${grp === "''" ? "''" : `c.${grp}`} AS grp,
                uniqExact(c.conversation_id) AS converted, count() AS transactions, sum(p.value) AS turnover,
                avg(dateDiff('millisecond', c.first_at, p.occurred_at) / 1000) AS seconds_to_purchase
         FROM (
           SELECT contact_no, occurred_at, toFloat64(value) AS value FROM events
           WHERE tenant_id = {tenant:String} AND type = 'purchase' AND contact_no != 0
             AND occurred_at >= ${from} AND occurred_at < ${to} + toIntervalSecond({window_s:UInt32})
           ORDER BY contact_no, occurred_at
         ) AS p
         ASOF INNER JOIN (
           SELECT contact_no, first_at, conversation_id, platform, channel FROM (${conversations})
           WHERE contact_no != 0 ${channelFilter}
           ORDER BY contact_no, first_at
         ) AS c
           ON p.contact_no = c.contact_no AND p.occurred_at >= c.first_at
         WHERE dateDiff('millisecond', c.first_at, p.occurred_at) <= {window_s:UInt32} * 1000
           AND c.first_at >= ${from} AND c.first_at < ${to}
         GROUP BY grp`,
        { tag: 'report:contacts-and-sales:sales', params: values, idempotent: true },
      ),
    ]);
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
