import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClickHouseModule, ClickHouseService } from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { EVENT_COLUMNS } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';
import { ReportService, ReportsModule, type ReportResult } from '@tallyhouse/reports';
import { RollupJob, RollupsModule } from '@tallyhouse/rollups';
import { BENCH_DAYS, BENCH_START_MS, correlatedEventsSelect } from './generator';
import {
  fmtInt,
  freshDir,
  loadLine,
  median,
  parseArgs,
  parseCount,
  removeDir,
  seconds,
  table,
  writeResults,
} from './util';

/**
 * Report speed: N generated events loaded by the engine (`INSERT … SELECT`,
 * every view fed; correlated dimensions, see correlatedEventsSelect), the
 * tenant's daily and monthly summaries built by the rollup job in its home
 * zone (timed too), then each report timed through ReportService (cold, then
 * the median of 5 warm runs) next to a plain SQL computation of the same
 * figures over raw `events`, written separately from the report's SQL; the
 * figures of both are compared.
 */

@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, RollupsModule, ReportsModule] })
class BenchReportsModule {}

interface Case {
  name: string;
  report: string;
  params: Record<string, string>;
  /** Plain SQL over raw events giving one figure per key; null when the report itself reads events. */
  raw: string | null;
  /** The report's figure per key, to compare with the raw rows (key, value). */
  figure: (r: ReportResult) => Map<string, number>;
}

const TENANT = 'brand-c';
/** The summary tables the rollup job writes (ReplacingMergeTree, read FINAL). */
const SUMMARY_TABLES = [
  'rollup_daily',
  'rollup_monthly',
  'campaign_send_daily',
  'resolved_daily',
  'activity_daily',
  'activity_monthly',
  'touch_daily',
  'touch_monthly',
  'rollup_builds',
];
const TZ = 'Europe/Berlin';
const FROM = new Date(BENCH_START_MS).toISOString().slice(0, 10);
const TO = new Date(BENCH_START_MS + BENCH_DAYS * 86_400_000).toISOString().slice(0, 10);
const RANGE = `tenant_id = '${TENANT}' AND occurred_at >= toDateTime('${FROM} 00:00:00', '${TZ}') AND occurred_at < toDateTime('${TO} 00:00:00', '${TZ}')`;

/**
 * Campaign performance over raw events, per id and step: each contact's first send of a
 * message in the range; viewed within 7 days of it, clicked after it, and a goal of the
 * campaign at or after the view within 30 days of the send (any of its goals, not only the
 * first). `period` keys a daily view (or '').
 */
const campaignRaw = (period: string) => `
  SELECT concat(id, '|', period, '|', p.1) AS key, p.2 AS value
  FROM (
    SELECT if(s.campaign_id != '', s.campaign_id, s.message_id) AS id, ${period} AS period,
           uniqExact(s.contact_id) AS sent,
           uniqExactIf(s.contact_id, s.v IS NOT NULL AND s.v >= s.s AND s.v <= s.s + INTERVAL 7 DAY) AS viewed,
           uniqExactIf(s.contact_id, s.c IS NOT NULL AND s.c >= s.s) AS clicked,
           uniqExactIf(s.contact_id, s.v IS NOT NULL AND s.v >= s.s AND s.v <= s.s + INTERVAL 7 DAY
                                     AND arrayExists(x -> x >= s.v AND x <= s.s + INTERVAL 30 DAY, g.gs)) AS goal
    FROM (
      SELECT campaign_id, message_id, contact_id, minIf(occurred_at, type = 'message.sent') AS s,
             minIf(toNullable(occurred_at), type = 'message.viewed') AS v,
             minIf(toNullable(occurred_at), type = 'message.clicked') AS c
      FROM events
      WHERE tenant_id = '${TENANT}' AND type IN ('message.sent', 'message.viewed', 'message.clicked') AND message_id != ''
      GROUP BY campaign_id, message_id, contact_id
      HAVING countIf(type = 'message.sent') > 0
         AND s >= toDateTime('${FROM} 00:00:00', '${TZ}') AND s < toDateTime('${TO} 00:00:00', '${TZ}')
    ) AS s
    LEFT JOIN (
      SELECT campaign_id, if(campaign_id != '', '', message_id) AS mid, contact_id, groupArray(occurred_at) AS gs
      FROM events WHERE tenant_id = '${TENANT}' AND type = 'goal.reached'
      GROUP BY campaign_id, mid, contact_id
    ) AS g ON g.campaign_id = s.campaign_id AND g.contact_id = s.contact_id AND g.mid = if(s.campaign_id = '', s.message_id, '')
    GROUP BY id, period
  )
  ARRAY JOIN [('sent', sent), ('viewed', viewed), ('clicked', clicked), ('goal', goal)] AS p
  WHERE p.2 != 0`;

