import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { chTime, isoTime } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { ExportJobsService } from '@tallyhouse/exports';
import { MetricsService } from '@tallyhouse/observability';
import { DeliveryService } from './delivery/delivery.service';
import type { DeliveryContext, DeliveryFile, DeliveryResult } from './delivery/delivery.types';
import { LinkSigner } from './link-signer';
import { resolveRelativeRange } from './relative-range';
import { resultsOf, ScheduleStore, targetsOf, type RunRecord, type ScheduleRecord } from './schedule.store';
import type { RunTrigger } from './schedule.types';

/** One try at a run: a new run (attempt 1) or the next attempt of one whose process died. */
interface Attempt {
  runId: string;
  scheduledFor: Date;
  trigger: RunTrigger;
  attempt: number;
  /** Per target, in order, the result of an earlier attempt that delivered to it (null: deliver now). */
  delivered: (DeliveryResult | null)[];
  /** What happened to earlier attempts, at the start of the run's error text. */
  note: string;
}

const CONTENT_TYPES = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
} as const;

/** Signed links in deliveries stay valid this long. */
const LINK_TTL_MS = 7 * 86_400_000;
/** A running run touches its row this often; one untouched for ABANDONED_AFTER_MS lost its process. */
const HEARTBEAT_MS = 30_000;
export const ABANDONED_AFTER_MS = 5 * 60_000;

/** DELIVERY_FOLDER_ROOTS as absolute paths, or DATA_DIR/deliveries. */
export function deliveryFolderRoots(config: AppConfig): string[] {
  const listed = (config.DELIVERY_FOLDER_ROOTS ?? '').split(',').map((r) => r.trim());
  const roots = listed.filter((r) => r !== '');
  return roots.length ? roots.map((r) => resolve(r)) : [resolve(config.DATA_DIR, 'deliveries')];
}

/**
 * Runs one schedule for one tick: claims the run (so no two processes send
 * it), writes the report file through the exports library (audited as
 * `schedule:<id>`), delivers it to every target with retries, and records
 * the run with its timings, rows, each target's outcome and the error. A run
 * that fails is visible in the API and on /metrics, and its owner is told.
 */
