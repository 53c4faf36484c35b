import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '@tallyhouse/config';
import { CronJob } from 'cron';
import { RollupJob } from './rollup.job';

export const ROLLUP_CRON_JOB = 'rollups';

/**
 * Runs RollupJob on ROLLUP_CRON when ROLLUP_SCHEDULER is on. A tick that
 * comes while the previous run is still going is skipped (never two runs in
 * one process; runs in other processes are safe, see RollupJob).
 */
@Injectable()
export class RollupScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RollupScheduler.name);
  private running: Promise<void> | null = null;
  private job: CronJob | null = null;

  constructor(
    private readonly rollups: RollupJob,
    private readonly config: AppConfig,
    @Optional() private readonly registry?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.ROLLUP_SCHEDULER) return;
    if (!this.registry) {
      this.logger.warn(
        'ROLLUP_SCHEDULER is on but ScheduleModule.forRoot() is not imported; rollups are not scheduled',
      );
      return;
    }
    this.job = CronJob.from({
      cronTime: this.config.ROLLUP_CRON,
      onTick: () => this.tick(),
      start: false,
      timeZone: 'UTC',
    });
    this.registry.addCronJob(ROLLUP_CRON_JOB, this.job);
    this.job.start();
    this.logger.log(`rollup job scheduled: ${this.config.ROLLUP_CRON} (UTC)`);
  }

  /** One scheduled run; resolves when it is done (or at once when a run is in progress). */
  tick(): Promise<void> {
    if (this.running) {
      this.logger.warn('rollup run still in progress; tick skipped');
      return Promise.resolve();
    }
    this.running = this.rollups
      .runRange({})
      .then(
        () => undefined,
        // RollupJob logged the failure; the next tick tries again.
        () => undefined,
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.job) {
      await this.job.stop();
      if (this.registry?.doesExist('cron', ROLLUP_CRON_JOB)) this.registry.deleteCronJob(ROLLUP_CRON_JOB);
      this.job = null;
    }
    // Let a run in progress finish before the engine closes.
    if (this.running) await this.running;
  }
}
