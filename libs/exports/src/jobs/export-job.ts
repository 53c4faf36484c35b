export const EXPORT_FORMATS = ['xlsx', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type ExportStatus = 'queued' | 'running' | 'done' | 'failed' | 'expired';

/** Who asked, from where: recorded with every export and download. */
export interface ExportActor {
  /** The caller's identity: an API key's prefix and name, or cli:USER on the CLI. */
  actor: string;
  clientAddress: string;
}

/** An export job as the API shows it. */
export interface ExportJob {
  id: string;
  tenant: string;
  report: string;
  params: Record<string, string>;
  format: ExportFormat;
  encrypted: boolean;
  reason: string;
  status: ExportStatus;
  /** Data rows written so far (all sheets). */
  rows: number;
  /** 0-100; null while the total is unknown. */
  percent: number | null;
  bytes: number;
  sha256: string;
  error: string;
  requested_by: string;
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
  /** Where to download the file once done. */
  file_url: string | null;
}

/** One line of the audit trail: an export started or a file downloaded. */
export interface ExportAuditEntry {
  at: string;
  action: 'export' | 'download' | 'stream';
  /** 'ok', or 'refused' when the key was not allowed to (reason then says why). */
  outcome: 'ok' | 'refused';
  export_id: string;
  tenant_id: string;
  report: string;
  params: string;
  format: string;
  encrypted: boolean;
  reason: string;
  rows: number;
  sha256: string;
  actor: string;
  client_address: string;
}
