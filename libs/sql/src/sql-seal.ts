import type { CallSettings } from '@tallyhouse/clickhouse';
import { SqlRefusedError } from './sql-errors';
import { SQL_TABLE_NAMES } from './sql-tables';

/**
 * Table functions that make rows out of nothing (no storage, no file, no
 * network): harmless, and what people use for calendars and test data.
 */
const SAFE_TABLE_FUNCTIONS = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generate_series',
  'generateSeries',
  'values',
]);

/** Functions that reach outside the query's tables: dictionaries, files, other tables' joins, server internals. */
const DENIED_FUNCTION =
  /^(dict[A-Za-z0-9_]*|joinGet[A-Za-z]*|file|hasColumnInTable|getMacro|getServerSetting|getMergeTreeSetting|catboostEvaluate|naiveBayesClassifier|showCertificate|getClientHTTPHeader|filesystem[A-Za-z]*|initialQueryID|queryID)$/i;

/**
 * The user's text as one SELECT: a subquery of ours, so a second statement,
 * FORMAT or INTO OUTFILE are syntax errors, and our SETTINGS clause closes it.
 */
export function wrapUserSql(sql: string): string {
  // One trailing semicolon is how people end a statement; anything after it is a second statement.
  const text = sql.replace(/;\s*$/, '');
  return `SELECT * FROM (\n${text}\n)`;
}

/** Database-qualified names come as db.table, possibly back-quoted. */
function splitName(name: string): { db: string | null; table: string } {
  const parts = name.match(/`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|[^.]+/g) ?? [name];
  const clean = parts.map((p) => p.replace(/^[`"]|[`"]$/g, ''));
  return clean.length >= 2 ? { db: clean[0], table: clean.slice(1).join('.') } : { db: null, table: clean[0] };
}

/** EXPLAIN output lines (the embedded engine quotes each one). */
function explainLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (l.startsWith('"') && l.endsWith('"') ? l.slice(1, -1).replace(/\\(.)/g, '$1') : l));
}

/**
 * Checks the parsed statement exactly as it will run (EXPLAIN AST: the
 * parser's tree, nothing runs): one SELECT at the top, one SETTINGS clause and
 * it is ours (on the outer SELECT: a user's own, even in a subquery, would
 * override our filter), no table functions but the generators, no other
 * database, no dictionary or file functions.
 */
export function checkAst(ast: string, database: string): void {
  const lines = explainLines(ast);
  if (!/^SelectWithUnionQuery/.test(lines[0] ?? '') || !/^ ExpressionList \(children 1\)$/.test(lines[1] ?? '')) {
    throw new SqlRefusedError('the query must be one SELECT', 'NOT_ONE_SELECT');
  }
  let ours = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const [kind, name = ''] = line.split(' ');
    if (kind === 'Set' && lines[i] === '   Set' && !ours) {
      ours = true; // the outer SELECT's SETTINGS: the seal itself
      continue;
    }
    if (kind === 'Set' || kind === 'SetQuery') {
      throw new SqlRefusedError('SETTINGS are not allowed in a query: limits are set for you', 'SETTINGS_NOT_ALLOWED');
    }
    if (
      kind.startsWith('Explain') ||
      (kind.endsWith('Query') && !/^(Select(WithUnion|IntersectExcept)?|TablesInSelect)Query$/.test(kind))
    ) {
      throw new SqlRefusedError(`only SELECT queries are allowed (found ${kind})`, 'NOT_ONE_SELECT');
    }
    if (kind === 'Function') {
      const underTable = lines[i - 1]?.trim().startsWith('TableExpression');
      if (underTable && !SAFE_TABLE_FUNCTIONS.has(name)) {
        throw new SqlRefusedError(
          `table function ${name}() is not allowed: read the documented tables`,
          'TABLE_FUNCTION_NOT_ALLOWED',
        );
      }
      if (DENIED_FUNCTION.test(name)) {
        throw new SqlRefusedError(`function ${name}() is not allowed`, 'FUNCTION_NOT_ALLOWED');
      }
    }
    if (kind === 'TableIdentifier') {
      const { db, table } = splitName(name);
      if (db !== null && db !== database) {
        throw new SqlRefusedError(
          `${db}.${table} is not readable: only the documented tables (GET /v1/sql/tables)`,
          'TABLE_NOT_ALLOWED',
        );
      }
      if (db !== null && !SQL_TABLE_NAMES.has(table)) {
        throw new SqlRefusedError(`${table} is not a documented table (GET /v1/sql/tables)`, 'TABLE_NOT_ALLOWED');
      }
      // Unqualified names may be CTEs: the resolved tree below says what they are.
    }
  }
  if (!ours) throw new SqlRefusedError('the query must be one SELECT', 'NOT_ONE_SELECT');
}