@Injectable()
export class ScheduleRunner {
  private readonly logger = new Logger(ScheduleRunner.name);
  /** This process, as claims and runs name it. */
  readonly runner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Wait for racing claims (the engine's clock orders them); tests on one process set 0. */
  claimSettleMs = 1000;
  readonly links: LinkSigner;
  readonly delivery: DeliveryService;

  constructor(
    private readonly store: ScheduleStore,
    private readonly exportsService: ExportJobsService,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.links = new LinkSigner(config.LINK_SIGNING_SECRET, config.DATA_DIR);
    const roots = deliveryFolderRoots(config);
    // The default root is the warehouse's own: made here so a first folder target can be checked against it.
    if (!config.DELIVERY_FOLDER_ROOTS) mkdirSync(roots[0], { recursive: true });
    this.delivery = new DeliveryService({
      smtpUrl: config.SMTP_URL,
      smtpFrom: config.SMTP_FROM,
      maxAttachmentBytes: config.DELIVERY_MAX_INLINE_BYTES,
      maxWebhookBodyBytes: config.DELIVERY_MAX_INLINE_BYTES,
      attempts: config.DELIVERY_ATTEMPTS,
      baseDelayMs: config.DELIVERY_BASE_DELAY_MS,
      folderRoots: roots,
      protectedDirs: [config.DATA_DIR, exportsService.directory],
      webhookAllowHosts: config.WEBHOOK_ALLOW_HOSTS.split(','),
    });
  }

  get directory(): string {
    return join(this.exportsService.directory, 'schedules');
  }

  /** Runs `schedule` for the tick `scheduledFor`; null when another process has this run. */
  async run(schedule: ScheduleRecord, scheduledFor: Date, trigger: RunTrigger): Promise<RunRecord | null> {
    const runId =
      trigger === 'manual'
        ? `${schedule.schedule_id}:manual:${randomUUID()}`
        : `${schedule.schedule_id}:${scheduledFor.toISOString()}`;
    return this.attempt(schedule, { runId, scheduledFor, trigger, attempt: 1, delivered: [], note: '' });
  }

  /**
   * Tries a run again whose process stopped mid-run: the same run id, the
   * next attempt, and only the targets it had not delivered to yet (each
   * target's outcome is recorded as soon as it is known). Null when another
   * process took this attempt.
   */
  async resume(schedule: ScheduleRecord, abandoned: RunRecord): Promise<RunRecord | null> {
    // Results are saved in target order, one per target as it finishes.
    const delivered = resultsOf(abandoned).map((r) => (r.ok ? r : null));
    const note = `attempt ${abandoned.attempt} stopped with its process (${abandoned.runner}, last seen running); `;
    return this.attempt(schedule, {
      runId: abandoned.run_id,
      scheduledFor: new Date(isoTime(abandoned.scheduled_for)),
      trigger: abandoned.trigger,
      attempt: abandoned.attempt + 1,
      delivered,
      note,
    });
  }

  private async attempt(schedule: ScheduleRecord, a: Attempt): Promise<RunRecord | null> {
    const settle = a.trigger === 'manual' && a.attempt === 1 ? 0 : this.claimSettleMs;
    if (!(await this.store.claim(`${a.runId}#${a.attempt}`, this.runner, settle))) {
      this.logger.log(`run ${a.runId} (attempt ${a.attempt}) is another process's`);
      return null;
    }
    const range = resolveRelativeRange(schedule.range, schedule.time_zone, a.scheduledFor);
    let record: RunRecord = {
      run_id: a.runId,
      schedule_id: schedule.schedule_id,
      tenant_id: schedule.tenant_id,
      scheduled_for: chTime(a.scheduledFor),
      trigger: a.trigger,
      status: 'running',
      range_from: range.from,
      range_to: range.to,
      started_at: chTime(new Date()),
      finished_at: null,
      rows: 0,
      bytes: 0,
      sha256: '',
      file_name: '',
      targets: JSON.stringify(a.delivered.filter((d) => d !== null)),
      error: a.note,
      runner: this.runner,
      attempt: a.attempt,
    };
    await this.store.saveRun(record);
    const heartbeat = setInterval(() => void this.store.saveRun(record).catch(() => undefined), HEARTBEAT_MS);
    heartbeat.unref();
    try {
      record = await this.produceAndDeliver(schedule, record, range, a.delivered, (r) => (record = r));
    } catch (err) {
      record = { ...record, status: 'failed', error: a.note + (err instanceof Error ? err.message : String(err)) };
    } finally {
      clearInterval(heartbeat);
    }
    record = { ...record, finished_at: chTime(new Date()) };
    await this.store.saveRun(record);
    this.metrics.scheduleRuns.inc({ status: record.status });
    this.metrics.scheduleFailing.set({ schedule: schedule.schedule_id }, record.status === 'failed' ? 1 : 0);
    if (record.status === 'failed') {
      this.logger.error(`schedule ${schedule.name} (${schedule.schedule_id}) run ${a.runId} failed: ${record.error}`);
      if (schedule.owner_email) await this.notifyOwner(schedule, record);
    }
    return record;
  }

  /**
   * Writes the file and delivers it to each target not yet delivered to,
   * saving the run after every target so a process that dies mid-run leaves
   * a record of what already went out.
   */
  private async produceAndDeliver(
    schedule: ScheduleRecord,
    record: RunRecord,
    range: { from: string; to: string },
    delivered: (DeliveryResult | null)[],
    progress: (r: RunRecord) => void,
  ): Promise<RunRecord> {
    await mkdir(this.directory, { recursive: true });
    const fileName = `${schedule.report}-${range.from}.${schedule.format}`;
    const path = join(this.directory, `${record.run_id.replace(/[^A-Za-z0-9-]/g, '_')}.${schedule.format}`);
    const params: Record<string, string> = {
      tz: schedule.time_zone,
      ...(JSON.parse(schedule.params) as Record<string, string>),
      tenant: schedule.tenant_id,
      ...range,
    };
    const made = await this.exportsService.writeFile(
      { report: schedule.report, params, format: schedule.format, reason: `schedule: ${schedule.name}` },
      { actor: `schedule:${schedule.schedule_id}`, clientAddress: this.runner },
      path,
    );
    record = { ...record, rows: made.rows, bytes: made.bytes, sha256: made.sha256, file_name: path };
    progress(record);
    const file: DeliveryFile = { path, fileName, contentType: CONTENT_TYPES[schedule.format], ...made };
    const ctx = this.context(schedule, record);
    const results: DeliveryResult[] = [];
    for (const [i, target] of targetsOf(schedule).entries()) {
      const done = delivered[i] ?? undefined;
      const result = done ?? (await this.delivery.deliver(target, file, ctx));
      if (!done) this.metrics.scheduleDeliveries.inc({ target: target.type, outcome: result.ok ? 'ok' : 'failed' });
      results.push(result);
      record = { ...record, targets: JSON.stringify(results) };
      progress(record);
      await this.store.saveRun(record);
    }
    const failed = results.filter((r) => !r.ok);
    return {
      ...record,
      status: failed.length ? 'failed' : 'delivered',
      error: record.error + failed.map((r) => `${r.target}: ${r.error ?? 'failed'}`).join('; '),
    };
  }

  private context(schedule: ScheduleRecord, record: RunRecord): DeliveryContext {
    const link = this.links.sign(
      `/v1/schedules/runs/${encodeURIComponent(record.run_id)}/file`,
      new Date(Date.now() + LINK_TTL_MS),
    );
    return {
      scheduleId: schedule.schedule_id,
      scheduleName: schedule.name,
      runId: record.run_id,
      report: schedule.report,
      scheduledFor: isoTime(record.scheduled_for),
      downloadUrl: `${this.config.PUBLIC_URL.replace(/\/$/, '')}${link}`,
    };
  }

  private async notifyOwner(schedule: ScheduleRecord, record: RunRecord): Promise<void> {
    try {
      await this.delivery.notifyFailure(schedule.owner_email, this.context(schedule, record), record.error);
    } catch (err) {
      this.logger.warn(
        `failure notice to ${schedule.owner_email} not sent: ${err instanceof Error ? err.message : err}`,
      );
    }
  }
}
