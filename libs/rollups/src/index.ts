export { RollupsModule } from './rollups.module';
export { RollupJob } from './job/rollup.job';
export { RollupScheduler, ROLLUP_CRON_JOB } from './job/rollup.scheduler';
export { RollupReader, type CompleteAsOf } from './job/rollup.reader';
export type { Watermark } from './job/rollup-watermarks';
export type { RollupRunSummary, RunRangeOptions, SummaryTable, TenantRollupSummary } from './job/rollup.types';
export { dayCurrent, type DaySummaryFamily, type TypeArrival } from './definitions/day-summary';
export {
  CAMPAIGN_FUNNEL,
  CAMPAIGN_TABLE,
  campaignStepsSql,
  FUNNEL_TYPES,
  GOAL_WINDOW_DAYS,
  STEP_STATES,
  VIEW_WINDOW_DAYS,
} from './definitions/campaign-funnel';
export {
  CONVERSATION_TYPES,
  RESOLVED_CONVERSATIONS,
  RESOLVED_STATE,
  RESOLVED_TABLE,
  resolutionsSql,
} from './definitions/resolved-conversations';
export { typeArrivals } from './job/day-builds';
export {
  ACTIVITY_AGGREGATES,
  HELPED_TYPES,
  PASSIVE_TYPES,
  PROACTIVE_CHANNELS,
  TOUCH_COUNTS,
  TOUCH_TYPE,
} from './job/contact-summaries';
