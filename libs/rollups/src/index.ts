export { RollupsModule } from './rollups.module';
export { RollupJob } from './job/rollup.job';
export { RollupScheduler, ROLLUP_CRON_JOB } from './job/rollup.scheduler';
export { RollupReader, type CompleteAsOf } from './job/rollup.reader';
export type { Watermark } from './job/rollup-watermarks';
export type { RollupRunSummary, RunRangeOptions, SummaryTable, TenantRollupSummary } from './job/rollup.types';
export {
  CAMPAIGN_TABLE,
  campaignDayCurrent,
  FUNNEL_TYPES,
  typeArrivals,
  type TypeArrival,
} from './job/campaign-summary';
export { CONVERSATION_TYPES, RESOLVED_TABLE, resolvedDayCurrent } from './job/resolved-summary';
export {
  ACTIVITY_AGGREGATES,
  HELPED_TYPES,
  PASSIVE_TYPES,
  PROACTIVE_CHANNELS,
  TOUCH_COUNTS,
  TOUCH_TYPE,
} from './job/contact-summaries';
