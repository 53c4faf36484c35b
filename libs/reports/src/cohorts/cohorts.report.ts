import { ApiPropertyOptional } from '@nestjs/swagger';
import { EARLIEST_EVENT_MS } from '@tallyhouse/events';
import { IsIn, IsOptional } from 'class-validator';
import type { ReportColumn, ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParams } from '../report-params';
import { activitySource } from '../activity-source';
import { homeZone } from '../home-zone';
import { periodExpr, prefixed, prefixedValues } from '../rollup-sql';
import { share } from '../report-values';

export class CohortsParams extends ReportParams {
  @ApiPropertyOptional({
    enum: ['registered', 'first_seen'],
    default: 'registered',
    description: 'Cohort by the interval of the first user.registered, or of the first event of any kind',
  })
  @IsOptional()
  @IsIn(['registered', 'first_seen'], { message: 'cohort_by must be registered or first_seen' })
  cohort_by: 'registered' | 'first_seen' = 'registered';
}

/** Whole intervals from one period label to another (labels are local wall times, compared as such). */
function intervalsBetween(from: string, to: string, interval: CohortsParams['interval']): number {
  const wall = (label: string) => Date.parse(`${label.replace(' ', 'T')}${label.length === 10 ? 'T00:00' : ''}:00Z`);
  const [a, b] = [new Date(wall(from)), new Date(wall(to))];
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  switch (interval) {
    case 'hour':
      return Math.round((b.getTime() - a.getTime()) / 3_600_000);
    case 'day':
      return Math.round((b.getTime() - a.getTime()) / 86_400_000);
    case 'week':
      return Math.round((b.getTime() - a.getTime()) / (7 * 86_400_000));
    case 'month':
      return months;
    case 'quarter':
      return Math.round(months / 3);
    case 'year':
      return b.getUTCFullYear() - a.getUTCFullYear();
  }
}

interface CohortRow {
  cohort: string;
  period: string;
  cohort_size: number | string;
  active: number | string;
}

/**
 * Cohorts: contacts grouped by the interval they registered in (or were first
 * seen in), and how many of them were active in each later interval.
 */
export const CohortsReport: ReportDefinition<CohortsParams> = {
  name: 'cohorts',
  title: 'Cohorts',
  reference: 'design: cohorts',
  description:
    'Contacts grouped by the interval (default month; in the chosen zone) of their first user.registered, or ' +
    'with cohort_by=first_seen of their first event of any kind. A contact joins one cohort only: registered ' +
    'again later it stays in its first, and a contact registered (seen) before the range is in no cohort. For ' +
    "each cohort and each interval from the cohort's own onwards: how many of its contacts were active, and " +
    'the share. Active = any event other than message.sent, message.delivered and message.bounced (things ' +
    'done to a contact, not by them). Exact: sets of contacts, not sums.',
  params: CohortsParams,
  groupBy: [],

  columns(): ReportColumn[] {
    return [
      { name: 'cohort', type: 'string', description: 'Interval the cohort joined in' },
      { name: 'cohort_size', type: 'integer', description: 'Contacts in the cohort' },
      { name: 'period', type: 'string', description: 'Interval of activity' },
      { name: 'periods_since', type: 'integer', description: 'Intervals since the cohort joined (0 = same)' },
      { name: 'active', type: 'integer', description: 'Cohort contacts active in the period' },
      { name: 'share', type: 'percent', description: 'active / cohort_size' },
    ];
  },

  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const period = periodExpr(params.interval, params.week_start);
    // Cohorts take no filters: membership is about the contact, not a channel.
    const everything = Object.assign(new ReportParams(), { tenant: params.tenant });
    const source = await activitySource(ch, everything, range, params.interval);
    // Seen (registered) before the range: in no cohort, as a contact joins once, in its first interval.
    // Whole periods from the home zone's summaries (the zone only cuts the union into periods),
    // rollup_15m for the rest.
    const before = await activitySource(
      ch,
      everything,
      { tz: await homeZone(ch, params.tenant), fromMs: EARLIEST_EVENT_MS, toMs: range.fromMs },
      'total',
      { unionOnly: true },
    );
    const joined = params.cohort_by === 'registered' ? 'registered' : 'seen';
    const cohortOf = `bitmapAndnot(c.${joined}, bitmapOr(b.before, e.earlier))`;
    const joinedBefore = `(SELECT groupBitmapMergeState(${joined}) AS before FROM ${prefixed(before.sql, 'b_')})`;
    const rows = await ch.query<CohortRow>(
      `WITH
         periods AS (
           SELECT ${period} AS period, groupBitmapMergeState(seen) AS seen, groupBitmapMergeState(active) AS active,
                  groupBitmapMergeState(registered) AS registered
           FROM ${source.sql}
           GROUP BY period
         ),
         earlier AS (
           SELECT c.period AS period, groupBitmapOrState(p.${joined}) AS earlier
           FROM periods AS c CROSS JOIN periods AS p
           WHERE p.period < c.period
           GROUP BY c.period
         ),
         cohorts AS (
           SELECT c.period AS cohort, ${cohortOf} AS members
           FROM periods AS c
           LEFT JOIN earlier AS e ON e.period = c.period
           CROSS JOIN ${joinedBefore} AS b
         )
       SELECT k.cohort AS cohort, a.period AS period, bitmapCardinality(k.members) AS cohort_size,
              bitmapAndCardinality(k.members, a.active) AS active
       FROM cohorts AS k CROSS JOIN periods AS a
       WHERE a.period >= k.cohort AND bitmapCardinality(k.members) > 0
       ORDER BY cohort, period`,
      {
        tag: 'report:cohorts',
        params: { ...source.values, ...prefixedValues(before.values, 'b_') },
        idempotent: true,
      },
    );
    return rows.map((r) => {
      const size = Number(r.cohort_size);
      const active = Number(r.active);
      return {
        cohort: r.cohort,
        cohort_size: size,
        period: r.period,
        periods_since: intervalsBetween(r.cohort, r.period, params.interval),
        active,
        share: share(active, size),
      };
    });
  },
};
