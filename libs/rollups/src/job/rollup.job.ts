import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { HealthService } from '@tallyhouse/observability';
import { CAMPAIGN_FUNNEL } from '../definitions/campaign-funnel';
import type { DaySummaryFamily } from '../definitions/day-summary';
import { RESOLVED_CONVERSATIONS } from '../definitions/resolved-conversations';
import { buildSendDays } from './campaign-summary';
import { typeArrivals, type DayBuild } from './day-builds';
import { buildResolvedDays } from './resolved-summary';
import { RollupBuilder, type PeriodBuild } from './rollup-build';
import { inRange, isStale, RollupPlanner, type TenantZone } from './rollup-plan';
import type { PeriodState, RollupRunSummary, RunRangeOptions, SummaryTable, TenantRollupSummary } from './rollup.types';
import { WatermarkStore } from './rollup-watermarks';

interface LastRun {
  finished_at: string;
  duration_ms: number;
  days: number;
  months: number;
  error?: string;
}

/**
 * The daily/monthly summary job. For each tenant, in its home zone, it builds
 * every closed local day that was never built, was built in another zone, or
 * saw events arrive after it was built (late events: restatement), then every
 * closed month whose days changed, then moves the tenant's watermarks.
 *
 * Safe to run again or concurrently: a build only inserts a newer version of
 * the same summary rows (ReplacingMergeTree(built_at), read with FINAL), and
 * the arrival it records was read before building, so events arriving during
 * a build trigger another build on the next run.
 */
@Injectable()
export class RollupJob implements OnModuleInit {
  /**
   * Arrivals this recent (engine clock) are not trusted as fully visible in
   * rollup_15m yet: one insert commits its views one after another, so the
   * arrival row can be visible a moment before the 15-minute rows. A build
   * records at most readAt - settleMs as its source arrival, so such a day is
   * built once more on the next run.
   */
  settleMs = 30_000;

  private readonly logger = new Logger(RollupJob.name);
  private readonly planner: RollupPlanner;
  private readonly builder: RollupBuilder;
  private readonly watermarks: WatermarkStore;
  private lastRun: LastRun | null = null;

  constructor(
    private readonly ch: ClickHouseService,
    private readonly config: AppConfig,
    private readonly health: HealthService,
  ) {
    this.planner = new RollupPlanner(ch);
    this.builder = new RollupBuilder(ch);
    this.watermarks = new WatermarkStore(ch);
  }

  onModuleInit(): void {
    this.health.register('rollups', async () => ({
      ok: true,
      rollup_15m_last_ingested_at: await this.watermarks.lastIngestedAt(),
      watermarks: await this.watermarks.list(),
      last_run: this.lastRun,
    }));
  }

