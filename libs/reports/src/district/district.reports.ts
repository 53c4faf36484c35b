import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { ReportContext, ReportDefinition, ReportRow } from '../report-definition';
import { ReportParamError } from '../report-errors';
import { ReportParams } from '../report-params';
import { periodEnd } from '../report-range';
import { periodExpr, rollupWhere } from '../rollup-sql';
import { activitySource, servesActivity } from '../activity-source';
import { rollupSource } from '../rollup-source';
import { num, share } from '../report-values';

/**
 * The district contact-center reports (district-contact-center-reports):
 * new users, sign-ins, newsgroup subscribers, publishing results.
 */

/** group_by value -> column (the only identifiers that enter the SQL). */
const ORG_UNIT: Record<string, string> = { org_unit: 'org_unit' };

export class NewUsersParams extends ReportParams {
  @ApiPropertyOptional({
    enum: ['interval', 'school_year'],
    default: 'interval',
    description: 'Count per interval, or per school year',
  })
  @IsOptional()
  @IsIn(['interval', 'school_year'], { message: 'per must be interval or school_year' })
  per: 'interval' | 'school_year' = 'interval';

  @ApiPropertyOptional({ default: 8, description: 'Month a school year starts in (1-12; August by default)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt({ message: 'school_year_start must be a month number, 1 to 12' })
  @Min(1, { message: 'school_year_start must be a month number, 1 to 12' })
  @Max(12, { message: 'school_year_start must be a month number, 1 to 12' })
  school_year_start = 8;
}

/** Label of the school year a local instant falls in, e.g. '2026-27' for one starting August 2026. */
function schoolYearExpr(column: string): string {
  const local = `toTimeZone(${column}, {tz:String})`;
  return `concat(toString(if(toMonth(${local}) >= {sy_start:UInt8}, toYear(${local}), toYear(${local}) - 1)), '-',
          substring(toString(if(toMonth(${local}) >= {sy_start:UInt8}, toYear(${local}), toYear(${local}) - 1) + 1), 3, 2))`;
}

interface CountRow {
  period: string;
  grp: string;
  contacts: number | string;
  events: number | string;
}

export const DistrictNewUsersReport: ReportDefinition<NewUsersParams> = {
  name: 'district-new-users',
  title: 'New users',
  reference: 'district-contact-center-reports',
  description:
    'Users who registered (user.registered), per interval or, with per=school_year, per school year ' +
    '(starting in month school_year_start, August by default; labelled 2026-27). Distinct users, exact. ' +
    'group_by=org_unit splits by school.',
  params: NewUsersParams,
  groupBy: ['org_unit'],
  columns: (p) => [
    {
      name: 'period',
      type: 'string',
      description: p.per === 'school_year' ? 'School year' : 'Start of the interval, local',
    },
    ...(p.group_by ? [{ name: 'org_unit', type: 'string', description: 'School or interface' } as const] : []),
    { name: 'new_users', type: 'integer', description: 'Distinct users who registered' },
  ],
  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const schoolYears = params.per === 'school_year';
    const source = await rollupSource(ch, params, range, schoolYears ? 'month' : params.interval, ['user.registered']);
    const period = schoolYears ? schoolYearExpr('bucket') : periodExpr(params.interval, params.week_start);
    const grp = params.group_by ? ORG_UNIT[params.group_by] : "''";
    const rows = await ch.query<CountRow>(
      `SELECT ${period} AS period, ${grp} AS grp, groupBitmapMerge(contacts) AS contacts, sum(events) AS events
       FROM ${source.sql}
       GROUP BY period, grp ORDER BY period, grp`,
      {
        tag: 'report:district-new-users',
        params: { ...source.values, sy_start: params.school_year_start },
        idempotent: true,
      },
    );
    return rows.map((r) => ({
      period: r.period,
      ...(params.group_by ? { org_unit: r.grp } : {}),
      new_users: num(r.contacts),
    }));
  },
};

export const DistrictSignInsReport: ReportDefinition<ReportParams> = {
  name: 'district-sign-ins',
  title: 'User sign-ins',
  reference: 'district-contact-center-reports',
  description:
    'Users who signed in (user.login) per interval: distinct users (exact; a month is not a sum of days) ' +
    'and the number of sign-ins. group_by=org_unit splits by school.',
  params: ReportParams,
  groupBy: ['org_unit'],
  columns: (p) => [
    { name: 'period', type: 'string', description: 'Start of the interval, local' },
    ...(p.group_by ? [{ name: 'org_unit', type: 'string', description: 'School or interface' } as const] : []),
    { name: 'users', type: 'integer', description: 'Distinct users who signed in' },
    { name: 'sign_ins', type: 'integer', description: 'Sign-ins' },
  ],
  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const period = periodExpr(params.interval, params.week_start);
    // Without schools, from the contact activity summaries (a few rows a day); by school, or
    // filtered by campaign, org unit or group, from the rollups, which hold those.
    const rows =
      !params.group_by && servesActivity(params)
        ? await activitySource(ch, params, range, params.interval).then((source) =>
            ch.query<CountRow>(
              `SELECT ${period} AS period, '' AS grp, groupBitmapMerge(signed_in) AS contacts, sum(sign_ins) AS events
               FROM ${source.sql}
               GROUP BY period HAVING events > 0 ORDER BY period`,
              { tag: 'report:district-sign-ins', params: source.values, idempotent: true },
            ),
          )
        : await rollupSource(ch, params, range, params.interval, ['user.login']).then((source) =>
            ch.query<CountRow>(
              `SELECT ${period} AS period, ${params.group_by ? ORG_UNIT[params.group_by] : "''"} AS grp,
                      groupBitmapMerge(contacts) AS contacts, sum(events) AS events
               FROM ${source.sql}
               GROUP BY period, grp ORDER BY period, grp`,
              { tag: 'report:district-sign-ins', params: source.values, idempotent: true },
            ),
          );
    return rows.map((r) => ({
      period: r.period,
      ...(params.group_by ? { org_unit: r.grp } : {}),
      users: num(r.contacts),
      sign_ins: num(r.events),
    }));
  },
};

