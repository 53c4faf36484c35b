import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParams } from '../report-params';
import { periodExpr } from '../rollup-sql';
import { share } from '../report-values';
import { summarisedDays, type SummarisedDays } from '../summary-days';
import {
  CAMPAIGN_FUNNEL,
  campaignStepsSql,
  GOAL_WINDOW_DAYS,
  STEP_STATES,
  VIEW_WINDOW_DAYS,
} from '@tallyhouse/rollups';

const VIEWS = ['summary', 'daily', 'contacts', 'users'] as const;
const KINDS = ['all', 'campaign', 'one-time'] as const;

/**
 * Rows per page when the contacts or users view is streamed: a page is a range
 * of contact numbers (dense per tenant) sized from the tenant's funnel rows per
 * contact, so pages stay small whether contacts get one message or hundreds,
 * and a page's rows die young instead of piling up in the heap.
 */
const ROWS_PER_PAGE = 10_000;

export class CampaignPerformanceParams extends ReportParams {
  @ApiPropertyOptional({
    enum: VIEWS,
    default: 'summary',
    description:
      'summary: per campaign / one-time message; daily: per send interval; contacts: each contact with the time of each step',
  })
  @IsOptional()
  @IsIn(VIEWS, { message: `view must be one of ${VIEWS.join(', ')}` })
  view: (typeof VIEWS)[number] = 'summary';

  @ApiPropertyOptional({
    enum: KINDS,
    default: 'all',
    description: 'campaign: campaign messages only; one-time: one-time messages only (no campaign)',
  })
  @IsOptional()
  @IsIn(KINDS, { message: `kind must be one of ${KINDS.join(', ')}` })
  kind: (typeof KINDS)[number] = 'all';
}

/** Sheet names of the downloads in the reference document. */
const CAMPAIGN_SHEETS = [
  { sheet: 'Campaign', params: { kind: 'campaign', view: 'summary' } },
  { sheet: 'CampaignStat', params: { kind: 'campaign', view: 'daily', interval: 'day' } },
  { sheet: 'CampaignUser', params: { kind: 'campaign', view: 'contacts' } },
];
const ONE_TIME_SHEETS = [
  { sheet: 'OneTimeMsg', params: { kind: 'one-time', view: 'summary' } },
  { sheet: 'OneTimeMsgUser', params: { kind: 'one-time', view: 'contacts' } },
];

interface StepRow {
  kind: string;
  id: string;
  message_id: string;
  period: string;
  contact_id: string;
  sent: number | string;
  viewed: number | string;
  clicked: number | string;
  goal: number | string;
  sent_at: string | null;
  viewed_at: string | null;
  clicked_at: string | null;
  goal_at: string | null;
}

interface UserRow {
  contact_id: string;
  sent: number | string;
  viewed: number | string;
  clicked: number | string;
  goal: number | string;
  first_sent_at: string;
  last_sent_at: string;
}

const KIND_ID = `if(campaign_id != '', 'campaign', 'one-time message') AS kind,
                 if(campaign_id != '', campaign_id, message_id) AS id`;

/** The campaign and kind filters, on campaign_send_daily's columns (the same as message_funnel's). */
const FILTERS = (params: CampaignPerformanceParams): string =>
  (params.campaign?.length
    ? ' AND (campaign_id IN {campaigns:Array(String)} OR message_id IN {campaigns:Array(String)})'
    : '') + { all: '', campaign: " AND campaign_id != ''", 'one-time': " AND campaign_id = ''" }[params.kind];

