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

/** A Node connection error (refused, reset, …) of the error itself. */
function isNodeConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_NODE_ERRORS.has(code);
}

/** The connection itself went away (a replica process killed, a socket reset), raw or classified: no session left to drain. */
export function isConnectionLost(err: unknown): boolean {
  return isNodeConnectionError(err) || isNodeConnectionError((err as { cause?: unknown } | null)?.cause);
}

export function classifyError(err: unknown, tag: string): Error {
  if (err instanceof ClickHouseUnavailableError || err instanceof ClickHouseQueryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // The server's errors carry a string code; the embedded engine's may come from its own copy
  // of the client's error class (so no instanceof) or carry a numeric clickhouseCode.
  const engineCode = engineErrorCode(err);
  if (engineCode !== undefined) {
    if (TRANSIENT_CODES.has(engineCode)) return new ClickHouseUnavailableError(message, tag, err);
    const type = err instanceof ClickHouseError ? err.type : (err as { type?: string }).type;
    return new ClickHouseQueryError(message, tag, engineCode, type, err);
  }
  if (isNodeConnectionError(err) || /timeout|socket hang up/i.test(message)) {
    return new ClickHouseUnavailableError(message, tag, err);
  }
  return new ClickHouseQueryError(message, tag, undefined, undefined, err);
}

function engineErrorCode(err: unknown): string | undefined {
  if (err instanceof ClickHouseError) return err.code;
  const e = err as { code?: unknown; clickhouseCode?: unknown; cause?: { clickhouseCode?: unknown } } | null;
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return e.code;
  const numeric = e?.clickhouseCode ?? e?.cause?.clickhouseCode;
  return typeof numeric === 'number' ? String(numeric) : undefined;
}
