import { Injectable } from '@nestjs/common';
import { chTime, ClickHouseService } from '@tallyhouse/clickhouse';
import type { DeliveryResult, DeliveryTarget } from './delivery/delivery.types';
import type { RelativeRange, RunStatus, RunTrigger } from './schedule.types';

/** A schedules row. */
export interface ScheduleRecord {
  schedule_id: string;
  tenant_id: string;
  name: string;
  report: string;
  params: string;
  range: RelativeRange;
  cron: string;
  time_zone: string;
  format: 'xlsx' | 'csv';
  targets: string;
  owner_email: string;
  enabled: boolean;
  deleted: boolean;
  created_at: string;
}

/** A schedule_runs row. */
export interface RunRecord {
  run_id: string;
  schedule_id: string;
  tenant_id: string;
  scheduled_for: string;
  trigger: RunTrigger;
  status: RunStatus;
  range_from: string;
  range_to: string;
  started_at: string;
  finished_at: string | null;
  rows: number;
  bytes: number;
  sha256: string;
  file_name: string;
  targets: string;
  error: string;
  runner: string;
  attempt: number;
}

export const targetsOf = (r: ScheduleRecord): DeliveryTarget[] => JSON.parse(r.targets) as DeliveryTarget[];
export const resultsOf = (r: RunRecord): DeliveryResult[] => JSON.parse(r.targets || '[]') as DeliveryResult[];

/** Schedules, their runs and run claims in ClickHouse (instants as UTC 'YYYY-MM-DD hh:mm:ss.sss'). */
@Injectable()
export class ScheduleStore {
  constructor(private readonly ch: ClickHouseService) {}

  async saveSchedule(s: ScheduleRecord): Promise<void> {
    await this.ch.insertRows('schedules', [{ ...s, updated_at: chTime(new Date()) }], { tag: 'schedule:save' });
  }

  async schedule(id: string): Promise<ScheduleRecord | null> {
    const rows = await this.ch.query<ScheduleRecord>(
      `SELECT * EXCEPT updated_at FROM schedules FINAL WHERE schedule_id = {id:String} AND NOT deleted`,
      { tag: 'schedule:get', params: { id }, idempotent: true },
    );
    return rows[0] ? normalizeSchedule(rows[0]) : null;
  }

  async schedules(tenant: string | null): Promise<ScheduleRecord[]> {
    const rows = await this.ch.query<ScheduleRecord>(
      `SELECT * EXCEPT updated_at FROM schedules FINAL
       WHERE NOT deleted AND ({tenant:String} = '' OR tenant_id = {tenant:String})
       ORDER BY tenant_id, name`,
      { tag: 'schedule:list', params: { tenant: tenant ?? '' }, idempotent: true },
    );
    return rows.map(normalizeSchedule);
  }

  async saveRun(r: RunRecord): Promise<void> {
    await this.ch.insertRows('schedule_runs', [{ ...r, updated_at: chTime(new Date()) }], { tag: 'schedule:run' });
  }

  async runs(scheduleId: string, limit: number): Promise<RunRecord[]> {
    const rows = await this.ch.query<RunRecord>(
      `SELECT * EXCEPT updated_at FROM schedule_runs FINAL WHERE schedule_id = {id:String}
       ORDER BY started_at DESC LIMIT {limit:UInt32}`,
      { tag: 'schedule:runs', params: { id: scheduleId, limit }, idempotent: true },
    );
    return rows.map(normalizeRun);
  }

  async run(runId: string): Promise<RunRecord | null> {
    const rows = await this.ch.query<RunRecord>(
      `SELECT * EXCEPT updated_at FROM schedule_runs FINAL WHERE run_id = {id:String}`,
      { tag: 'schedule:run-get', params: { id: runId }, idempotent: true },
    );
    return rows[0] ? normalizeRun(rows[0]) : null;
  }

  /** The latest tick each schedule already has a cron or catch-up run for. */
  async lastTicks(): Promise<Map<string, string>> {
    const rows = await this.ch.query<{ schedule_id: string; last: string }>(
      `SELECT schedule_id, toString(max(scheduled_for)) AS last FROM schedule_runs
       WHERE trigger IN ('cron', 'catch-up') GROUP BY schedule_id`,
      { tag: 'schedule:last-ticks', idempotent: true },
    );
    return new Map(rows.map((r) => [r.schedule_id, r.last]));
  }

  /**
   * Runs still 'running' that their process stopped touching before `before`,
   * or, on the embedded engine (one process owns the data), any not run by `self`.
   */
  async abandonedRuns(before: Date, self: string): Promise<RunRecord[]> {
    const rows = await this.ch.query<RunRecord>(
      `SELECT * EXCEPT updated_at FROM schedule_runs FINAL
       WHERE status = 'running'
         AND (updated_at < {before:DateTime64(3, 'UTC')} OR ({embedded:Bool} AND runner != {self:String}))`,
      {
        tag: 'schedule:abandoned',
        params: { before: chTime(before), embedded: this.ch.engine === 'embedded', self },
        idempotent: true,
      },
    );
    return rows.map(normalizeRun);
  }

  /**
   * Claims a run for `runner`: inserts a claim stamped by the engine's clock,
   * waits `settleMs` for claims racing with it, and reads them back. The
   * earliest claim wins; every process reads the same winner.
   */
  async claim(runId: string, runner: string, settleMs: number): Promise<boolean> {
    await this.ch.insertRows('schedule_claims', [{ run_id: runId, runner }], { tag: 'schedule:claim' });
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
    const [winner] = await this.ch.query<{ runner: string }>(
      `SELECT runner FROM schedule_claims WHERE run_id = {id:String} ORDER BY claimed_at, runner LIMIT 1`,
      { tag: 'schedule:claim-read', params: { id: runId }, idempotent: true },
    );
    return winner?.runner === runner;
  }
}

function normalizeSchedule(r: ScheduleRecord): ScheduleRecord {
  return { ...r, enabled: Boolean(r.enabled), deleted: Boolean(r.deleted) };
}

function normalizeRun(r: RunRecord): RunRecord {
  return { ...r, rows: Number(r.rows), bytes: Number(r.bytes), attempt: Number(r.attempt) };
}
