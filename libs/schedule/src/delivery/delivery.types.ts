/** Where a scheduled report goes. */
export type DeliveryTarget =
  | { type: 'folder'; path: string }
  | { type: 'email'; to: string[]; subject?: string }
  | { type: 'webhook'; url: string; secret?: string };

export type FolderTarget = Extract<DeliveryTarget, { type: 'folder' }>;
export type EmailTarget = Extract<DeliveryTarget, { type: 'email' }>;
export type WebhookTarget = Extract<DeliveryTarget, { type: 'webhook' }>;

/** The file a run produced, ready to deliver. */
export interface DeliveryFile {
  /** Absolute path of the file on disk. */
  path: string;
  /** The name the recipient should see, e.g. 'account-usage-2026-11-01.xlsx'. */
  fileName: string;
  contentType: string;
  bytes: number;
  sha256: string;
  rows: number;
}

/** What the run is, for subjects, bodies, headers and links. */
export interface DeliveryContext {
  scheduleId: string;
  scheduleName: string;
  runId: string;
  report: string;
  /** The tick this run is for (ISO 8601). */
  scheduledFor: string;
  /** A signed, expiring download link for the file (used when it is too large to attach or post). */
  downloadUrl: string;
}

/** The outcome of delivering to one target, after retries. */
export interface DeliveryResult {
  /** A short description of the target, e.g. 'email to a@x.org', 'webhook https://…', 'folder /srv/out'. */
  target: string;
  ok: boolean;
  attempts: number;
  /** How it went out: 'attachment', 'link', 'file', 'body'. */
  mode?: string;
  /** Where the file landed, when the target has a place for it (the folder delivery's path, maybe with ' (2)'). */
  location?: string;
  error?: string;
  /** The tries that failed and were tried again, oldest first (absent when the first try settled it). */
  retries?: DeliveryRetry[];
}

/** One failed try at a target that was tried again. */
export interface DeliveryRetry {
  attempt: number;
  /** When it failed (ISO 8601). */
  at: string;
  error: string;
  /** How long the next try waited. */
  retry_after_ms: number;
}

/** What one successful attempt at a target reports. */
export type DeliveryOutcome = Required<Pick<DeliveryResult, 'mode'>> & Pick<DeliveryResult, 'location'>;