const campaignFigures = (r: ReportResult, period: (row: ReportResult['rows'][number]) => string) => {
  const out = new Map<string, number>();
  for (const row of r.rows)
    for (const step of ['sent', 'viewed', 'clicked', 'goal'])
      if (Number(row[step]) !== 0) out.set(`${row.id}|${period(row)}|${step}`, Number(row[step]));
  return out;
};

const USAGE_FIGURES = [
  'unique_contacts',
  'active_agents',
  'channels',
  'proactive_messages',
  'resolved_conversations',
] as const;

/**
 * Every account-usage figure over raw events, keyed period|group|figure: contacts with a
 * conversation message, agents who answered, channels with any event, message.sent on chat or
 * social; distinct conversations by the period of each resolution and the group of their first
 * message, if that message was inbound and one was outbound.
 */
const usageRaw = (period: (at: string) => string, group: (platform: string) => string) => `
  SELECT concat(per, '|', g, '|', p.1) AS key, p.2 AS value
  FROM (
    SELECT ${period('occurred_at')} AS per, ${group('platform')} AS g,
           uniqExactIf(contact_id, type IN ('conversation.message_in', 'conversation.message_out') AND contact_id != '') AS contacts,
           uniqExactIf(agent_id, type = 'conversation.message_out' AND agent_id != '') AS agents,
           uniqExactIf(channel, channel != '') AS channels,
           countIf(type = 'message.sent' AND channel IN ('chat', 'social')) AS proactive
    FROM events WHERE ${RANGE}
    GROUP BY per, g
  )
  ARRAY JOIN [('unique_contacts', contacts), ('active_agents', agents), ('channels', channels),
              ('proactive_messages', proactive)] AS p
  WHERE p.2 != 0
  UNION ALL
  SELECT concat(${period('r.occurred_at')}, '|', ${group('c.first_platform')}, '|resolved_conversations') AS key,
         uniqExact(r.conversation_id) AS value
  FROM (
    SELECT conversation_id, occurred_at FROM events
    WHERE ${RANGE} AND type = 'conversation.resolved' AND conversation_id != ''
  ) AS r
  INNER JOIN (
    SELECT conversation_id,
           argMinIf(type, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')) AS first,
           countIf(type = 'conversation.message_out') AS outbound,
           argMinIf(platform, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')) AS first_platform
    FROM events
    WHERE tenant_id = '${TENANT}' AND conversation_id != '' AND type LIKE 'conversation.%'
    GROUP BY conversation_id
    HAVING first = 'conversation.message_in' AND outbound > 0
  ) AS c ON c.conversation_id = r.conversation_id
  GROUP BY key`;

const usageFigures = (r: ReportResult, group: (row: ReportResult['rows'][number]) => string) => {
  const out = new Map<string, number>();
  for (const row of r.rows)
    for (const figure of USAGE_FIGURES)
      if (Number(row[figure]) !== 0) out.set(`${row.period}|${group(row)}|${figure}`, Number(row[figure]));
  return out;
};

