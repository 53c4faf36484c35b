import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { AppConfig } from '@tallyhouse/config';
import { ReportParamError, ReportService, type PreparedReport } from '@tallyhouse/reports';
import { encryptXlsxFile } from '../xlsx-encryption';
import type { ExportActor, ExportAuditEntry, ExportFormat, ExportJob } from './export-job';
import { chTime, isoTime } from '@tallyhouse/clickhouse';
import { ExportJobStore, type ExportJobRecord } from './export-job.store';
import type { CreateExportDto } from './export-request.dto';
import { ReportFileWriter, type ReportFileProgress } from './report-file-writer';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

/** How often expired files and abandoned jobs are looked for, and this process's jobs are touched. */
const SWEEP_MS = 30_000;
/** A queued or running job nobody touched for this long lost its process: it is marked failed. */
const ABANDONED_AFTER_MS = 120_000;

export class ExportNotFoundError extends Error {}
export class ExportNotReadyError extends Error {}

export interface ExportFile {
  path: string;
  fileName: string;
  contentType: string;
  bytes: number;
}

/**
 * Export jobs: validated when asked for (a bad parameter is a 400 then, not a
 * failed job later), written to a file under EXPORT_DIR by a small in-process
 * queue, optionally encrypted, hashed, recorded, and deleted when they expire.
 * Passwords are held in memory only until the file is encrypted, so a job cut
 * short by a restart is marked failed, never finished without its password:
 * each process touches its own queued and running jobs every 30 s, and any
 * process marks a job nobody touched for 2 minutes as failed.
 */