/** Campaign performance (campaign-performance-and-data-download). */
export const CampaignPerformanceReport: ReportDefinition<CampaignPerformanceParams> = {
  name: 'campaign-performance',
  title: 'Campaign performance',
  reference: 'campaign-performance-and-data-download',
  description:
    'Per campaign, and per one-time message (a message without a campaign), for the messages sent in the ' +
    "range (by the time of each contact's first send of the message). sent: distinct contacts sent to. " +
    `viewed: of those, contacts whose first view of the message falls within ${VIEW_WINDOW_DAYS} days of its send ` +
    `(${VIEW_WINDOW_DAYS} days exactly counts; ${VIEW_WINDOW_DAYS} days and 1 ms does not). clicked: contacts who ` +
    "clicked it at or after the send. goal: contacts who viewed it in its window and reached the campaign's goal " +
    '(goal.reached with the campaign, or with the one-time message) at or after that view and within ' +
    `${GOAL_WINDOW_DAYS} days of the send (day ${GOAL_WINDOW_DAYS} counts, day ${GOAL_WINDOW_DAYS + 1} does not). ` +
    'Every goal counts, not only the first: a goal before the view does not, a later one inside the window does. ' +
    'Rates are of sent. A contact sent several messages of a campaign counts once per step. view=daily splits by ' +
    'the interval of the send; view=contacts lists each contact with each message it was sent and the time of ' +
    'each step (goal_at: the first goal at or after the view); view=users one row per contact.',
  params: CampaignPerformanceParams,
  groupBy: [],

  columns(params): ReportColumn[] {
    const id: ReportColumn[] = [
      { name: 'kind', type: 'string', description: 'campaign or one-time message' },
      { name: 'id', type: 'string', description: 'Campaign id, or message id for a one-time message' },
    ];
    if (params.view === 'users') {
      return [
        { name: 'contact_id', type: 'string', description: 'Contact' },
        { name: 'sent', type: 'integer', description: 'Messages sent to the contact in the range' },
        { name: 'viewed', type: 'integer', description: `Of those, viewed within ${VIEW_WINDOW_DAYS} days` },
        { name: 'clicked', type: 'integer', description: 'Of those, clicked' },
        {
          name: 'goal',
          type: 'integer',
          description: `Of those, with a goal after the view within ${GOAL_WINDOW_DAYS} days`,
        },
        { name: 'first_sent_at', type: 'datetime', description: 'First send in the range' },
        { name: 'last_sent_at', type: 'datetime', description: 'Last send in the range' },
      ];
    }
    if (params.view === 'contacts') {
      return [
        ...id,
        {
          name: 'message_id',
          type: 'string',
          description: 'The message sent (of the campaign, or the one-time message)',
        },
        { name: 'contact_id', type: 'string', description: 'Contact' },
        { name: 'sent_at', type: 'datetime', description: 'First send to the contact (UTC)' },
        { name: 'viewed_at', type: 'datetime', description: `First view, within ${VIEW_WINDOW_DAYS} days (UTC)` },
        { name: 'clicked_at', type: 'datetime', description: 'First click at or after the send (UTC)' },
        {
          name: 'goal_at',
          type: 'datetime',
          description: `First goal at or after the view, within ${GOAL_WINDOW_DAYS} days of the send (UTC)`,
        },
      ];
    }
    return [
      ...id,
      ...(params.view === 'daily'
        ? [{ name: 'period', type: 'string', description: 'Interval of the send, local' } as const]
        : []),
      { name: 'sent', type: 'integer', description: 'Contacts sent to' },
      { name: 'viewed', type: 'integer', description: `Viewed within ${VIEW_WINDOW_DAYS} days` },
      { name: 'clicked', type: 'integer', description: 'Clicked' },
      {
        name: 'goal',
        type: 'integer',
        description: `Reached the goal after the view, within ${GOAL_WINDOW_DAYS} days`,
      },
      { name: 'view_rate', type: 'percent', description: 'viewed / sent' },
      { name: 'click_rate', type: 'percent', description: 'clicked / sent' },
      { name: 'goal_rate', type: 'percent', description: 'goal / sent' },
    ];
  },

  async run(ctx: ReportContext, params): Promise<ReportRow[]> {
    if (params.view === 'contacts' || params.view === 'users') return contactRows(ctx, params, null);
    const { ch } = ctx;
    const { funnel, values } = funnelQuery(ctx, params, null);
    const daily = params.view === 'daily';
    // A day's bitmaps cannot be split into hours: hourly periods come from the funnel alone.
    const summary: SummarisedDays =
      daily && params.interval === 'hour'
        ? { days: [], builtMs: [], fallback: true }
        : await summarisedDays(ch, params.tenant, ctx.range, CAMPAIGN_FUNNEL);
    const period = (column: string) => (daily ? periodExpr(params.interval, params.week_start, column) : "''");
    const filters = FILTERS(params);
    const branches: string[] = [];
    if (summary.days.length > 0) {
      // Only the rows of each day's latest build (or newer): keys a rebuild no longer has are left behind.
      branches.push(`SELECT ${KIND_ID}, ${period('toDateTime(day, {tz:String})')} AS period, sent, viewed, clicked, goal
        FROM campaign_send_daily FINAL
        WHERE tenant_id = {tenant:String} AND time_zone = {tz:String} AND day IN {s_days:Array(Date)}
          AND toUnixTimestamp64Milli(built_at) >= {s_built:Array(Int64)}[indexOf({s_days:Array(Date)}, day)]${filters}`);
    }
    if (summary.fallback) {
      branches.push(`SELECT kind, id, ${period('sent_at')} AS period, ${STEP_STATES}
        FROM steps WHERE toDate(sent_at, {tz:String}) NOT IN {s_days:Array(Date)} GROUP BY kind, id, period`);
    }
    const rows = await ch.query<StepRow>(
      `${summary.fallback ? `WITH ${funnel}` : ''}
       SELECT kind, id, period, groupBitmapMerge(sent) AS sent, groupBitmapMerge(viewed) AS viewed,
              groupBitmapMerge(clicked) AS clicked, groupBitmapMerge(goal) AS goal
       FROM (${branches.join('\n UNION ALL \n')})
       GROUP BY kind, id, period ORDER BY kind, id, period`,
      {
        tag: `report:campaign-performance:${params.view}`,
        params: { ...values, s_days: summary.days, s_built: summary.builtMs },
        idempotent: true,
      },
    );
    return rows.map((r) => {
      const [sent, viewed, clicked, goal] = [r.sent, r.viewed, r.clicked, r.goal].map(Number);
      return {
        kind: r.kind,
        id: r.id,
        ...(daily ? { period: r.period } : {}),
        sent,
        viewed,
        clicked,
        goal,
        view_rate: share(viewed, sent),
        click_rate: share(clicked, sent),
        goal_rate: share(goal, sent),
      };
    });
  },

  /** contacts and users: one page of contact numbers at a time (a result per contact can be millions of rows). */
  async *rows(ctx: ReportContext, params, onFraction): AsyncGenerator<ReportRow> {
    if (params.view !== 'contacts' && params.view !== 'users') {
      yield* await this.run(ctx, params);
      return;
    }
    const [top] = await ctx.ch.query<{ last: number | string; funnel_rows: number | string }>(
      `SELECT max(contact_no) AS last, count() AS funnel_rows FROM message_funnel WHERE tenant_id = {tenant:String}`,
      { tag: 'report:campaign-performance:last-contact', params: { tenant: params.tenant }, idempotent: true },
    );
    const last = Number(top?.last ?? 0);
    const perContact = Math.max(1, Number(top?.funnel_rows ?? 0) / Math.max(1, last));
    const contactsPerPage = Math.max(100, Math.floor(ROWS_PER_PAGE / perContact));
    const page = (after: number) => {
      const rows = contactRows(ctx, params, { after, upTo: after + contactsPerPage });
      rows.catch(() => undefined); // awaited below; this only keeps a page abandoned by a stopped reader quiet
      return rows;
    };
    // The engine computes the next page while the caller writes this one.
    let next = page(0);
    for (let after = 0; after < last; after += contactsPerPage) {
      const rows = await next;
      if (after + contactsPerPage < last) next = page(after + contactsPerPage);
      yield* rows;
      onFraction?.(Math.min(1, (after + contactsPerPage) / last));
    }
  },

  workbook(params) {
    const users = { sheet: 'User', params: { kind: params.kind, view: 'users' } };
    if (params.kind === 'campaign') return [...CAMPAIGN_SHEETS, users];
    if (params.kind === 'one-time') return [...ONE_TIME_SHEETS, users];
    return [...CAMPAIGN_SHEETS, ...ONE_TIME_SHEETS, users];
  },
};

