import { Module } from '@nestjs/common';
import { RollupJob } from './job/rollup.job';
import { RollupReader } from './job/rollup.reader';
import { RollupScheduler } from './job/rollup.scheduler';
import { StatsController } from './stats/stats.controller';

/** Rollup reads (/v1/stats) and the scheduled daily/monthly summaries. */
@Module({
  controllers: [StatsController],
  providers: [RollupJob, RollupScheduler, RollupReader],
  exports: [RollupJob, RollupScheduler, RollupReader],
})
export class RollupsModule {}
