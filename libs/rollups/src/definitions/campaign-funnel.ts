/**
 * Campaign performance's definition, in one place: what a send, a view, a
 * click and a goal are, the windows between them, which late arrivals can
 * change a summarised send day, and the SQL that judges them. The rollup job
 * builds campaign_send_daily from `campaignStepsSql` and the report computes
 * the days no summary covers from the very same text, so the two cannot drift.
 *
 * Per contact and message (a campaign's message, or a one-time message):
 * - sent: the contact's first send of the message (its day is the send's day);
 * - viewed: the first view falls within VIEW_WINDOW of that send (7 days
 *   exactly counts, 7 days and 1 ms does not);
 * - clicked: the first click is at or after the send;
 * - goal: viewed, and a goal.reached of the campaign (of the message, for a
 *   one-time message) at or after the first view and within GOAL_WINDOW of
 *   the send. Every goal counts, not only a contact's first: a goal before
 *   the view (or before the send) does not, a later one inside the window does.
 *   goal_at is that goal: the first at or after the view.
 */

import type { DaySummaryFamily, TypeArrival } from './day-summary';

/** Event types message_funnel and campaign_goals are made of. */
export const FUNNEL_TYPES = ['message.sent', 'message.viewed', 'message.clicked', 'goal.reached'] as const;

/** The summary table (rollup_builds.table_name) of send days. */
export const CAMPAIGN_TABLE = 'campaign_send_daily';

export const VIEW_WINDOW_DAYS = 7;
export const GOAL_WINDOW_DAYS = 30;

const DAY_MS = 86_400_000;

/**
 * The latest arrival that can have changed the summary of a send day ending
 * at `dayEndMs`. An event at t can change a send s when:
 * - a send: t is a new first send, earlier than s (the contact moves to t's
 *   day) or on the day itself: any t before the day's end;
 * - a view: a new first view inside the window, or before s (then the first
 *   view precedes the send and the send is not viewed): t < end + VIEW_WINDOW;
 * - a goal: one inside [s, s + GOAL_WINDOW]: t < end + GOAL_WINDOW;
 * - a click: clicks have no window (any later click counts), so any t.
 * Hours are compared by their start, which is at or before every t in them.
 */
export function campaignDayArrival(arrivals: readonly TypeArrival[], dayEndMs: number): number {
  let latest = 0;
  for (const a of arrivals) {
    const reach =
      a.type === 'message.clicked'
        ? Infinity
        : a.type === 'message.sent'
          ? dayEndMs
          : a.type === 'message.viewed'
            ? dayEndMs + VIEW_WINDOW_DAYS * DAY_MS
            : dayEndMs + GOAL_WINDOW_DAYS * DAY_MS;
    if (a.hourMs < reach && a.lastMs > latest) latest = a.lastMs;
  }
  return latest;
}

/** campaign_send_daily: a row per first-send day, campaign and message. */
export const CAMPAIGN_FUNNEL: DaySummaryFamily = {
  table: CAMPAIGN_TABLE,
  types: FUNNEL_TYPES,
  rowType: 'message.sent',
  arrival: campaignDayArrival,
};

/** What narrows the sends judged: a WHERE fragment on message_funnel, a HAVING fragment on the first send. */
export interface StepsScope {
  /** ANDed into message_funnel's and campaign_goals' WHERE (campaign, kind, contact page); '' for none. */
  where?: string;
  /** ANDed into the HAVING on first_sent_at (the range, the days); '' for none. */
  sentHaving?: string;
}

/**
 * The CTEs `sends` and `steps`: per (campaign, message, contact), the first
 * send and whether each later step happened in its window, with the time of
 * each. Parameters: {tenant:String}; the scope's own.
 */
export function campaignStepsSql(scope: StepsScope = {}): string {
  const where = scope.where ?? '';
  return `
  sends AS (
    SELECT campaign_id, message_id, contact_no, any(contact_id) AS contact_id,
           min(sent_at) AS first_sent_at, min(viewed_at) AS first_viewed_at, min(clicked_at) AS first_clicked_at
    FROM message_funnel
    WHERE tenant_id = {tenant:String} AND message_id != '' ${where}
    GROUP BY campaign_id, message_id, contact_no
    HAVING first_sent_at IS NOT NULL ${scope.sentHaving ? `AND ${scope.sentHaving}` : ''}
  ),
  goals AS (
    SELECT campaign_id, message_id, contact_no, goal_at
    FROM campaign_goals
    WHERE tenant_id = {tenant:String} ${where}
  ),
  judged AS (
    SELECT *, first_viewed_at IS NOT NULL AND first_viewed_at >= first_sent_at
              AND first_viewed_at <= first_sent_at + INTERVAL ${VIEW_WINDOW_DAYS} DAY AS viewed
    FROM sends
  ),
  steps AS (
    SELECT if(s.campaign_id != '', 'campaign', 'one-time message') AS kind,
           if(s.campaign_id != '', s.campaign_id, s.message_id) AS id,
           s.campaign_id AS campaign_id, s.message_id AS message_id,
           s.contact_no AS contact_no, s.contact_id AS contact_id, s.first_sent_at AS sent_at,
           s.viewed AS viewed,
           s.first_clicked_at IS NOT NULL AND s.first_clicked_at >= s.first_sent_at AS clicked,
           -- The first goal at or after the view (ASOF): unmatched rows get 1970, before any view.
           s.viewed AND g.goal_at >= assumeNotNull(s.first_viewed_at)
             AND g.goal_at <= s.first_sent_at + INTERVAL ${GOAL_WINDOW_DAYS} DAY AS goal,
           if(s.viewed, s.first_viewed_at, NULL) AS viewed_at,
           if(clicked, s.first_clicked_at, NULL) AS clicked_at,
           if(goal, toNullable(g.goal_at), NULL) AS goal_at
    FROM judged AS s
    ASOF LEFT JOIN goals AS g
      ON g.campaign_id = s.campaign_id AND g.message_id = if(s.campaign_id = '', s.message_id, '')
     AND g.contact_no = s.contact_no
     AND g.goal_at >= ifNull(s.first_viewed_at, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'))
  )`;
}

/** The four step bitmaps of `steps` rows, mergeable with campaign_send_daily's columns. */
export const STEP_STATES = `groupBitmapState(contact_no) AS sent, groupBitmapStateIf(contact_no, viewed) AS viewed,
  groupBitmapStateIf(contact_no, clicked) AS clicked, groupBitmapStateIf(contact_no, goal) AS goal`;
