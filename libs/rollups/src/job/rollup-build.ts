import type { ClickHouseService } from '@tallyhouse/clickhouse';
import { buildContactDays, buildContactMonths } from './contact-summaries';
import type { SummaryTable } from './rollup.types';

const DIMS = ['channel', 'platform', 'campaign_id', 'message_id', 'org_unit', 'group_id', 'agent_id'] as const;
const DIM_LIST = DIMS.join(', ');
const SUMMARY_COLUMNS = (period: 'day' | 'month') =>
  ['tenant_id', 'time_zone', 'type', period, ...DIMS, 'events', 'value', 'contacts', 'built_at'] as const;

/** Most periods one INSERT ... SELECT builds (bounds the size of one statement's work). */
const DAYS_PER_INSERT = 31;
const MONTHS_PER_INSERT = 12;

export interface PeriodBuild {
  /** 'YYYY-MM-DD' (months: the first day). */
  period: string;
  startMs: number;
  endMs: number;
  /** Recorded in rollup_builds as source_arrival_at (epoch ms). */
  sourceArrivalMs: number;
}

/**
 * Writes daily and monthly summaries (rollup_* and, from the same source, the
 * contact-level activity_* and touch_*), then records each build in rollup_builds.
 *
 * Daily rows regroup rollup_15m: each 15-minute UTC bucket lies inside exactly
 * one local day of any zone in use, so grouping by toDate(bucket, tz) is
 * exact. Monthly rows regroup the tenant's current daily rows (FINAL) for the
 * same zone. Every row carries built_at = now64(3): a rebuild inserts a newer
 * version of the same keys and ReplacingMergeTree keeps it.
 */
export class RollupBuilder {
  constructor(private readonly ch: ClickHouseService) {}

  async buildDays(tenant: string, tz: string, days: readonly PeriodBuild[]): Promise<void> {
    for (const chunk of chunks(days, DAYS_PER_INSERT)) {
      const startMs = Math.min(...chunk.map((d) => d.startMs));
      const endMs = Math.max(...chunk.map((d) => d.endMs));
      await this.ch.insertSelect(
        'rollup_daily',
        SUMMARY_COLUMNS('day'),
        `SELECT tenant_id, {tz:String} AS time_zone, type, toDate(bucket, {tz:String}) AS day, ${DIM_LIST},
                sum(events) AS events, sum(value) AS value, groupBitmapMergeState(contacts) AS contacts, now64(3) AS built_at
         FROM rollup_15m
         WHERE tenant_id = {tenant:String}
           AND bucket >= toDateTime({start:UInt32}, 'UTC') AND bucket < toDateTime({end:UInt32}, 'UTC')
           AND toDate(bucket, {tz:String}) IN {days:Array(Date)}
         GROUP BY tenant_id, type, day, ${DIM_LIST}`,
        {
          tag: 'rollups:build-days',
          params: { tenant, tz, start: startMs / 1000, end: endMs / 1000, days: chunk.map((d) => d.period) },
        },
      );
      await buildContactDays(
        this.ch,
        tenant,
        tz,
        chunk.map((d) => d.period),
        startMs,
        endMs,
      );
      await this.record(tenant, tz, 'rollup_daily', chunk);
    }
  }

  async buildMonths(tenant: string, tz: string, months: readonly PeriodBuild[]): Promise<void> {
    for (const chunk of chunks(months, MONTHS_PER_INSERT)) {
      await this.ch.insertSelect(
        'rollup_monthly',
        SUMMARY_COLUMNS('month'),
        `SELECT tenant_id, time_zone, type, toStartOfMonth(day) AS month, ${DIM_LIST},
                sum(events) AS events, sum(value) AS value, groupBitmapMergeState(contacts) AS contacts, now64(3) AS built_at
         FROM rollup_daily FINAL
         WHERE tenant_id = {tenant:String} AND time_zone = {tz:String}
           AND toStartOfMonth(day) IN {months:Array(Date)}
         GROUP BY tenant_id, time_zone, type, month, ${DIM_LIST}`,
        { tag: 'rollups:build-months', params: { tenant, tz, months: chunk.map((m) => m.period) } },
      );
      await buildContactMonths(
        this.ch,
        tenant,
        tz,
        chunk.map((m) => m.period),
      );
      await this.record(tenant, tz, 'rollup_monthly', chunk);
    }
  }

  private async record(
    tenant: string,
    tz: string,
    table: SummaryTable,
    periods: readonly PeriodBuild[],
  ): Promise<void> {
    await this.ch.insertSelect(
      'rollup_builds',
      ['tenant_id', 'table_name', 'period', 'time_zone', 'source_arrival_at', 'built_at'],
      `SELECT {tenant:String}, {table:String}, p.1, {tz:String}, fromUnixTimestamp64Milli(p.2, 'UTC'), now64(3)
       FROM (SELECT arrayJoin(arrayZip({periods:Array(Date)}, {arrivals:Array(Int64)})) AS p)`,
      {
        tag: 'rollups:record-builds',
        params: {
          tenant,
          tz,
          table,
          periods: periods.map((p) => p.period),
          arrivals: periods.map((p) => p.sourceArrivalMs),
        },
      },
    );
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
