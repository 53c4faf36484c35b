import type { DeliveryResult, DeliveryTarget } from './delivery/delivery.types';

/** Ranges a schedule can ask for, resolved in its zone at the tick it runs for. */
export const RELATIVE_RANGES = [
  'yesterday',
  'today',
  'last_7_days',
  'last_30_days',
  'last_full_week',
  'last_full_month',
  'month_to_date',
  'last_full_quarter',
  'last_full_year',
] as const;
export type RelativeRange = (typeof RELATIVE_RANGES)[number];

export interface Schedule {
  id: string;
  tenant: string;
  name: string;
  report: string;
  /** The report's parameters except from and to, which come from `range`. */
  params: Record<string, string>;
  range: RelativeRange;
  cron: string;
  time_zone: string;
  format: 'xlsx' | 'csv';
  targets: DeliveryTarget[];
  /** Told by email when a run fails (optional). */
  owner_email: string;
  enabled: boolean;
  created_at: string;
  /** The next tick (ISO 8601), for people. */
  next_run_at: string | null;
}

export type RunStatus = 'running' | 'delivered' | 'failed';
export type RunTrigger = 'cron' | 'catch-up' | 'manual';

export interface ScheduleRun {
  id: string;
  schedule_id: string;
  tenant: string;
  scheduled_for: string;
  trigger: RunTrigger;
  status: RunStatus;
  from: string;
  to: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  rows: number;
  bytes: number;
  sha256: string;
  targets: DeliveryResult[];
  error: string;
  /** 1, or more when a process running it stopped and another attempt finished it. */
  attempt: number;
}