interface ContactPage {
  after: number;
  upTo: number;
}

function funnelQuery(
  { range }: ReportContext,
  params: CampaignPerformanceParams,
  page: ContactPage | null,
): { funnel: string; values: Record<string, unknown> } {
  const values = {
    tenant: params.tenant,
    from_ms: range.fromMs,
    to_ms: range.toMs,
    tz: range.tz,
    campaigns: params.campaign ?? [],
    after: page?.after ?? 0,
    up_to: page?.upTo ?? 0,
  };
  const where = [
    params.campaign?.length
      ? 'AND (campaign_id IN {campaigns:Array(String)} OR message_id IN {campaigns:Array(String)})'
      : '',
    { all: '', campaign: "AND campaign_id != ''", 'one-time': "AND campaign_id = ''" }[params.kind],
    page ? 'AND contact_no > {after:UInt32} AND contact_no <= {up_to:UInt32}' : '',
  ].join(' ');
  const funnel = campaignStepsSql({
    where,
    sentHaving: `first_sent_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
      AND first_sent_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`,
  });
  return { funnel, values };
}

const iso = (t: string | null) => (t ? `${t.replace(' ', 'T')}Z` : null);

/** The contacts view (a row per message and contact) or the users view (a row per contact). */
async function contactRows(
  ctx: ReportContext,
  params: CampaignPerformanceParams,
  page: ContactPage | null,
): Promise<ReportRow[]> {
  const { funnel, values } = funnelQuery(ctx, params, page);
  const tag = `report:campaign-performance:${params.view}`;
  if (params.view === 'users') {
    const rows = await ctx.ch.query<UserRow>(
      `WITH ${funnel}
       SELECT any(contact_id) AS contact_id, count() AS sent, countIf(viewed) AS viewed, countIf(clicked) AS clicked,
              countIf(goal) AS goal, toString(min(sent_at)) AS first_sent_at, toString(max(sent_at)) AS last_sent_at
       FROM steps GROUP BY contact_no ORDER BY contact_no`,
      { tag, params: values, idempotent: true },
    );
    return rows.map((r) => ({
      contact_id: r.contact_id,
      sent: Number(r.sent),
      viewed: Number(r.viewed),
      clicked: Number(r.clicked),
      goal: Number(r.goal),
      first_sent_at: iso(r.first_sent_at),
      last_sent_at: iso(r.last_sent_at),
    }));
  }
  const rows = await ctx.ch.query<StepRow>(
    `WITH ${funnel}
     SELECT kind, id, message_id, contact_id, toString(sent_at) AS sent_at, toString(viewed_at) AS viewed_at,
            toString(clicked_at) AS clicked_at, toString(goal_at) AS goal_at
     FROM steps ORDER BY ${page ? 'contact_no, kind, id, message_id' : 'kind, id, message_id, sent_at, contact_id'}`,
    { tag, params: values, idempotent: true },
  );
  return rows.map((r) => ({
    kind: r.kind,
    id: r.id,
    message_id: r.message_id,
    contact_id: r.contact_id,
    sent_at: iso(r.sent_at),
    viewed_at: iso(r.viewed_at),
    clicked_at: iso(r.clicked_at),
    goal_at: iso(r.goal_at),
  }));
}
