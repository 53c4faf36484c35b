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
import { chTime, ExportJobStore, isoTime, type ExportJobRecord } from './export-job.store';
import type { CreateExportDto } from './export-request.dto';
import { ReportFileWriter, type ReportFileProgress } from './report-file-writer';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

/** How often expired files are looked for. */
const EXPIRY_SWEEP_MS = 60_000;

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
 * short by a restart is marked failed, never finished without its password.
 */
@Injectable()
export class ExportJobsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ExportJobsService.name);
  private readonly progress = new Map<string, ReportFileProgress>();
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
    for (const job of await this.store.unfinished()) {
      await this.store.save({
        ...job,
        status: 'failed',
        error: 'the process stopped before the file was written; start the export again',
        finished_at: chTime(new Date()),
      });
    }
    this.sweep = setInterval(() => void this.expire().catch((e) => this.logger.error(e)), EXPIRY_SWEEP_MS);
    this.sweep.unref();
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
    await this.store.save(record);
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
    const partial = join(this.directory, `${id}.partial`);
    let record: ExportJobRecord = { ...queued, status: 'running' };
    this.progress.set(id, { rows: 0, fraction: 0 });
    try {
      await this.store.save(record);
      const file = createWriteStream(partial);
      const summary = await this.writer.write(prepared, query, queued.format, file, (p) => this.progress.set(id, p));
      await finished(file);
      const target = join(this.directory, fileName);
      if (password !== undefined) {
        await encryptXlsxFile(partial, target, password);
        await rm(partial, { force: true });
      } else {
        await rename(partial, target);
      }
      const now = new Date();
      record = {
        ...record,
        status: 'done',
        rows: summary.rows,
        bytes: (await stat(target)).size,
        sha256: await sha256(target),
        file_name: fileName,
        finished_at: chTime(now),
        expires_at: chTime(new Date(now.getTime() + this.config.EXPORT_TTL_HOURS * 3_600_000)),
      };
      await this.store.save(record);
      this.logger.log(`export ${id}: ${summary.rows} rows of ${record.report} as ${record.format}`);
    } catch (err) {
      await rm(partial, { force: true });
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(`export ${id} failed: ${message}`);
      await this.store.save({ ...record, status: 'failed', error: message, finished_at: chTime(new Date()) });
    } finally {
      this.progress.delete(id);
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
