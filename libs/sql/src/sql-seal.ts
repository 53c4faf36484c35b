import type { CallSettings } from '@tallyhouse/clickhouse';
import { SqlRefusedError, SqlSyntaxError } from './sql-errors';
import { explainTree, type ExplainNode } from './explain-tree';
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

/**
 * Functions that reach outside the query's own rows, by name and alias as
 * written (the parser's tree shows what was typed, so aliases are listed too):
 * files, dictionaries and joins of other tables; the server, the process and
 * the session (host, version, query ids, settings, users, addresses); network
 * calls (the ai* functions); the engine's internal __ functions.
 */
export const DENIED_FUNCTION = new RegExp(
  '^(' +
    [
      // files, dictionaries, other tables, models loaded from paths
      'file',
      'dict[a-z0-9_]*',
      'joinget[a-z]*',
      'hascolumnintable',
      'catboostevaluate',
      'naivebayes[a-z]*',
      'region[a-z]*',
      'generateserialid',
      // network
      'ai(classify|embed|extract|generate|translate)',
      // the host and the process
      'hostname',
      'fqdn',
      'fullhostname',
      'version',
      'revision',
      'buildid',
      'uptime',
      'serveruuid',
      'getoskernelversion',
      'tcpport',
      'getserverport',
      'displayname',
      'shardnum',
      'shardcount',
      'zookeepersessionuptime',
      'filesystem[a-z]*',
      'showcertificate',
      'tid',
      'logtrace',
      'chdb',
      'hasthreadfuzzer',
      'servertimezone',
      'addresstosymbol',
      'addresstoline',
      'addresstolinewithinlines',
      'demangle',
      // settings, macros, the session and the query
      'getmacro',
      'getserversetting',
      'getmergetreesetting',
      'getsetting',
      'getsettingordefault',
      'getmaxtablenamelengthfordatabase',
      'currentqueryid',
      'current_query_id',
      'initialqueryid',
      'initial_query_id',
      'queryid',
      'query_id',
      'initialquerystarttime',
      'initial_query_start_time',
      'currentuser',
      'current_user',
      'session_user',
      'user',
      'authenticateduser',
      'authuser',
      'currentprofiles',
      'currentroles',
      'enabledprofiles',
      'enabledroles',
      'defaultroles',
      'defaultprofiles',
      'connectionid',
      'connection_id',
      'getclienthttpheader',
      'transactionid',
      'transactionlatestsnapshot',
      'transactionoldestsnapshot',
      // the engine's internal functions
      '__[a-z0-9_]*',
    ].join('|') +
    ')$',
  'i',
);

/**
 * The MergeTree virtual columns: _part and _part_offset tell how many rows of
 * other tenants share a part with the caller's, so none of them is readable.
 */
const VIRTUAL_COLUMN =
  /^_(part|part_index|part_uuid|part_offset|part_starting_offset|part_data_version|part_granule_offset|partition_id|partition_value|sample_factor|row_exists|block_number|block_offset|disk_name|table|database|shard_num|path|file|size|time|etag|data_version|distance|queue_[a-z_]+)$/i;

/** Functions whose second argument may name a table: `x IN t`. */
const IN_FUNCTIONS = /^(global)?(not)?(null)?in(ignoreset)?$/i;

/** What the checks need to know of the database besides the query. */
export interface SealScope {
  /** The database the documented tables live in. */
  database: string;
  /** Every other table and view of that database (api_keys, the query log, staging, views, …). */
  hiddenTables: ReadonlySet<string>;
}

/**
 * The user's text as one SELECT: a subquery of ours, so FORMAT, INTO OUTFILE
 * or a SETTINGS clause of its own cannot apply to the whole, and our SETTINGS
 * clause closes it. That it is one statement is checked before (parseCheck).
 */
export function wrapUserSql(sql: string): string {
  // One trailing semicolon is how people end a statement; anything after it is a second statement.
  const text = sql.replace(/;\s*$/, '');
  return `SELECT * FROM (\n${text}\n)`;
}

/** What the text itself must be, before the engine sees it as SQL at all. */
export function checkText(sql: string, maxChars: number): void {
  if (sql.trim() === '') throw new SqlRefusedError('sql is empty', 'EMPTY_QUERY');
  if (sql.length > maxChars) {
    throw new SqlRefusedError(
      `the query is ${sql.length} characters; the limit is ${maxChars} (SQL_MAX_QUERY_CHARS)`,
      'QUERY_TOO_LONG',
    );
  }
  // A NUL ends a C string: what the parser checks and what a C caller would run could differ.
  if (sql.includes('\0')) throw new SqlSyntaxError('sql must not contain NUL characters');
}