/**
 * Checks the analysed query (EXPLAIN QUERY TREE: names resolved, CTEs and
 * aliases expanded): every table read is a documented table of our database,
 * every table function a generator, no denied function.
 */
export function checkQueryTree(tree: string, database: string): void {
  const lines = explainLines(tree);
  // The settings the engine will run the query with: ours, whole.
  const applied = lines.filter((l) => l.startsWith('  SETTINGS ')).pop() ?? '';
  if (!/\breadonly=1\b/.test(applied) || !applied.includes('additional_table_filters=')) {
    throw new SqlRefusedError('the query must be one SELECT', 'NOT_ONE_SELECT');
  }
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('SETTINGS ') && !raw.startsWith('  SETTINGS ')) {
      // A second layer under checkAst: any SETTINGS but the outer query's (ours).
      throw new SqlRefusedError('SETTINGS are not allowed in a query: limits are set for you', 'SETTINGS_NOT_ALLOWED');
    }
    if (line.startsWith('TABLE id:')) {
      const name = /table_name: (.+?)(?:, [a-z_]+: |$)/.exec(line)?.[1] ?? '';
      const { db, table } = splitName(name);
      // system.one is the engine's own one-row table behind a SELECT without FROM (named, it is refused above).
      const fromless = db === 'system' && table === 'one';
      if (!fromless && (db !== database || !SQL_TABLE_NAMES.has(table))) {
        throw new SqlRefusedError(
          `${name} is not readable: only the documented tables (GET /v1/sql/tables)`,
          'TABLE_NOT_ALLOWED',
        );
      }
    } else if (line.startsWith('TABLE_FUNCTION id:')) {
      const fn = /table_function_name: ([A-Za-z0-9_]+)/.exec(line)?.[1] ?? '';
      if (!SAFE_TABLE_FUNCTIONS.has(fn)) {
        throw new SqlRefusedError(`table function ${fn}() is not allowed`, 'TABLE_FUNCTION_NOT_ALLOWED');
      }
    } else if (line.startsWith('FUNCTION id:')) {
      const fn = /function_name: ([A-Za-z0-9_]+)/.exec(line)?.[1] ?? '';
      if (DENIED_FUNCTION.test(fn))
        throw new SqlRefusedError(`function ${fn}() is not allowed`, 'FUNCTION_NOT_ALLOWED');
    }
  }
}

export interface SqlLimits {
  maxExecutionSeconds: number;
  maxResultRows: number;
  maxResultBytes: number;
  maxMemoryBytes: number;
  maxRowsToRead: number;
}

/**
 * The statement's own SETTINGS (never session settings: on the embedded
 * engine those persist). Limits first, then the tenant filter on every
 * documented table, then allow_ddl=0 and readonly=1 (rendered last: after it
 * the engine refuses to change any setting).
 */
export function sealSettings(tenant: string, limits: SqlLimits): CallSettings {
  const filter = `tenant_id = '${tenant.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const filters: Record<string, string> = {};
  for (const table of SQL_TABLE_NAMES) filters[table] = filter;
  return {
    max_execution_time: limits.maxExecutionSeconds,
    timeout_overflow_mode: 'throw',
    max_result_rows: limits.maxResultRows,
    max_result_bytes: limits.maxResultBytes,
    result_overflow_mode: 'throw',
    max_memory_usage: limits.maxMemoryBytes,
    max_rows_to_read: limits.maxRowsToRead,
    read_overflow_mode: 'throw',
    max_threads: 2,
    additional_table_filters: { map: filters },
    allow_ddl: 0,
    readonly: 1,
  };
}
