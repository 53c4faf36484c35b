import { Module } from '@nestjs/common';
import { StatsController } from './stats/stats.controller';

/** Rollup reads (/v1/stats) and the scheduled daily/monthly summaries. */
@Module({ controllers: [StatsController] })
export class RollupsModule {}
