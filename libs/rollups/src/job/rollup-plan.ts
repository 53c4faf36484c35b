import type { ClickHouseService } from '@tallyhouse/clickhouse';
import type { BuildRecord, PeriodState } from './rollup.types';

/**
 * Reads what the job needs to decide what to build: tenants and their home
 * zones, the local days and months that have events (with their latest
 * arrival), what was built before, and where the closed periods end.
 *
 * Local boundaries are computed by the engine (toDate(x, tz), toDateTime(day, tz)),
 * so DST days (23/25 h), +05:45 and 30-minute DST shifts need no code here.
 * A local day's first instant is toDateTime(day, tz): where midnight does not
 * exist (a DST jump at 00:00) that is the first instant that does.
 */

export interface TenantZone {
  tenant_id: string;
  time_zone: string;
}

interface DayRow {
  day: string;
  start_s: number;
  end_s: number;
  month: string;
  month_start_s: number;
  month_end_s: number;
  arrival_ms: string;
}

interface BuildRow {
  period: string;
  time_zone: string;
  source_ms: string;
}

interface BoundsRow {
  day_end_s: number;
  month_end_s: number;
  engine_now_ms: string;
}

export interface TenantPlan {
  days: PeriodState[];
  months: PeriodState[];
  /** UTC epoch ms where the latest closed local day / month ends. */
  closedDaysEndMs: number;
  closedMonthsEndMs: number;
  /** The engine's clock when the plan was read (same clock as ingested_at). */
  readAtMs: number;
}

export class RollupPlanner {
  constructor(private readonly ch: ClickHouseService) {}

  /** Tenants with events, each with its home zone ('UTC' when it has no tenants row). */
  async tenants(only?: string): Promise<TenantZone[]> {
    return this.ch.query<TenantZone>(
      `SELECT a.tenant_id AS tenant_id, if(t.time_zone = '', 'UTC', t.time_zone) AS time_zone
       FROM (SELECT DISTINCT toString(tenant_id) AS tenant_id FROM event_arrivals
             ${only !== undefined ? 'WHERE tenant_id = {tenant:String}' : ''}) AS a
       LEFT JOIN (SELECT tenant_id, argMax(time_zone, updated_at) AS time_zone FROM tenants GROUP BY tenant_id) AS t
         ON t.tenant_id = a.tenant_id
       ORDER BY tenant_id`,
      { tag: 'rollups:tenants', params: only !== undefined ? { tenant: only } : undefined, idempotent: true },
    );
  }

  /** Every local day and month of the tenant that has events, and the closed-period bounds. */
  async plan(tenant: string, tz: string, nowMs: number, graceMinutes: number): Promise<TenantPlan> {
    const params = { tenant, tz };
    // An hour overlaps at most two local days (zones with :30/:45 offsets).
    const rows = await this.ch.query<DayRow>(
      `SELECT toString(d) AS day,
              toUnixTimestamp(toDateTime(d, {tz:String})) AS start_s,
              toUnixTimestamp(toDateTime(d + 1, {tz:String})) AS end_s,
              toString(toStartOfMonth(d)) AS month,
              toUnixTimestamp(toDateTime(toStartOfMonth(d), {tz:String})) AS month_start_s,
              toUnixTimestamp(toDateTime(toStartOfMonth(d) + toIntervalMonth(1), {tz:String})) AS month_end_s,
              toString(toUnixTimestamp64Milli(max(last_ingested_at))) AS arrival_ms
       FROM (
         SELECT arrayJoin(arrayDistinct([toDate(hour, {tz:String}), toDate(hour + 3599, {tz:String})])) AS d, last_ingested_at
         FROM event_arrivals WHERE tenant_id = {tenant:String}
       )
       GROUP BY d
       ORDER BY d`,
      { tag: 'rollups:plan-days', params, idempotent: true },
    );
    const cutMs = nowMs - graceMinutes * 60_000;
    const [bounds] = await this.ch.query<BoundsRow>(
      `WITH toDate(fromUnixTimestamp64Milli({cut:Int64}, 'UTC'), {tz:String}) AS open_day
       SELECT toUnixTimestamp(toDateTime(open_day, {tz:String})) AS day_end_s,
              toUnixTimestamp(toDateTime(toStartOfMonth(open_day), {tz:String})) AS month_end_s,
              toString(toUnixTimestamp64Milli(now64(3))) AS engine_now_ms`,
      { tag: 'rollups:plan-bounds', params: { tz, cut: cutMs }, idempotent: true },
    );
    const graceMs = graceMinutes * 60_000;
    const days: PeriodState[] = rows.map((r) => ({
      period: r.day,
      startMs: Number(r.start_s) * 1000,
      endMs: Number(r.end_s) * 1000,
      arrivalMs: Number(r.arrival_ms),
      closed: Number(r.end_s) * 1000 + graceMs <= nowMs,
    }));
    const months = new Map<string, PeriodState>();
    for (const r of rows) {
      const arrivalMs = Number(r.arrival_ms);
      const m = months.get(r.month);
      if (m) {
        m.arrivalMs = Math.max(m.arrivalMs, arrivalMs);
        continue;
      }
      const endMs = Number(r.month_end_s) * 1000;
      months.set(r.month, {
        period: r.month,
        startMs: Number(r.month_start_s) * 1000,
        endMs,
        arrivalMs,
        closed: endMs + graceMs <= nowMs,
      });
    }
    return {
      days,
      months: [...months.values()],
      closedDaysEndMs: Number(bounds.day_end_s) * 1000,
      closedMonthsEndMs: Number(bounds.month_end_s) * 1000,
      readAtMs: Number(bounds.engine_now_ms),
    };
  }

  /** What rollup_builds records for the tenant's periods of one table. */
  /** A summary table's builds of the tenant: rollup_daily / rollup_monthly, or a day family's table. */
  async builds(tenant: string, table: string): Promise<Map<string, BuildRecord>> {
    const rows = await this.ch.query<BuildRow>(
      `SELECT toString(period) AS period, time_zone, toString(toUnixTimestamp64Milli(source_arrival_at)) AS source_ms
       FROM rollup_builds FINAL
       WHERE tenant_id = {tenant:String} AND table_name = {table:String}`,
      { tag: 'rollups:builds', params: { tenant, table }, idempotent: true },
    );
    return new Map(rows.map((r) => [r.period, { time_zone: r.time_zone, sourceArrivalMs: Number(r.source_ms) }]));
  }
}

/** A period needs building when it was never built, was built in another zone, or saw arrivals since. */
export function isStale(p: PeriodState, tz: string, built: BuildRecord | undefined): boolean {
  return !built || built.time_zone !== tz || p.arrivalMs > built.sourceArrivalMs;
}

/** Whether [startMs, endMs) overlaps the requested range. */
export function inRange(p: PeriodState, from?: Date, to?: Date): boolean {
  return (from === undefined || p.endMs > from.getTime()) && (to === undefined || p.startMs < to.getTime());
}