interface GroupMonthRow {
  group_id: string;
  period: string;
  subscribed: number | string;
  unsubscribed: number | string;
}

interface GroupStateRow {
  group_id: string;
  period_end: string;
  subscribers: number | string;
}

export const DistrictNewsgroupsReport: ReportDefinition<ReportParams> = {
  name: 'district-newsgroups',
  title: 'Newsgroup subscribers (group summary)',
  reference: 'district-contact-center-reports',
  description:
    'Per newsgroup and interval (default month): users who subscribed (group.subscribed) and who ' +
    'unsubscribed (group.unsubscribed) in it, distinct and exact, and the subscribers at the end of the ' +
    'interval: users whose latest subscribe or unsubscribe for the group before that instant was a ' +
    'subscribe (events before the range count). The group filter narrows to some newsgroups.',
  params: ReportParams,
  groupBy: [],
  columns: () => [
    { name: 'group_id', type: 'string', description: 'Newsgroup' },
    { name: 'period', type: 'string', description: 'Start of the interval, local' },
    { name: 'subscribed', type: 'integer', description: 'Users who subscribed in the interval' },
    { name: 'unsubscribed', type: 'integer', description: 'Users who unsubscribed in the interval' },
    { name: 'subscribers_at_end', type: 'integer', description: 'Subscribers at the end of the interval' },
  ],
  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    if (params.interval === 'hour')
      throw new ReportParamError('interval', 'interval must be day or longer for this report');
    const where = rollupWhere(params, range);
    const source = await rollupSource(ch, params, range, params.interval, ['group.subscribed', 'group.unsubscribed']);
    const period = periodExpr(params.interval, params.week_start);
    const changes = await ch.query<GroupMonthRow>(
      `SELECT group_id, ${period} AS period,
              groupBitmapMergeIf(contacts, type = 'group.subscribed') AS subscribed,
              groupBitmapMergeIf(contacts, type = 'group.unsubscribed') AS unsubscribed
       FROM ${source.sql} WHERE group_id != ''
       GROUP BY group_id, period ORDER BY group_id, period`,
      { tag: 'report:district-newsgroups', params: source.values, idempotent: true },
    );
    if (changes.length === 0) return [];
    // The end of each interval that has rows: the next interval's start in the zone, or the end of the range.
    const periods = [...new Set(changes.map((c) => c.period))].sort();
    const endOf = new Map(periods.map((p) => [p, Math.min(range.toMs, periodEnd(p, params.interval, range.tz))]));
    const groupFilter = params.group?.length ? 'AND group_id IN {f_group:Array(String)}' : '';
    const state = await ch.query<GroupStateRow>(
      `SELECT group_id, toString(e) AS period_end, countIf(last = 'group.subscribed') AS subscribers
       FROM (
         SELECT group_id, contact_no, e, argMaxIf(type, occurred_at, occurred_at < fromUnixTimestamp64Milli(e, 'UTC')) AS last
         FROM events ARRAY JOIN {ends:Array(Int64)} AS e
         WHERE tenant_id = {tenant:String} AND type IN ('group.subscribed', 'group.unsubscribed') AND group_id != ''
           AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC') ${groupFilter}
         GROUP BY group_id, contact_no, e
       )
       GROUP BY group_id, e`,
      {
        tag: 'report:district-newsgroups:state',
        params: { ...where.values, ends: periods.map((p) => endOf.get(p) ?? range.toMs) },
        idempotent: true,
      },
    );
    const subscribers = new Map(state.map((s) => [`${s.group_id}|${s.period_end}`, num(s.subscribers)]));
    return changes.map((c) => ({
      group_id: c.group_id,
      period: c.period,
      subscribed: num(c.subscribed),
      unsubscribed: num(c.unsubscribed),
      subscribers_at_end: subscribers.get(`${c.group_id}|${endOf.get(c.period) ?? range.toMs}`) ?? 0,
    }));
  },
};

