/**
 * What delivery needs from the configuration (the caller maps AppConfig onto
 * it: SMTP_URL, SMTP_FROM, DELIVERY_MAX_INLINE_BYTES, DELIVERY_ATTEMPTS,
 * DELIVERY_BASE_DELAY_MS). Everything has a default but the SMTP server.
 */
export interface DeliveryOptions {
  /**
   * SMTP server, e.g. `smtp://user:pass@mail.example.org:587` (STARTTLS when
   * offered) or `smtps://…:465`; nodemailer URL options (`?ignoreTLS=true`)
   * work too. Unset: email targets fail with "SMTP is not configured".
   */
  smtpUrl?: string;
  /** Sender of reports and failure notices (default `Tallyhouse <reports@localhost>`). */
  smtpFrom?: string;
  /** Larger files are emailed as the signed link instead of attached, bytes (default 10 MiB). */
  maxAttachmentBytes?: number;
  /** Larger files are announced to webhooks by a JSON body with the link instead of posted, bytes (default 10 MiB). */
  maxWebhookBodyBytes?: number;
  /** Tries per target, the first included (default 4). */
  attempts?: number;
  /** Wait before the first retry, ms, doubled for each next one, ±20% jitter (default 1000: 1 s, 2 s, 4 s). */
  baseDelayMs?: number;
  /** Limit of one webhook request, and of each SMTP step (connect, greeting, silence), ms (default 30 s). */
  timeoutMs?: number;
  /** Folder targets must lie inside one of these, links resolved (default none: no folder target is allowed). */
  folderRoots?: readonly string[];
  /** Never written into unless the target's root is inside them: the data directory, the export directory. */
  protectedDirs?: readonly string[];
  /** Host names, addresses or CIDR blocks webhooks may reach although not public (default none). */
  webhookAllowHosts?: readonly string[];
}

export type ResolvedDeliveryOptions = Required<Omit<DeliveryOptions, 'smtpUrl'>> & Pick<DeliveryOptions, 'smtpUrl'>;

export const DELIVERY_DEFAULTS = {
  smtpFrom: 'Tallyhouse <reports@localhost>',
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxWebhookBodyBytes: 10 * 1024 * 1024,
  attempts: 4,
  baseDelayMs: 1000,
  timeoutMs: 30_000,
  folderRoots: [],
  protectedDirs: [],
  webhookAllowHosts: [],
} as const satisfies Omit<ResolvedDeliveryOptions, 'smtpUrl'>;

/** `options` with the defaults filled in; an empty SMTP URL counts as unset. */
export function resolveDeliveryOptions(options: DeliveryOptions): ResolvedDeliveryOptions {
  const pick = <K extends keyof typeof DELIVERY_DEFAULTS>(key: K) => options[key] ?? DELIVERY_DEFAULTS[key];
  const resolved: ResolvedDeliveryOptions = {
    smtpUrl: options.smtpUrl?.trim() || undefined,
    smtpFrom: pick('smtpFrom'),
    maxAttachmentBytes: pick('maxAttachmentBytes'),
    maxWebhookBodyBytes: pick('maxWebhookBodyBytes'),
    attempts: pick('attempts'),
    baseDelayMs: pick('baseDelayMs'),
    timeoutMs: pick('timeoutMs'),
    folderRoots: pick('folderRoots'),
    protectedDirs: pick('protectedDirs'),
    webhookAllowHosts: pick('webhookAllowHosts'),
  };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new RangeError(`attempts must be a whole number of at least 1, not ${resolved.attempts}`);
  }
  for (const key of ['maxAttachmentBytes', 'maxWebhookBodyBytes', 'baseDelayMs', 'timeoutMs'] as const) {
    const least = key === 'timeoutMs' ? 1 : 0;
    if (!Number.isFinite(resolved[key]) || resolved[key] < least) {
      throw new RangeError(`${key} must be a number of at least ${least}, not ${resolved[key]}`);
    }
  }
  return resolved;
}