  async runRange(opts: RunRangeOptions = {}): Promise<RollupRunSummary> {
    if (opts.from && opts.to && !(opts.from < opts.to)) throw new RangeError('from must be before to');
    const started = Date.now();
    const now = opts.now ?? new Date();
    const tenants: TenantRollupSummary[] = [];
    let error: string | undefined;
    try {
      for (const tenant of await this.planner.tenants(opts.tenant)) {
        tenants.push(await this.runTenant(tenant, opts, now.getTime()));
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      const days = tenants.reduce((n, t) => n + t.days.length, 0);
      const months = tenants.reduce((n, t) => n + t.months.length, 0);
      this.lastRun = { finished_at: new Date().toISOString(), duration_ms: Date.now() - started, days, months, error };
      const line = `rollups: ${tenants.length} tenants, ${days} days and ${months} months rebuilt in ${this.lastRun.duration_ms} ms`;
      if (error) this.logger.error(`${line}; failed: ${error}`);
      else this.logger.log(line);
    }
    return {
      started_at: new Date(started).toISOString(),
      finished_at: this.lastRun.finished_at,
      now: now.toISOString(),
      tenants,
    };
  }

  private async runTenant(
    { tenant_id: tenant, time_zone: tz }: TenantZone,
    opts: RunRangeOptions,
    nowMs: number,
  ): Promise<TenantRollupSummary> {
    const plan = await this.planner.plan(tenant, tz, nowMs, this.config.ROLLUP_GRACE_MINUTES);
    const settledMs = plan.readAtMs - this.settleMs;
    const toBuild = (p: PeriodState): PeriodBuild => ({ ...p, sourceArrivalMs: Math.min(p.arrivalMs, settledMs) });
    const wanted = (p: PeriodState, built: Map<string, { time_zone: string; sourceArrivalMs: number }>) =>
      p.closed && inRange(p, opts.from, opts.to) && (opts.force === true || isStale(p, tz, built.get(p.period)));

    // Days.
    const dayBuilds = await this.planner.builds(tenant, 'rollup_daily');
    const days = plan.days.filter((d) => wanted(d, dayBuilds));
    await this.builder.buildDays(tenant, tz, days.map(toBuild));
    const builtDays = new Set(days.map((d) => d.period));
    const staleDays = plan.days.filter(
      (d) => d.closed && !builtDays.has(d.period) && isStale(d, tz, dayBuilds.get(d.period)),
    );

    // Months: built from the daily rows, so only once every day of the month is current.
    const monthBuilds = await this.planner.builds(tenant, 'rollup_monthly');
    const blocked = new Set(staleDays.map((d) => monthOf(d.period)));
    const touched = new Set(days.map((d) => monthOf(d.period)));
    const months = plan.months.filter(
      (m) => !blocked.has(m.period) && (wanted(m, monthBuilds) || (m.closed && touched.has(m.period))),
    );
    await this.builder.buildMonths(tenant, tz, months.map(toBuild));
    const builtMonths = new Set(months.map((m) => m.period));
    const staleMonths = plan.months.filter(
      (m) =>
        m.closed && !builtMonths.has(m.period) && (blocked.has(m.period) || isStale(m, tz, monthBuilds.get(m.period))),
    );

    // Campaign send days and resolution days: every closed day with sends (resolutions), rebuilt
    // when an arrival that can reach it (the family's own rule) is newer than its build.
    const sendDays = await this.buildDays(CAMPAIGN_FUNNEL, buildSendDays, tenant, tz, plan, wanted, toBuild);
    const resolvedDays = await this.buildDays(
      RESOLVED_CONVERSATIONS,
      buildResolvedDays,
      tenant,
      tz,
      plan,
      wanted,
      toBuild,
    );

    const marks: Record<SummaryTable, number> = {
      rollup_daily: Math.min(plan.closedDaysEndMs, ...staleDays.map((d) => d.startMs)),
      rollup_monthly: Math.min(plan.closedMonthsEndMs, ...staleMonths.map((m) => m.startMs)),
    };
    await this.watermarks.save(tenant, tz, marks);
    return {
      tenant_id: tenant,
      time_zone: tz,
      days: days.map((d) => d.period),
      months: months.map((m) => m.period),
      campaign_days: sendDays.map((d) => d.period),
      resolved_days: resolvedDays.map((d) => d.period),
      watermarks: {
        rollup_daily: new Date(marks.rollup_daily).toISOString(),
        rollup_monthly: new Date(marks.rollup_monthly).toISOString(),
      },
    };
  }

  /** The closed days of `family` that have rows and are not current, built; returns them. */
  private async buildDays(
    family: DaySummaryFamily,
    build: (
      ch: ClickHouseService,
      tenant: string,
      tz: string,
      days: readonly DayBuild[],
      builtAtMs: number,
    ) => Promise<void>,
    tenant: string,
    tz: string,
    plan: { days: PeriodState[]; readAtMs: number },
    wanted: (p: PeriodState, built: Map<string, { time_zone: string; sourceArrivalMs: number }>) => boolean,
    toBuild: (p: PeriodState) => PeriodBuild,
  ): Promise<PeriodState[]> {
    const arrivals = await typeArrivals(this.ch, tenant, family.types);
    const rowHours = arrivals.filter((a) => a.type === family.rowType);
    const builds = await this.planner.builds(tenant, family.table);
    const days = plan.days
      .filter((d) => rowHours.some((h) => h.hourMs < d.endMs && h.hourMs + 3_600_000 > d.startMs))
      .map((d) => ({ ...d, arrivalMs: family.arrival(arrivals, d.endMs) }))
      .filter((d) => wanted(d, builds));
    await build(this.ch, tenant, tz, days.map(toBuild), plan.readAtMs);
    return days;
  }
}

function monthOf(day: string): string {
  return `${day.slice(0, 7)}-01`;
}
