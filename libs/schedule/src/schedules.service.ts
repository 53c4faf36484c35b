import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { chTime, isoTime } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { isTimeZone, ReportParamError, ReportService } from '@tallyhouse/reports';
import type { CreateScheduleDto } from './create-schedule.dto';
import { cronProblem, nextTick } from './cron-ticks';
import { validateTarget } from './delivery';
import { resolveRelativeRange } from './relative-range';
import { ScheduleRunner } from './schedule-runner';
import { resultsOf, ScheduleStore, targetsOf, type RunRecord, type ScheduleRecord } from './schedule.store';
import type { Schedule, ScheduleRun } from './schedule.types';

export class ScheduleNotFoundError extends Error {}

/** A tenant has as many schedules as SCHEDULES_MAX_PER_TENANT allows: 409. */
export class ScheduleLimitError extends Error {}

/** Creating, listing, running and removing schedules; what the API and the CLI call. */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly store: ScheduleStore,
    private readonly runner: ScheduleRunner,
    private readonly reports: ReportService,
    private readonly config: AppConfig,
  ) {}

  /** Validates everything a run will need now, so a schedule never fails on its first tick for a typo. */
  async create(dto: CreateScheduleDto): Promise<Schedule> {
    const tz = dto.time_zone ?? dto.params.tz ?? 'UTC';
    if (!isTimeZone(tz)) throw new ReportParamError('params.tz', 'params.tz must be an IANA time zone');
    const problem = cronProblem(dto.cron, tz);
    if (problem) {
      throw new ReportParamError('cron', `cron ${problem}`);
    }
    for (const [i, t] of dto.targets.entries()) {
      const wrong = validateTarget(t, i) ?? (await this.runner.delivery.confinement.targetProblem(t, `targets[${i}]`));
      if (wrong) throw new ReportParamError(`targets[${i}]`, wrong);
    }
    if ('from' in dto.params || 'to' in dto.params) {
      throw new ReportParamError('params', 'from and to come from range; leave them out of params');
    }
    const sample = resolveRelativeRange(dto.range, tz, new Date());
    const prepared = await this.reports.prepare(dto.report, { ...dto.params, ...sample, tz: dto.params.tz ?? tz });
    const most = this.config.SCHEDULES_MAX_PER_TENANT;
    if ((await this.store.schedules(prepared.params.tenant)).length >= most) {
      throw new ScheduleLimitError(
        `tenant ${prepared.params.tenant} has ${most} schedules, the most allowed (SCHEDULES_MAX_PER_TENANT): delete one first`,
      );
    }
    const record: ScheduleRecord = {
      schedule_id: randomUUID(),
      tenant_id: prepared.params.tenant,
      name: dto.name,
      report: prepared.meta.report,
      params: JSON.stringify(dto.params),
      range: dto.range,
      cron: dto.cron,
      time_zone: tz,
      format: dto.format,
      targets: JSON.stringify(dto.targets),
      owner_email: dto.owner_email ?? '',
      enabled: dto.enabled,
      deleted: false,
      created_at: chTime(new Date()),
    };
    await this.store.saveSchedule(record);
    return view(record);
  }

  async list(tenant: string | null): Promise<Schedule[]> {
    return (await this.store.schedules(tenant)).map(view);
  }

  async get(id: string): Promise<Schedule> {
    return view(await this.record(id));
  }

  async remove(id: string): Promise<void> {
    await this.store.saveSchedule({ ...(await this.record(id)), deleted: true, enabled: false });
  }

  /** Runs the schedule now for the current moment's range; resolves when the run is recorded. */
  async runNow(id: string): Promise<ScheduleRun> {
    const run = await this.runner.run(await this.record(id), new Date(), 'manual');
    return runView(run!);
  }

  async runs(id: string, limit = 50): Promise<ScheduleRun[]> {
    await this.record(id);
    return (await this.store.runs(id, limit)).map(runView);
  }

  private async record(id: string): Promise<ScheduleRecord> {
    const record = await this.store.schedule(id);
    if (!record) throw new ScheduleNotFoundError(`no schedule ${id}`);
    return record;
  }
}

export function view(r: ScheduleRecord): Schedule {
  return {
    id: r.schedule_id,
    tenant: r.tenant_id,
    name: r.name,
    report: r.report,
    params: JSON.parse(r.params) as Record<string, string>,
    range: r.range,
    cron: r.cron,
    time_zone: r.time_zone,
    format: r.format,
    // Webhook secrets are write-only; credentials in a URL (refused since, but maybe stored before) too.
    targets: targetsOf(r).map((t) =>
      t.type === 'webhook' ? { ...t, url: withoutCredentials(t.url), ...(t.secret ? { secret: '********' } : {}) } : t,
    ),
    owner_email: r.owner_email,
    enabled: r.enabled,
    created_at: isoTime(r.created_at),
    next_run_at: r.enabled ? nextTick(r.cron, r.time_zone, new Date()).toISOString() : null,
  };
}

function withoutCredentials(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.username && !url.password) return raw;
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return raw;
  }
}

export function runView(r: RunRecord): ScheduleRun {
  const finished = isoTime(r.finished_at);
  return {
    id: r.run_id,
    schedule_id: r.schedule_id,
    tenant: r.tenant_id,
    scheduled_for: isoTime(r.scheduled_for),
    trigger: r.trigger,
    status: r.status,
    from: r.range_from,
    to: r.range_to,
    started_at: isoTime(r.started_at),
    finished_at: finished,
    duration_ms: finished ? Date.parse(finished) - Date.parse(isoTime(r.started_at)) : null,
    rows: r.rows,
    bytes: r.bytes,
    sha256: r.sha256,
    targets: resultsOf(r),
    error: r.error,
    attempt: r.attempt,
  };
}