export class PublishingParams extends ReportParams {
  @ApiPropertyOptional({
    enum: ['org_unit', 'message'],
    default: 'org_unit',
    description: 'Per school/interface, or per notice',
  })
  @IsOptional()
  @IsIn(['org_unit', 'message'], { message: 'per must be org_unit or message' })
  per: 'org_unit' | 'message' = 'org_unit';
}

interface PublishingRow {
  org_unit: string;
  message_id: string;
  notices: number | string;
  sent: number | string;
  opened: number | string;
  inactivated: number | string;
}

export const DistrictPublishingReport: ReportDefinition<PublishingParams> = {
  name: 'district-publishing',
  title: 'Publishing results',
  reference: 'district-contact-center-reports',
  description:
    'Per school or interface (org_unit), or per notice (per=message): notices published (notice.published), ' +
    'emails sent (distinct users a notice was emailed to: message.sent on channel email, summed over ' +
    'notices), emails opened (users who opened it: message.viewed on email) and inactivated (users who ' +
    'used the inactivate link: message.unsubscribed), as counts and as shares of emails sent. Events of ' +
    'the range; opens count only users whose email client loaded the tracking image.',
  params: PublishingParams,
  groupBy: [],
  columns: (p) => [
    { name: 'org_unit', type: 'string', description: 'School or interface' },
    ...(p.per === 'message' ? [{ name: 'message_id', type: 'string', description: 'Notice' } as const] : []),
    { name: 'notices', type: 'integer', description: 'Notices published' },
    { name: 'emails_sent', type: 'integer', description: 'Emails sent' },
    { name: 'emails_opened', type: 'integer', description: 'Users who opened' },
    { name: 'opened_rate', type: 'percent', description: 'emails_opened / emails_sent' },
    { name: 'inactivated', type: 'integer', description: 'Users who used the inactivate link' },
    { name: 'inactivated_rate', type: 'percent', description: 'inactivated / emails_sent' },
  ],
  async run({ ch, range }: ReportContext, params): Promise<ReportRow[]> {
    const source = await rollupSource(ch, params, range, 'total', [
      'notice.published',
      'message.sent',
      'message.viewed',
      'message.unsubscribed',
    ]);
    const rows = await ch.query<PublishingRow>(
      `SELECT org_unit, message_id,
              sumIf(events, type = 'notice.published') AS notices,
              groupBitmapMergeIf(contacts, type = 'message.sent' AND channel = 'email') AS sent,
              groupBitmapMergeIf(contacts, type = 'message.viewed' AND channel = 'email') AS opened,
              groupBitmapMergeIf(contacts, type = 'message.unsubscribed') AS inactivated
       FROM ${source.sql}
       WHERE org_unit != ''
       GROUP BY org_unit, message_id`,
      { tag: 'report:district-publishing', params: source.values, idempotent: true },
    );
    const out = new Map<string, { org_unit: string; message_id: string; n: number; s: number; o: number; i: number }>();
    for (const r of rows) {
      const key = params.per === 'message' ? `${r.org_unit}|${r.message_id}` : r.org_unit;
      const acc = out.get(key) ?? { org_unit: r.org_unit, message_id: r.message_id, n: 0, s: 0, o: 0, i: 0 };
      acc.n += num(r.notices);
      acc.s += num(r.sent);
      acc.o += num(r.opened);
      acc.i += num(r.inactivated);
      out.set(key, acc);
    }
    return [...out.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, a]) => ({
        org_unit: a.org_unit,
        ...(params.per === 'message' ? { message_id: a.message_id } : {}),
        notices: a.n,
        emails_sent: a.s,
        emails_opened: a.o,
        opened_rate: share(a.o, a.s),
        inactivated: a.i,
        inactivated_rate: share(a.i, a.s),
      }));
  },
};
