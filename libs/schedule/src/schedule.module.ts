import { Module } from '@nestjs/common';
import { ExportsModule } from '@tallyhouse/exports';
import { ReportsModule } from '@tallyhouse/reports';
import { ScheduleRunner } from './schedule-runner';
import { ScheduleTicker } from './schedule-ticker';
import { ScheduleStore } from './schedule.store';
import { SchedulesController } from './schedules.controller';
import { SchedulesService } from './schedules.service';

/** Scheduled report delivery (/v1/schedules); needs ScheduleModule.forRoot() in the app for ticking. */
@Module({
  imports: [ReportsModule, ExportsModule],
  controllers: [SchedulesController],
  providers: [ScheduleStore, ScheduleRunner, ScheduleTicker, SchedulesService],
  exports: [SchedulesService, ScheduleTicker, ScheduleRunner],
})
export class ReportSchedulesModule {}