@Injectable()
export class ExportJobsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ExportJobsService.name);
  private readonly progress = new Map<string, ReportFileProgress>();
  /** This process's queued and running jobs, as last saved. */
  private readonly mine = new Map<string, ExportJobRecord>();
  private readonly waiting: (() => Promise<void>)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private active = 0;
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly reports: ReportService,
    private readonly writer: ReportFileWriter,
    private readonly store: ExportJobStore,
    private readonly config: AppConfig,
  ) {}

  get directory(): string {
    return this.config.EXPORT_DIR ?? join(this.config.DATA_DIR, 'exports');
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    await this.failAbandoned();
    this.sweep = setInterval(() => void this.housekeeping().catch((e) => this.logger.error(e)), SWEEP_MS);
    this.sweep.unref();
  }

  private async housekeeping(): Promise<void> {
    for (const job of this.mine.values()) {
      await this.save({ ...job, rows: this.progress.get(job.export_id)?.rows ?? job.rows });
    }
    await this.failAbandoned();
    await this.expire();
  }

  /** Jobs whose process stopped (crashed, killed, redeployed) before finishing them. */
  async failAbandoned(now = new Date()): Promise<number> {
    const jobs = await this.store.abandoned(new Date(now.getTime() - ABANDONED_AFTER_MS));
    for (const job of jobs) {
      await this.store.save({
        ...job,
        status: 'failed',
        error: 'the process running this export stopped before the file was written; start the export again',
        finished_at: chTime(now),
      });
    }
    return jobs.length;
  }

  /** Saves a job's state and keeps track of it while it is this process's to finish. */
  private async save(record: ExportJobRecord): Promise<void> {
    if (record.status === 'queued' || record.status === 'running') this.mine.set(record.export_id, record);
    else this.mine.delete(record.export_id);
    await this.store.save(record);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.waiting.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Validates the request and queues the job; resolves with it queued. */
  async create(dto: CreateExportDto, who: ExportActor): Promise<ExportJob> {
    if (dto.password !== undefined && dto.format !== 'xlsx') {
      throw new ReportParamError('password', 'password protection is for xlsx files only');
    }
    const prepared = await this.reports.prepare(dto.report, dto.params);
    const record: ExportJobRecord = {
      export_id: randomUUID(),
      tenant_id: prepared.params.tenant,
      report: prepared.meta.report,
      params: JSON.stringify(dto.params),
      format: dto.format,
      encrypted: dto.password !== undefined,
      reason: dto.reason,
      status: 'queued',
      rows: 0,
      bytes: 0,
      sha256: '',
      file_name: '',
      error: '',
      requested_by: who.actor,
      client_address: who.clientAddress,
      created_at: chTime(new Date()),
      finished_at: null,
      expires_at: null,
    };
    await this.save(record);
    await this.store.audit({ ...this.auditOf(record, 'export'), actor: who.actor, client_address: who.clientAddress });
    this.enqueue(() => this.execute(record, prepared, dto.params, dto.password));
    return this.view(record);
  }

  async get(id: string): Promise<ExportJob> {
    const record = await this.store.get(id);
    if (!record) throw new ExportNotFoundError(`no export ${id}`);
    return this.view(record);
  }

  /** The finished file, recorded in the audit trail as downloaded. */
  async file(id: string, who: ExportActor): Promise<ExportFile> {
    const record = await this.store.get(id);
    if (!record) throw new ExportNotFoundError(`no export ${id}`);
    if (record.status !== 'done') {
      throw new ExportNotReadyError(
        record.status === 'expired'
          ? `export ${id} expired and its file was deleted`
          : `export ${id} is ${record.status}`,
      );
    }
    await this.store.audit({
      ...this.auditOf(record, 'download'),
      actor: who.actor,
      client_address: who.clientAddress,
    });
    return {
      path: join(this.directory, record.file_name),
      fileName: `${record.report}-${record.created_at.slice(0, 10)}.${record.format}`,
      contentType: CONTENT_TYPES[record.format],
      bytes: record.bytes,
    };
  }

  /**
   * Records an export start or download the caller was refused (a role too
   * low, another tenant's job): issue 6 wants refusals in the same trail.
   */
  async refused(
    action: 'export' | 'download',
    who: ExportActor,
    what: { tenant: string; report?: string; exportId?: string; params?: Record<string, unknown> },
    why: string,
  ): Promise<void> {
    await this.store.audit({
      action,
      outcome: 'refused',
      export_id: what.exportId ?? '',
      tenant_id: what.tenant,
      report: what.report ?? '',
      params: what.params ? JSON.stringify(what.params) : '',
      format: '',
      encrypted: false,
      reason: why,
      rows: 0,
      sha256: '',
      actor: who.actor,
      client_address: who.clientAddress,
    });
  }

  /** The tenant a job belongs to, or null when there is no such job. */
  async tenantOf(id: string): Promise<string | null> {
    return (await this.store.get(id))?.tenant_id ?? null;
  }

  history(tenant: string | null, limit = 100): Promise<ExportAuditEntry[]> {
    return this.store.history(tenant, limit);
  }

  /**
   * Streams a report straight into `out` (an HTTP response): first bytes at
   * once, nothing on disk, no password (encryption needs the whole file).
   * Audited like a download, with the row count and hash of what was sent.
   */
  async stream(
    dto: CreateExportDto,
    who: ExportActor,
    start: (contentType: string, fileName: string) => Writable,
  ): Promise<void> {
    if (dto.password !== undefined) {
      throw new ReportParamError('password', 'a password needs an export job: leave out delivery=stream');
    }
    const prepared = await this.reports.prepare(dto.report, dto.params);
    const out = start(CONTENT_TYPES[dto.format], `${prepared.meta.report}.${dto.format}`);
    const hash = createHash('sha256');
    const tap = new PassThrough();
    tap.on('data', (chunk: Buffer) => hash.update(chunk));
    tap.pipe(out);
    const summary = await this.writer.write(prepared, dto.params, dto.format, tap);
    await this.store.audit({
      action: 'stream',
      export_id: '',
      tenant_id: prepared.params.tenant,
      report: prepared.meta.report,
      params: JSON.stringify(dto.params),
      format: dto.format,
      encrypted: false,
      reason: dto.reason,
      rows: summary.rows,
      sha256: hash.digest('hex'),
      actor: who.actor,
      client_address: who.clientAddress,
    });
  }

  /** Deletes the files of expired exports; returns how many. */
  async expire(now = new Date()): Promise<number> {
    const jobs = await this.store.expired(now);
    for (const job of jobs) {
      await rm(join(this.directory, job.file_name), { force: true });
      await this.store.save({ ...job, status: 'expired' });
    }
    return jobs.length;
  }

  private enqueue(run: () => Promise<void>): void {
    this.waiting.push(run);
    this.drain();
  }

  private drain(): void {
    while (this.active < this.config.EXPORT_CONCURRENCY && this.waiting.length > 0) {
      const run = this.waiting.shift()!;
      this.active++;
      const p = run().finally(() => {
        this.active--;
        this.inFlight.delete(p);
        this.drain();
      });
      this.inFlight.add(p);
    }
  }

  private async execute(
    queued: ExportJobRecord,
    prepared: PreparedReport,
    query: Record<string, unknown>,
    password: string | undefined,
  ): Promise<void> {
    const id = queued.export_id;
    const fileName = `${id}.${queued.format}`;
    let record: ExportJobRecord = { ...queued, status: 'running' };
    this.progress.set(id, { rows: 0, fraction: 0 });
    try {
      await this.save(record);
      const target = join(this.directory, fileName);
      const made = await this.produce(prepared, query, queued.format, target, password, (p) =>
        this.progress.set(id, p),
      );
      const now = new Date();
      record = {
        ...record,
        status: 'done',
        rows: made.rows,
        bytes: made.bytes,
        sha256: made.sha256,
        file_name: fileName,
        finished_at: chTime(now),
        expires_at: chTime(new Date(now.getTime() + this.config.EXPORT_TTL_HOURS * 3_600_000)),
      };
      await this.save(record);
      this.logger.log(`export ${id}: ${made.rows} rows of ${record.report} as ${record.format}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(`export ${id} failed: ${message}`);
      await this.save({ ...record, status: 'failed', error: message, finished_at: chTime(new Date()) });
    } finally {
      this.progress.delete(id);
    }
  }

  /**
   * Writes a report to `path` (the CLI's export), recorded in the audit trail
   * like an export job: resolves with the rows, size and hash of the file.
   */
  async writeFile(
    dto: CreateExportDto,
    who: ExportActor,
    path: string,
    onProgress?: (p: ReportFileProgress) => void,
  ): Promise<{ rows: number; bytes: number; sha256: string }> {
    if (dto.password !== undefined && dto.format !== 'xlsx') {
      throw new ReportParamError('password', 'password protection is for xlsx files only');
    }
    const prepared = await this.reports.prepare(dto.report, dto.params);
    const made = await this.produce(prepared, dto.params, dto.format, path, dto.password, onProgress);
    await this.store.audit({
      action: 'export',
      export_id: randomUUID(),
      tenant_id: prepared.params.tenant,
      report: prepared.meta.report,
      params: JSON.stringify(dto.params),
      format: dto.format,
      encrypted: dto.password !== undefined,
      reason: dto.reason,
      rows: made.rows,
      sha256: made.sha256,
      actor: who.actor,
      client_address: who.clientAddress,
    });
    return made;
  }

  /** Writes the file next to `target` and moves it there when complete (encrypted on the way when asked). */
  private async produce(
    prepared: PreparedReport,
    query: Record<string, unknown>,
    format: ExportFormat,
    target: string,
    password: string | undefined,
    onProgress?: (p: ReportFileProgress) => void,
  ): Promise<{ rows: number; bytes: number; sha256: string }> {
    const partial = `${target}.partial`;
    try {
      const file = createWriteStream(partial);
      const summary = await this.writer.write(prepared, query, format, file, onProgress);
      await finished(file);
      if (password !== undefined) {
        await encryptXlsxFile(partial, target, password);
        await rm(partial, { force: true });
      } else {
        await rename(partial, target);
      }
      return { rows: summary.rows, bytes: (await stat(target)).size, sha256: await sha256(target) };
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  private view(r: ExportJobRecord): ExportJob {
    const live = this.progress.get(r.export_id);
    const rows = live?.rows ?? r.rows;
    const percent =
      r.status === 'done'
        ? 100
        : live?.fraction !== null && live?.fraction !== undefined
          ? Math.floor(live.fraction * 100)
          : null;
    return {
      id: r.export_id,
      tenant: r.tenant_id,
      report: r.report,
      params: JSON.parse(r.params) as Record<string, string>,
      format: r.format,
      encrypted: r.encrypted,
      reason: r.reason,
      status: r.status,
      rows,
      percent,
      bytes: r.bytes,
      sha256: r.sha256,
      error: r.error,
      requested_by: r.requested_by,
      created_at: isoTime(r.created_at),
      finished_at: isoTime(r.finished_at),
      expires_at: isoTime(r.expires_at),
      file_url: r.status === 'done' ? `/v1/exports/${r.export_id}/file` : null,
    };
  }

  private auditOf(r: ExportJobRecord, action: 'export' | 'download') {
    return {
      action,
      export_id: r.export_id,
      tenant_id: r.tenant_id,
      report: r.report,
      params: r.params,
      format: r.format,
      encrypted: r.encrypted,
      reason: r.reason,
      rows: r.rows,
      sha256: r.sha256,
    };
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
