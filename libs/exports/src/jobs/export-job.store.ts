import { Injectable } from '@nestjs/common';
import { chTime, ClickHouseService, isoTime } from '@tallyhouse/clickhouse';
import type { ExportAuditEntry, ExportFormat, ExportStatus } from './export-job';

/** An export_jobs row: the job's latest state (ReplacingMergeTree(updated_at)). */
export interface ExportJobRecord {
  export_id: string;
  tenant_id: string;
  report: string;
  params: string;
  format: ExportFormat;
  encrypted: boolean;
  reason: string;
  status: ExportStatus;
  rows: number;
  bytes: number;
  sha256: string;
  file_name: string;
  error: string;
  requested_by: string;
  client_address: string;
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
}

type AuditRow = Omit<ExportAuditEntry, 'at' | 'outcome'> & { outcome?: ExportAuditEntry['outcome'] };

/** Export jobs and the audit trail in ClickHouse; instants as 'YYYY-MM-DD hh:mm:ss.sss' UTC. */
@Injectable()
export class ExportJobStore {
  constructor(private readonly ch: ClickHouseService) {}

  async save(job: ExportJobRecord): Promise<void> {
    await this.ch.insertRows('export_jobs', [{ ...job, updated_at: chTime(new Date()) }], { tag: 'exports:save' });
  }

  async get(id: string): Promise<ExportJobRecord | null> {
    const rows = await this.ch.query<ExportJobRecord>(
      `SELECT * EXCEPT updated_at FROM export_jobs FINAL WHERE export_id = {id:String}`,
      { tag: 'exports:get', params: { id }, idempotent: true },
    );
    return rows[0] ? normalize(rows[0]) : null;
  }

  /** Jobs whose files should be gone by `now`. */
  async expired(now: Date): Promise<ExportJobRecord[]> {
    const rows = await this.ch.query<ExportJobRecord>(
      `SELECT * EXCEPT updated_at FROM export_jobs FINAL
       WHERE status = 'done' AND expires_at IS NOT NULL AND expires_at <= {now:DateTime64(3, 'UTC')}`,
      { tag: 'exports:expired', params: { now: chTime(now) }, idempotent: true },
    );
    return rows.map(normalize);
  }

  /** Jobs queued or running whose process stopped touching them before `before` (it died or was stopped). */
  async abandoned(before: Date): Promise<ExportJobRecord[]> {
    const rows = await this.ch.query<ExportJobRecord>(
      `SELECT * EXCEPT updated_at FROM export_jobs FINAL
       WHERE status IN ('queued', 'running') AND updated_at < {before:DateTime64(3, 'UTC')}`,
      { tag: 'exports:abandoned', params: { before: chTime(before) }, idempotent: true },
    );
    return rows.map(normalize);
  }

  async audit(entry: AuditRow): Promise<void> {
    await this.ch.insertRows('export_audit', [entry], { tag: 'exports:audit' });
  }

  async history(tenant: string | null, limit: number): Promise<ExportAuditEntry[]> {
    const rows = await this.ch.query<ExportAuditEntry>(
      `SELECT toString(at) AS at, action, export_id, tenant_id, report, params, format, encrypted, reason, rows,
              sha256, actor, client_address, outcome
       FROM export_audit
       WHERE {tenant:String} = '' OR tenant_id = {tenant:String}
       ORDER BY at DESC LIMIT {limit:UInt32}`,
      { tag: 'exports:history', params: { tenant: tenant ?? '', limit }, idempotent: true },
    );
    return rows.map((r) => ({ ...r, at: isoTime(r.at), rows: Number(r.rows), encrypted: Boolean(r.encrypted) }));
  }
}

function normalize(r: ExportJobRecord): ExportJobRecord {
  return { ...r, rows: Number(r.rows), bytes: Number(r.bytes), encrypted: Boolean(r.encrypted) };
}
