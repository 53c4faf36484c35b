import { ClickHouseUnavailableError } from '@tallyhouse/clickhouse';
/** A query refused before it ran (or by the engine's own seal): 400 with a code saying which rule. */
export class SqlRefusedError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SqlRefusedError';
  }
}

/** Text the engine's parser could not read (logged as an error, not a refusal: nothing was against the rules). */
export class SqlSyntaxError extends SqlRefusedError {
  constructor(message: string) {
    super(message, 'SYNTAX_ERROR');
    this.name = 'SqlSyntaxError';
  }
}

/** Too many queries at once (of one tenant, or in all): 429 with Retry-After. */
export class SqlBusyError extends Error {
  constructor(
    message: string,
    /** Seconds until an admitted query has ended for sure (each ends by its time limit). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'SqlBusyError';
  }
}

export type SqlOutcome = 'ok' | 'refused' | 'error' | 'limit' | 'timeout' | 'busy';

/**
 * How far a query got: refused at the edge (no engine call), by the parser
 * (the text as a value), by the parser's tree, by the analyser's tree, or it
 * reached the run (the only stage at which the user's statement executes).
 */
export type SqlStage = 'edge' | 'parse' | 'ast' | 'tree' | 'run';

export interface EngineFailure {
  status: 400 | 408 | 422 | 503;
  outcome: SqlOutcome;
  code: string;
  message: string;
}

/** Engine error names for limits: the query was valid but asked too much. */
const LIMITS = new Set([
  'TOO_MANY_ROWS',
  'TOO_MANY_ROWS_OR_BYTES',
  'TOO_MANY_BYTES',
  'MEMORY_LIMIT_EXCEEDED',
  'TOO_SLOW',
  'QUERY_IS_TOO_LARGE',
  'TOO_BIG_AST',
  'TOO_DEEP_AST',
  'TOO_DEEP_RECURSION',
]);
/**
 * Engine error numbers by name, for the ones the endpoint tells apart: the
 * embedded engine's client guesses the name from the message text, which for
 * a syntax error is the token it failed at ("TABLE").
 */
const NAMES: Record<string, string> = {
  '46': 'UNKNOWN_FUNCTION',
  '47': 'UNKNOWN_IDENTIFIER',
  '60': 'UNKNOWN_TABLE',
  '62': 'SYNTAX_ERROR',
  '81': 'UNKNOWN_DATABASE',
  '158': 'TOO_MANY_ROWS',
  '159': 'TIMEOUT_EXCEEDED',
  '160': 'TOO_SLOW',
  '164': 'READONLY',
  '167': 'TOO_DEEP_AST',
  '168': 'TOO_BIG_AST',
  '241': 'MEMORY_LIMIT_EXCEEDED',
  '307': 'TOO_MANY_BYTES',
  '396': 'TOO_MANY_ROWS_OR_BYTES',
  '497': 'ACCESS_DENIED',
};
const REFUSALS = new Set(['READONLY', 'ACCESS_DENIED', 'QUERY_IS_PROHIBITED', 'UNKNOWN_TABLE', 'UNKNOWN_DATABASE']);

/**
 * What the engine said, as the SQL endpoint answers it: 408 for the time
 * limit, 422 for other limits, 400 for the rest, with the engine's message and
 * error name. The wrapper's typed errors keep the engine's error as cause.
 */
export function engineFailure(err: unknown): EngineFailure {
  const e = err as { message?: string; code?: unknown; type?: unknown; cause?: { code?: unknown; type?: unknown } };
  const type = stringOf(e.type) ?? stringOf(e.cause?.type);
  const number = stringOf(e.code) ?? stringOf(e.cause?.code);
  const code = (number !== undefined ? NAMES[number] : undefined) ?? type ?? number ?? 'UNKNOWN';
  const message = cleanMessage(e.message ?? String(err));
  if (err instanceof ClickHouseUnavailableError && !/^\d+$/.test(number ?? '')) {
    // Not the query's fault (the engine or the replica process went away): try again.
    return { status: 503, outcome: 'error', code: 'ENGINE_UNAVAILABLE', message };
  }
  if (code === 'TIMEOUT_EXCEEDED' || number === '159') return { status: 408, outcome: 'timeout', code, message };
  if (LIMITS.has(code)) return { status: 422, outcome: 'limit', code, message };
  return { status: 400, outcome: REFUSALS.has(code) ? 'refused' : 'error', code, message };
}

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The engine's message without the wrapper's tag prefix and without our wrapper's settings echoed back. */
function cleanMessage(message: string): string {
  return message.replace(/\s*SETTINGS max_execution_time[\s\S]*$/, '').trim();
}
