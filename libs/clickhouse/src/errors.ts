import { ClickHouseError } from '@clickhouse/client';

/** The engine could not be reached or was overloaded: worth retrying. */
export class ClickHouseUnavailableError extends Error {
  constructor(
    message: string,
    readonly tag: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ClickHouseUnavailableError';
  }
}

/** The engine refused the statement (syntax, types, limits): retrying will not help. */
export class ClickHouseQueryError extends Error {
  constructor(
    message: string,
    readonly tag: string,
    readonly code: string | undefined,
    readonly type: string | undefined,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ClickHouseQueryError';
  }
}

// Server-side codes that mean "try again": overload, network, shutdown.
const TRANSIENT_CODES = new Set(['159', '202', '203', '209', '210', '236', '242', '252', '319', '394', '425']);
const TRANSIENT_NODE_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

export function classifyError(err: unknown, tag: string): Error {
  if (err instanceof ClickHouseUnavailableError || err instanceof ClickHouseQueryError) return err;
  if (err instanceof ClickHouseError) {
    if (TRANSIENT_CODES.has(err.code)) return new ClickHouseUnavailableError(err.message, tag, err);
    return new ClickHouseQueryError(err.message, tag, err.code, err.type, err);
  }
  const code = (err as { code?: string } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if ((code && TRANSIENT_NODE_ERRORS.has(code)) || /timeout|socket hang up/i.test(message)) {
    return new ClickHouseUnavailableError(message, tag, err);
  }
  // The embedded engine reports its own errors with a numeric clickhouseCode.
  const chCode = (err as { clickhouseCode?: number } | null)?.clickhouseCode;
  return new ClickHouseQueryError(message, tag, chCode ? String(chCode) : undefined, undefined, err);
}