const CASES: Case[] = [
  {
    name: 'account-usage: monthly, every figure',
    report: 'account-usage',
    params: { interval: 'month' },
    raw: usageRaw(
      (at) => `toString(toStartOfMonth(toTimeZone(${at}, '${TZ}')))`,
      () => "''",
    ),
    figure: (r) => usageFigures(r, () => ''),
  },
  {
    name: 'account-usage: daily by platform, every figure',
    report: 'account-usage',
    params: { interval: 'day', group_by: 'platform' },
    raw: usageRaw(
      (at) => `toString(toDate(toTimeZone(${at}, '${TZ}')))`,
      (platform) => platform,
    ),
    figure: (r) => usageFigures(r, (row) => String(row.platform)),
  },
  {
    name: 'district-sign-ins: weekly users and sign-ins',
    report: 'district-sign-ins',
    params: { interval: 'week' },
    raw: `SELECT concat(week, '|', p.1) AS key, p.2 AS value
          FROM (SELECT toString(toMonday(toTimeZone(occurred_at, '${TZ}'))) AS week, uniqExact(contact_id) AS users,
                       count() AS sign_ins
                FROM events WHERE ${RANGE} AND type = 'user.login' GROUP BY week)
          ARRAY JOIN [('users', users), ('sign_ins', sign_ins)] AS p`,
    figure: (r) =>
      new Map(
        r.rows.flatMap((row) => [
          [`${row.period}|users`, Number(row.users)] as const,
          [`${row.period}|sign_ins`, Number(row.sign_ins)] as const,
        ]),
      ),
  },
  {
    name: 'campaign-performance: summary (sent, viewed, clicked, goal)',
    report: 'campaign-performance',
    params: {},
    raw: campaignRaw("''"),
    figure: (r) => campaignFigures(r, () => ''),
  },
  {
    name: 'campaign-performance: daily (sent, viewed, clicked, goal)',
    report: 'campaign-performance',
    params: { view: 'daily', interval: 'day' },
    raw: campaignRaw(`toString(toDate(toTimeZone(s.s, '${TZ}')))`),
    figure: (r) => campaignFigures(r, (row) => String(row.period)),
  },
  {
    name: 'cohorts: monthly, by registration',
    report: 'cohorts',
    params: { interval: 'month' },
    raw: `SELECT concat(c.cohort, '|', a.period) AS key, count() AS value
          FROM (SELECT contact_id, toString(toStartOfMonth(toTimeZone(min(occurred_at), '${TZ}'))) AS cohort
                FROM events WHERE tenant_id = '${TENANT}' AND type = 'user.registered' GROUP BY contact_id
                HAVING min(occurred_at) >= toDateTime('${FROM} 00:00:00', '${TZ}')
                   AND min(occurred_at) < toDateTime('${TO} 00:00:00', '${TZ}')) AS c
          INNER JOIN (SELECT DISTINCT contact_id, toString(toStartOfMonth(toTimeZone(occurred_at, '${TZ}'))) AS period
                FROM events WHERE ${RANGE} AND type NOT IN ('message.sent', 'message.delivered', 'message.bounced')) AS a
            ON a.contact_id = c.contact_id
          WHERE a.period >= c.cohort GROUP BY key`,
    figure: (r) =>
      new Map(
        r.rows
          .filter((row) => Number(row.active) > 0)
          .map((row) => [`${row.cohort}|${row.period}`, Number(row.active)]),
      ),
  },
  {
    name: 'customer-touch: total histogram and known contacts',
    report: 'customer-touch',
    params: {},
    raw: `SELECT concat('total|', toString(n)) AS key, count() AS value
          FROM (SELECT contact_id, least(count(), 10) AS n FROM events
                WHERE ${RANGE} AND type = 'message.delivered' AND contact_id != '' GROUP BY contact_id)
          GROUP BY n
          UNION ALL
          SELECT 'total|known' AS key, uniqExact(contact_id) AS value FROM events
          WHERE tenant_id = '${TENANT}' AND occurred_at < toDateTime('${TO} 00:00:00', '${TZ}') AND contact_id != ''`,
    figure: (r) => {
      const total = r.rows.find((row) => row.segment === 'total');
      const out = new Map<string, number>();
      if (!total) return out;
      out.set('total|known', Number(total.known_contacts));
      for (let n = 1; n <= 10; n++)
        out.set(`total|${n}`, Number(total[n === 10 ? 'received_10_or_more' : `received_${n}`]));
      return new Map([...out].filter(([, v]) => v !== 0));
    },
  },
  {
    name: 'customer-touch: push only, per platform class, known per class',
    report: 'customer-touch',
    params: { message_type: 'push' },
    raw: `SELECT concat(p.1, '|', toString(least(p.2, 10))) AS key, count() AS value
          FROM (SELECT contact_no, count() AS total, countIf(platform = 'ios') AS ios, countIf(platform = 'android') AS android
                FROM events
                WHERE ${RANGE} AND type = 'message.delivered' AND channel = 'push' AND contact_no != 0 GROUP BY contact_no)
          ARRAY JOIN [('total', total), ('ios', ios), ('android', android), ('other', toUInt64(total - ios - android))] AS p
          WHERE p.2 > 0
          GROUP BY key
          UNION ALL
          SELECT concat(segment, '|known') AS key, uniqExact(contact_id) AS value
          FROM events
          ARRAY JOIN ['total', multiIf(platform = 'ios', 'ios', platform = 'android', 'android', 'other')] AS segment
          WHERE tenant_id = '${TENANT}' AND occurred_at < toDateTime('${TO} 00:00:00', '${TZ}') AND contact_id != ''
          GROUP BY segment`,
    figure: (r) => {
      const out = new Map<string, number>();
      for (const row of r.rows) {
        if (Number(row.known_contacts) !== 0) out.set(`${row.segment}|known`, Number(row.known_contacts));
        for (let n = 1; n <= 10; n++) {
          const v = Number(row[n === 10 ? 'received_10_or_more' : `received_${n}`]);
          if (v !== 0) out.set(`${row.segment}|${n}`, v);
        }
      }
      return out;
    },
  },
];

