/** Summary tables the job keeps, as named in rollup_builds and rollup_watermarks. */
export type SummaryTable = 'rollup_daily' | 'rollup_monthly';

export interface RunRangeOptions {
  /** Only periods that overlap [from, to) are (re)built. Default: every period with data. */
  from?: Date;
  to?: Date;
  /** Only this tenant. */
  tenant?: string;
  /** The instant that decides which periods are closed (default: the current time). */
  now?: Date;
  /** Rebuild the periods in range even when they are up to date (backfills, repairs). */
  force?: boolean;
}

export interface TenantRollupSummary {
  tenant_id: string;
  time_zone: string;
  /** Local days rebuilt in this run, 'YYYY-MM-DD'. */
  days: string[];
  /** Local months rebuilt in this run, 'YYYY-MM-01'. */
  months: string[];
  /** Local send days whose campaign summary (campaign_send_daily) was rebuilt in this run. */
  campaign_days: string[];
  /** Local days whose resolved-conversation summary (resolved_daily) was rebuilt in this run. */
  resolved_days: string[];
  /** Per table: the UTC instant up to which the table is complete (ISO 8601). */
  watermarks: Record<SummaryTable, string>;
}

export interface RollupRunSummary {
  started_at: string;
  finished_at: string;
  /** The instant closedness was judged against. */
  now: string;
  tenants: TenantRollupSummary[];
}

/** A local day (or month) that has events, with what arrived for it. */
export interface PeriodState {
  /** 'YYYY-MM-DD' (months: the first day). */
  period: string;
  /** UTC epoch ms of the local start and end (end exclusive). */
  startMs: number;
  endMs: number;
  /** Latest ingested_at of any event in an hour overlapping the period, epoch ms. */
  arrivalMs: number;
  closed: boolean;
}

/** What rollup_builds says about a period. */
export interface BuildRecord {
  time_zone: string;
  sourceArrivalMs: number;
}