/**
 * The engine's parser on the text as a value (a query parameter, never SQL):
 * the user's text alone and the statement that will run must each be exactly
 * one statement (formatQuerySingleLine throws "Multi-statements are not
 * allowed" otherwise; the OrNull form gives NULL). Also lists the database's
 * tables, for the name checks. Nothing in this call can run the user's text.
 */
export const PARSE_CHECK_SQL = `SELECT
  formatQuerySingleLineOrNull({text:String}) AS text,
  formatQuerySingleLineOrNull({statement:String}) AS statement`;

/** The database's tables: those not documented are refused by name (read from the main engine, not a replica). */
export const TABLE_LIST_SQL = 'SELECT groupArray(name) AS tables FROM system.tables WHERE database = {database:String}';

/** The same parser, for its message when the text is not one statement. */
export const PARSE_MESSAGE_SQL = 'SELECT formatQuerySingleLine({text:String}) AS text';

export interface ParseCheckRow {
  text: string | null;
  statement: string | null;
}

/** Refuses what the parse check found; returns the scope for the tree checks. */
export function checkParse(row: ParseCheckRow, database: string, tables: readonly string[]): SealScope {
  if (row.text === null) throw new Error('checkParse needs the parser message for a text that does not parse');
  const first = /^\(*\s*([A-Za-z]+)/.exec(row.text)?.[1]?.toUpperCase() ?? '';
  if (first !== 'SELECT' && first !== 'WITH') {
    throw new SqlRefusedError(`only SELECT queries are allowed (found ${first || 'no statement'})`, 'NOT_ONE_SELECT');
  }
  if (row.statement === null) {
    // One statement alone, but not as our subquery: it closes our parenthesis, or adds FORMAT / INTO OUTFILE / SETTINGS.
    throw new SqlRefusedError(
      'the query must be one SELECT without FORMAT, INTO OUTFILE or a second statement',
      'NOT_ONE_SELECT',
    );
  }
  const hiddenTables = new Set(tables.filter((t) => !SQL_TABLE_NAMES.has(t)));
  return { database, hiddenTables };
}

/** A parser message as a refusal: several statements are NOT_ONE_SELECT, the rest SYNTAX_ERROR. */
export function parseRefusal(message: string): SqlRefusedError {
  const clean = message
    .replace(/^Code: \d+\. DB::Exception: /, '')
    .replace(/:? In scope SELECT formatQuerySingleLine[\s\S]*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (/Multi-statements are not allowed/i.test(clean)) {
    return new SqlRefusedError(`the query must be one SELECT statement, not several: ${clean}`, 'NOT_ONE_SELECT');
  }
  return new SqlSyntaxError(clean);
}

/** Database-qualified names come as db.table, possibly back-quoted. */
function splitName(name: string): { db: string | null; table: string } {
  const parts = name.match(/`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|[^.]+/g) ?? [name];
  const clean = parts.map((p) => p.replace(/^[`"]|[`"]$/g, ''));
  return clean.length >= 2 ? { db: clean[0], table: clean.slice(1).join('.') } : { db: null, table: clean[0] };
}

/**
 * A table name as written: qualified, it must be a documented table of our
 * database; unqualified, it must not be one of the database's other tables
 * (anything else unqualified is a CTE, or unknown to the engine).
 */
function checkTableName(written: string, scope: SealScope): void {
  const { db, table } = splitName(written.replace(/ \(alias .*\)$/, ''));
  const refused = db !== null ? db !== scope.database || !SQL_TABLE_NAMES.has(table) : scope.hiddenTables.has(table);
  if (refused) {
    throw new SqlRefusedError(
      `${db ? `${db}.` : ''}${table} is not readable: only the documented tables (GET /v1/sql/tables)`,
      'TABLE_NOT_ALLOWED',
    );
  }
}

function checkFunctionName(name: string): void {
  if (DENIED_FUNCTION.test(name))
    throw new SqlRefusedError(`function ${name}() is not allowed`, 'FUNCTION_NOT_ALLOWED');
}

function checkColumnName(name: string): void {
  const last = splitName(name).table.split('.').pop() ?? '';
  if (VIRTUAL_COLUMN.test(last)) {
    throw new SqlRefusedError(`the virtual column ${last} is not readable`, 'COLUMN_NOT_ALLOWED');
  }
}

/**
 * Checks the parsed statement exactly as it will run (EXPLAIN AST: the
 * parser's tree, nothing is evaluated): one SELECT at the top, one SETTINGS
 * clause and it is ours (on the outer SELECT: a user's own, even in a
 * subquery, would override our filter), no table function but the
 * generators, no table but documented ones (also as `x IN table`), no denied
 * function, no virtual column. This runs before the analyser, which
 * evaluates constant expressions and scalar subqueries.
 */