async function time<T>(fn: () => Promise<T>): Promise<{ cold: number; warm: number; value: T }> {
  let started = process.hrtime.bigint();
  const value = await fn();
  const cold = seconds(started) * 1000;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    started = process.hrtime.bigint();
    await fn();
    warm.push(seconds(started) * 1000);
  }
  return { cold, warm: median(warm), value };
}

export async function run(args: string[]): Promise<void> {
  const a = parseArgs(args);
  const n = parseCount(a.get('events'), 2_000_000);
  // A large district: a fixed pool of contacts, not one that grows with the events.
  const contacts = parseCount(a.get('contacts'), Math.min(250_000, Math.max(1000, Math.floor(n / 16))));
  // --data DIR: load into DIR once and reuse it on later runs (a 100M load takes ~20 min here).
  const given = a.get('data');
  const dir = given ?? freshDir('reports');
  const reuse = given !== undefined && existsSync(join(given, 'loaded.json'));
  mkdirSync(dir, { recursive: true });
  console.log(
    `reports bench: ${fmtInt(n)} events over ${BENCH_DAYS} days, 4 tenants × ${fmtInt(contacts)} contacts; ` +
      `reports for ${TENANT} in ${TZ}, ${FROM} to ${TO}`,
  );
  console.log(`${loadLine('at the start')}\n`);
  Object.assign(process.env, {
    DATA_DIR: dir,
    DEMO_DATA: 'false',
    ROLLUP_SCHEDULER: 'false',
    KAFKA_BROKERS: '',
    LOG_LEVEL: 'warn',
  });
  delete process.env.CLICKHOUSE_URL;
  let app: INestApplicationContext | null = null;
  try {
    app = await NestFactory.createApplicationContext(BenchReportsModule, { logger: ['error', 'warn'] });
    const ch = app.get(ClickHouseService);
    if (reuse) {
      const loaded = JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as { events: number; contacts: number };
      if (loaded.events !== n || loaded.contacts !== contacts)
        throw new Error(`${dir} holds ${loaded.events} events × ${loaded.contacts} contacts, not ${n} × ${contacts}`);
      console.log(`reusing the ${fmtInt(n)} events loaded in ${dir}\n`);
    } else {
      const started = process.hrtime.bigint();
      await ch.insertSelect('events', EVENT_COLUMNS, correlatedEventsSelect(n, contacts), {
        tag: 'bench:load',
        settings: { insert_deduplication_token: `bench-${Date.now()}` },
      });
      const loadS = seconds(started);
      console.log(
        `loaded ${fmtInt(n)} events in ${loadS.toFixed(1)} s (${fmtInt(n / loadS)} events/s, views included)\n`,
      );
      if (given) writeFileSync(join(dir, 'loaded.json'), JSON.stringify({ events: n, contacts }));
    }
    await ch.insertRows('tenants', [{ tenant_id: TENANT, name: TENANT, time_zone: TZ }], { tag: 'bench:tenant' });
    const job = app.get(RollupJob);
    job.settleMs = 0; // the load is over and every view committed: no need to wait for stragglers
    const buildStarted = process.hrtime.bigint();
    const built = await job.runRange({ tenant: TENANT, force: true });
    const buildS = seconds(buildStarted);
    const days = built.tenants.reduce((k, t) => k + t.days.length, 0);
    const months = built.tenants.reduce((k, t) => k + t.months.length, 0);
    const sendDays = built.tenants.reduce((k, t) => k + t.campaign_days.length, 0);
    const resolvedDays = built.tenants.reduce((k, t) => k + t.resolved_days.length, 0);
    console.log(
      `summaries for ${TENANT} in ${TZ}: ${days} days, ${months} months, ${sendDays} campaign send days and ` +
        `${resolvedDays} resolution days built in ${buildS.toFixed(1)} s`,
    );
    // The forced rebuild left two versions of every summary row; background merges collapse them
    // within minutes in a running warehouse. Merge now so FINAL reads a settled table, as it would.
    const mergeStarted = process.hrtime.bigint();
    for (const summary of SUMMARY_TABLES)
      await ch.command(`OPTIMIZE TABLE ${summary} FINAL`, { tag: 'bench:optimize' });
    console.log(`summary versions merged (OPTIMIZE … FINAL) in ${seconds(mergeStarted).toFixed(1)} s`);
    const tables = ['events', 'rollup_15m', 'message_funnel', ...SUMMARY_TABLES.filter((t) => t !== 'rollup_builds')];
    for (const table of tables) {
      const [c] = await ch.query<{ rows: number | string }>(
        `SELECT count() AS rows FROM ${table} WHERE tenant_id = {tenant:String}`,
        { tag: 'bench:count', params: { tenant: TENANT } },
      );
      console.log(`  ${table}: ${fmtInt(Number(c.rows))} rows for ${TENANT}`);
    }
    console.log('');
    const reports = app.get(ReportService);
    const rows: string[][] = [
      ['report', 'rows', 'cold ms', 'warm ms', 'raw cold ms', 'raw warm ms', 'raw ÷ report', 'same figures'],
    ];
    const results: Record<string, unknown>[] = [];
    // --only TEXT[,TEXT…]: just the cases whose name contains one of them (iterating on one report).
    const only = a.get('only')?.split(',');
    for (const c of CASES.filter((x) => !only || only.some((o) => x.name.includes(o)))) {
      try {
        const r = await time(() => reports.run(c.report, { tenant: TENANT, tz: TZ, from: FROM, to: TO, ...c.params }));
        let raw: { cold: number; warm: number; value: { key: string; value: number | string }[] } | null = null;
        let same = '–';
        if (c.raw) {
          raw = await time(() => ch.query<{ key: string; value: number | string }>(c.raw!, { tag: 'bench:raw' }));
          const want = new Map(raw.value.map((x) => [x.key, Number(x.value)]));
          const got = c.figure(r.value);
          const keys = [...new Set([...want.keys(), ...got.keys()])];
          const diff = keys.filter((k) => (want.get(k) ?? 0) !== (got.get(k) ?? 0));
          same = diff.length === 0 ? 'yes' : `NO: ${diff.length} of ${keys.length} keys differ`;
          for (const k of diff.slice(0, 3))
            console.log(`  ${c.name}: ${k} report ${got.get(k) ?? 0}, raw ${want.get(k) ?? 0}`);
        }
        rows.push([
          c.name,
          fmtInt(r.value.rows.length),
          r.cold.toFixed(1),
          r.warm.toFixed(1),
          raw ? raw.cold.toFixed(1) : '–',
          raw ? raw.warm.toFixed(1) : '–',
          raw ? `${(raw.warm / r.warm).toFixed(1)}×` : '–',
          same,
        ]);
        results.push({
          case: c.name,
          cold_ms: r.cold,
          warm_ms: r.warm,
          raw_cold_ms: raw?.cold,
          raw_warm_ms: raw?.warm,
          same,
        });
      } catch (err) {
        // One failing case must not hide the others' figures.
        console.log(`  ${c.name}: FAILED ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`);
        rows.push([c.name, 'failed', '–', '–', '–', '–', '–', 'no']);
      }
    }
    console.log(table(rows));
    console.log(`\n${loadLine('at the end')}`);
    console.log(
      `\nresults written to ${writeResults('reports', { events: n, contacts, tenant: TENANT, tz: TZ, build_s: buildS, results })}`,
    );
  } finally {
    await app?.close();
    if (a.has('keep') || given) console.log(`data kept in ${dir}`);
    else removeDir(dir);
  }
}
