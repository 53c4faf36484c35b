// Response shapes of the public API, as the page reads them.

export type Role = 'admin' | 'manager' | 'analyst' | 'viewer' | 'ingest';

/** GET /v1/auth/me */
export interface Me {
  key_prefix: string;
  role: Role;
  tenant: string | null;
  name: string;
}

export interface Tenant {
  id: string;
  name: string;
  time_zone: string;
}

export interface ReportParameter {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean';
  required: boolean;
  description?: string;
  enum?: (string | number)[];
  default?: string | number;
}

/** One entry of GET /v1/reports */
export interface ReportInfo {
  name: string;
  title: string;
  description: string;
  reference: string;
  group_by: string[];
  parameters: ReportParameter[];
  path: string;
}

export interface ReportCatalog {
  reports: ReportInfo[];
}

export type ColumnType = 'string' | 'integer' | 'number' | 'percent' | 'date' | 'datetime';
export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export interface ReportColumn {
  name: string;
  type: ColumnType;
  description: string;
}

/** GET /v1/reports/{name} */
export interface ReportResult {
  report: string;
  title: string;
  time_zone: string;
  from: string;
  to: string;
  params: Record<string, unknown>;
  columns: ReportColumn[];
  rows: Row[];
}

export type ExportStatus = 'queued' | 'running' | 'done' | 'failed' | 'expired';

/** POST /v1/exports, GET /v1/exports/{id} */
export interface ExportJob {
  id: string;
  tenant: string;
  report: string;
  format: 'xlsx' | 'csv';
  encrypted: boolean;
  status: ExportStatus;
  rows: number;
  percent: number | null;
  error: string;
  file_url: string | null;
}

export interface ExportAuditEntry {
  at: string;
  action: 'export' | 'download' | 'stream';
  export_id: string;
  tenant_id: string;
  report: string;
  params: string;
  format: string;
  encrypted: boolean;
  reason: string;
  rows: number;
  actor: string;
  client_address: string;
}

/** POST /v1/sql with format json */
export interface SqlResult {
  meta: { name: string; type: string }[];
  rows: Row[];
  rows_count: number;
  elapsed_ms: number;
  /** The instant the data is complete up to (the embedded engine's snapshot), or null: read live. */
  data_as_of: string | null;
  truncated: boolean;
}

/** GET /v1/sql/tables */
export interface SqlTables {
  tables: { name: string; description: string; columns: { name: string; type: string }[] }[];
}

export interface DeliveryTarget {
  type: 'folder' | 'email' | 'webhook';
  path?: string;
  to?: string[];
  url?: string;
}

export interface Schedule {
  id: string;
  tenant: string;
  name: string;
  report: string;
  params: Record<string, string>;
  range: string;
  cron: string;
  time_zone: string;
  format: 'xlsx' | 'csv';
  targets: DeliveryTarget[];
  enabled: boolean;
  next_run_at: string | null;
}

export interface ScheduleRun {
  id: string;
  schedule_id: string;
  scheduled_for: string;
  trigger: 'cron' | 'catch-up' | 'manual';
  status: 'running' | 'delivered' | 'failed';
  from: string;
  to: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  rows: number;
  bytes: number;
  error: string;
}

/** GET /v1/dead-letters */
export interface DeadLettersSummary {
  total: number;
  reasons: { source: string; field: string; reason: string; count: number; last_at: string; sample: string }[];
}

/** GET /health: each part reports ok and what else it knows. */
export interface Health {
  ok: boolean;
  checks: Record<string, { ok: boolean; [detail: string]: unknown }>;
}

/** GET /v1/stats */
export interface Stats {
  from: string;
  to: string;
  rows: { tenant_id: string; type: string; events: number; contacts: number }[];
}

/** The `kafka` part of /health, when this process consumes Kafka. */
export interface KafkaHealth {
  ok: boolean;
  /** off, connecting, joining (a rebalance) or consuming. */
  state: string;
  /** 'reachable', or why not. */
  broker: string;
  topic: string;
  group: string;
  /** null while the broker does not answer: never a lag that could not be read. */
  lag: number | null;
  partitions: { partition: number; committed: number; end: number; lag: number }[];
  /** Partitions with messages that stored none for KAFKA_STALL_SECONDS. */
  stalled: {
    partition: number;
    first: number | null;
    last: number | null;
    since: string;
    seconds: number;
    attempts: number;
    last_error: string | null;
  }[];
  messages_per_second: number;
  dead_letters_since_start: Record<string, number>;
  last_stored_at: string | null;
  last_error: string | null;
}
