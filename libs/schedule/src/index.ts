export { ReportSchedulesModule } from './schedule.module';
export { SchedulesService, ScheduleNotFoundError } from './schedules.service';
export { ScheduleTicker } from './schedule-ticker';
export { ScheduleRunner } from './schedule-runner';
export { CreateScheduleDto } from './create-schedule.dto';
export { resolveRelativeRange } from './relative-range';
export { RELATIVE_RANGES, type RelativeRange, type Schedule, type ScheduleRun } from './schedule.types';
export type { DeliveryTarget } from './delivery/delivery.types';
