import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { chTime, isoTime } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { latestTick } from './cron-ticks';
import { ABANDONED_AFTER_MS, ScheduleRunner } from './schedule-runner';
import { ScheduleStore } from './schedule.store';

const TICK_MS = 30_000;
/** A tick found this long after it was due is a catch-up (the process was down or busy). */
const CATCH_UP_AFTER_MS = 2 * TICK_MS;

/**
 * Every 30 s: for each enabled schedule, the latest cron tick at or before
 * now; if no run exists for it (or a later one), it runs once. Ticks missed
 * while the process was down collapse into that one run, labelled catch-up.
 * Runs abandoned by a stopped process are tried again first.
 */
@Injectable()
export class ScheduleTicker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ScheduleTicker.name);
  private ticking: Promise<number> | null = null;

  constructor(
    private readonly store: ScheduleStore,
    private readonly runner: ScheduleRunner,
    private readonly config: AppConfig,
    // Absent in the CLI, which runs what it is told and never ticks.
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.SCHEDULES_ENABLED || !this.registry) return;
    const timer = setInterval(() => void this.tick().catch((e) => this.logger.error(e)), TICK_MS);
    timer.unref();
    this.registry.addInterval('schedules', timer);
    void this.tick().catch((e) => this.logger.error(e));
  }

  async onModuleDestroy(): Promise<void> {
    await this.ticking;
  }

  /** One pass; resolves with the runs started. Overlapping calls share the pass in progress. */
  tick(now = new Date()): Promise<number> {
    this.ticking ??= this.pass(now).finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async pass(now: Date): Promise<number> {
    let started = await this.resumeAbandoned(now);
    const last = await this.store.lastTicks();
    for (const schedule of await this.store.schedules(null)) {
      if (!schedule.enabled) continue;
      const tick = latestTick(schedule.cron, schedule.time_zone, now);
      if (!tick) continue;
      const done = last.get(schedule.schedule_id);
      const createdMs = Date.parse(isoTime(schedule.created_at));
      if (tick.getTime() < createdMs || (done && Date.parse(isoTime(done)) >= tick.getTime())) continue;
      const trigger = now.getTime() - tick.getTime() > CATCH_UP_AFTER_MS ? 'catch-up' : 'cron';
      if (await this.runner.run(schedule, tick, trigger)) started++;
    }
    return started;
  }

  /**
   * Runs whose process stopped mid-run are tried again (the next attempt of
   * the same run, only for the targets not yet delivered to), so a crash
   * neither loses a run nor sends it twice; a schedule removed since is failed.
   */
  private async resumeAbandoned(now: Date): Promise<number> {
    let resumed = 0;
    for (const run of await this.store.abandonedRuns(
      new Date(now.getTime() - ABANDONED_AFTER_MS),
      this.runner.runner,
    )) {
      const schedule = await this.store.schedule(run.schedule_id);
      if (schedule?.enabled) {
        if (await this.runner.resume(schedule, run)) resumed++;
        continue;
      }
      await this.store.saveRun({
        ...run,
        status: 'failed',
        error: 'the process running this run stopped, and the schedule was disabled or removed since',
        finished_at: chTime(now),
      });
    }
    return resumed;
  }
}