export function checkAst(ast: string, scope: SealScope): void {
  const root = explainTree(ast);
  const top = root.children[0];
  if (!top || top.kind !== 'SelectWithUnionQuery' || top.children[0]?.text !== 'ExpressionList (children 1)') {
    throw new SqlRefusedError('the query must be one SELECT', 'NOT_ONE_SELECT');
  }
  let ours = false;
  const visit = (node: ExplainNode, parent: ExplainNode | null): void => {
    const { kind, name } = node;
    if (kind === 'Set' && node.depth === 3 && !ours) {
      ours = true; // the outer SELECT's SETTINGS: the seal itself
    } else if (kind === 'Set' || kind === 'SetQuery') {
      throw new SqlRefusedError('SETTINGS are not allowed in a query: limits are set for you', 'SETTINGS_NOT_ALLOWED');
    }
    if (
      kind.startsWith('Explain') ||
      (kind.endsWith('Query') && !/^(Select(WithUnion|IntersectExcept)?|TablesInSelect)Query$/.test(kind))
    ) {
      throw new SqlRefusedError(`only SELECT queries are allowed (found ${kind})`, 'NOT_ONE_SELECT');
    }
    if (kind === 'Function') {
      if (parent?.kind === 'TableExpression' && !SAFE_TABLE_FUNCTIONS.has(name)) {
        throw new SqlRefusedError(
          `table function ${name}() is not allowed: read the documented tables`,
          'TABLE_FUNCTION_NOT_ALLOWED',
        );
      }
      checkFunctionName(name);
      if (IN_FUNCTIONS.test(name)) {
        const operand = node.children[0]?.children[1];
        if (operand?.kind === 'Identifier') checkTableName(operand.name, scope);
      }
    }
    if (kind === 'TableIdentifier') checkTableName(name, scope);
    if (kind === 'Identifier') checkColumnName(name);
    for (const child of node.children) visit(child, node);
  };
  visit(top, null);
  if (!ours) throw new SqlRefusedError('the query must be one SELECT', 'NOT_ONE_SELECT');
}

/**
 * Checks the analysed query (EXPLAIN QUERY TREE: names resolved, CTEs and
 * aliases expanded): every table read is a documented table of our database,
 * every table function a generator, no denied function, no column of a
 * table that is not a real column, and the settings the engine will apply
 * are ours.
 */
export function checkQueryTree(tree: string, database: string): void {
  const lines = tree.split('\n').filter((l) => l.trim() !== '');
  // The settings the engine will run the query with: ours, whole.
  const applied = lines.filter((l) => l.startsWith('  SETTINGS ')).pop() ?? '';
  if (!/\breadonly=1\b/.test(applied) || !applied.includes('additional_table_filters=')) {
    throw new SqlRefusedError('the query must be one SELECT', 'NOT_ONE_SELECT');
  }
  const tables = new Set<string>();
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
      tables.add(/^TABLE id: (\d+)/.exec(line)?.[1] ?? '');
    } else if (line.startsWith('TABLE_FUNCTION id:')) {
      const fn = /table_function_name: ([A-Za-z0-9_]+)/.exec(line)?.[1] ?? '';
      if (!SAFE_TABLE_FUNCTIONS.has(fn)) {
        throw new SqlRefusedError(`table function ${fn}() is not allowed`, 'TABLE_FUNCTION_NOT_ALLOWED');
      }
    } else if (line.startsWith('FUNCTION id:')) {
      checkFunctionName(/function_name: ([A-Za-z0-9_]+)/.exec(line)?.[1] ?? '');
    }
  }
  // A column read from a table (not from a subquery's projection) whose name is a virtual column's.
  for (const raw of lines) {
    const column = /^COLUMN id: \d+, column_name: ([^,]+), .*source_id: (\d+)/.exec(raw.trim());
    // None of our tables has a real column starting with _.
    if (column && tables.has(column[2]) && column[1].startsWith('_')) {
      throw new SqlRefusedError(`the virtual column ${column[1]} is not readable`, 'COLUMN_NOT_ALLOWED');
    }
  }
}

export interface SqlLimits {
  maxExecutionSeconds: number;
  maxResultRows: number;
  maxResultBytes: number;
  maxMemoryBytes: number;
  maxRowsToRead: number;
  /** Threads per query: 1 on the embedded replica, which shares the machine's cores with the main engine. */
  maxThreads: number;
}

/**
 * The statement's own SETTINGS (never session settings: on the embedded
 * engine those persist). Limits first, then the tenant filter on every
 * documented table, then allow_ddl=0 and readonly=1 (rendered last: after it
 * the engine refuses to change any setting). Every call made for a user's
 * text carries it, the checks included.
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
    max_threads: limits.maxThreads,
    additional_table_filters: { map: filters },
    allow_ddl: 0,
    readonly: 1,
  };
}
