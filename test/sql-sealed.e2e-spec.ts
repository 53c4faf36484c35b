import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RollupJob } from '@tallyhouse/rollups';
import { messageEvents, type TestEvent } from './support/events';
import { waitFor } from './support/wait';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Ad hoc SQL as an attacker with a valid analyst key of tenant A meets it,
 * against data of tenants A and B: each query is refused, or answers with A's
 * rows only. Nothing changes; afterwards ingest, reports and an unfiltered
 * admin count work as before (no setting leaked into the shared session).
 */
const A = 'tenant-a';
const B = 'tenant-b';
const A_EVENTS = 60;
const B_EVENTS = 40;

let wh: TestWarehouse;
let analystA: string;

/** Events whose every text names their tenant, so a row of B is visible in any result. */
function eventsOf(tenant: string, n: number): TestEvent[] {
  const tag = tenant === A ? 'A' : 'B';
  return messageEvents(n, { tenant }).map((e, i) => ({
    ...e,
    contact_id: `${tag}-contact-${i % 20}`,
    campaign_id: `${tag}-campaign`,
  }));
}

beforeAll(async () => {
  wh = await startTestWarehouse({
    SQL_MAX_EXECUTION_SECONDS: '2',
    SQL_MAX_RESULT_ROWS: '1000',
    SQL_MAX_MEMORY_BYTES: String(256 * 1024 * 1024),
    SQL_MAX_ROWS_TO_READ: '50000000',
    SQL_MAX_QUERY_CHARS: '20000',
    SQL_MAX_CONCURRENT_PER_TENANT: '2',
  });
  for (const id of [A, B]) await wh.http().post('/v1/tenants').send({ id, name: id }).expect(201);
  const sent = await wh
    .http()
    .post('/v1/events')
    .send([...eventsOf(A, A_EVENTS), ...eventsOf(B, B_EVENTS)]);
  expect(sent.body.accepted).toBe(A_EVENTS + B_EVENTS);
  // One dead letter per tenant (an unknown type), and the daily/monthly summaries built for both.
  const bad = [A, B].map((tenant) => ({ ...eventsOf(tenant, 1)[0], type: tenant === A ? 'A-bogus' : 'B-bogus' }));
  expect((await wh.http().post('/v1/events').send(bad)).body.rejected).toBe(2);
  await wh.app.get(RollupJob).runRange();
  analystA = await wh.createKey('analyst', A);
}, 120_000);

afterAll(async () => wh?.close());

const sql = (query: string, key = analystA, extra: object = {}) =>
  wh
    .http(key)
    .post('/v1/sql')
    .send({ sql: query, ...extra });

type Expectation =
  | { refused: RegExp; status?: number } // the error code (ours or the engine's)
  | { rows: (rows: Record<string, unknown>[]) => void };

const count = (n: number) => (rows: Record<string, unknown>[]) =>
  expect(rows.map((r) => Number(Object.values(r)[0]))).toEqual([n]);
const LONG_WHERE = Array.from({ length: 2000 }, (_, i) => `contact_id != 'x${i}'`).join(' AND ');

const CASES: [string, string, Expectation][] = [
  // DDL and DML: not a SELECT, so not even a valid subquery; and readonly=1 beneath.
  ['CREATE TABLE', 'CREATE TABLE x (a UInt8) ENGINE = Memory', { refused: /NOT_ONE_SELECT/ }],
  ['DROP TABLE', 'DROP TABLE events', { refused: /NOT_ONE_SELECT/ }],
  ['ALTER DELETE', 'ALTER TABLE events DELETE WHERE 1', { refused: /NOT_ONE_SELECT/ }],
  ['INSERT SELECT', 'INSERT INTO events SELECT * FROM events', { refused: /NOT_ONE_SELECT/ }],
  ['TRUNCATE', 'TRUNCATE TABLE events', { refused: /NOT_ONE_SELECT/ }],
  ['OPTIMIZE', 'OPTIMIZE TABLE events FINAL', { refused: /NOT_ONE_SELECT/ }],
  // SET and SETTINGS, top level and in a subquery.
  ['SET', 'SET readonly = 0', { refused: /NOT_ONE_SELECT/ }],
  ['SETTINGS readonly=0', 'SELECT count() FROM events SETTINGS readonly = 0', { refused: /SETTINGS_NOT_ALLOWED/ }],
  [
    'SETTINGS filter override in a subquery',
    "SELECT count() FROM (SELECT * FROM events SETTINGS additional_table_filters = {'events': '1 = 1'})",
    { refused: /SETTINGS_NOT_ALLOWED/ },
  ],
  [
    'SETTINGS smuggled by closing our parenthesis',
    "SELECT 1 AS x) SETTINGS additional_table_filters = {'events': '1'} --",
    { refused: /SYNTAX_ERROR|SETTINGS_NOT_ALLOWED|NOT_ONE_SELECT/ },
  ],
  [
    'UNION smuggled by closing our parenthesis',
    'SELECT 1 AS x) UNION ALL (SELECT count() FROM system.tables',
    { refused: /NOT_ONE_SELECT|TABLE_NOT_ALLOWED|SYNTAX_ERROR/ },
  ],
  // Every table function that reads storage, files or the network.
  ['merge()', "SELECT count() FROM merge('default', '^events$')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['file()', "SELECT * FROM file('/etc/passwd', 'LineAsString')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['url()', "SELECT * FROM url('http://127.0.0.1:1/x', 'CSV', 'a String')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  [
    'remote()',
    "SELECT count() FROM remote('127.0.0.1', 'default', 'events')",
    { refused: /TABLE_FUNCTION_NOT_ALLOWED/ },
  ],
  ['s3()', "SELECT * FROM s3('http://127.0.0.1:1/b/k.csv')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['input()', "SELECT * FROM input('a String')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  [
    'cluster()',
    "SELECT count() FROM cluster('default', 'default', 'events')",
    { refused: /TABLE_FUNCTION_NOT_ALLOWED/ },
  ],
  ['view()', 'SELECT count() FROM view(SELECT * FROM events)', { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['loop()', 'SELECT * FROM loop(events) LIMIT 1', { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['executable()', "SELECT * FROM executable('id', 'TSV', 'a String')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['generators are fine', 'SELECT number FROM numbers(3)', { rows: (r) => expect(r).toHaveLength(3) }],
  // Dictionaries.
  ['dictionary()', "SELECT * FROM dictionary('d')", { refused: /TABLE_FUNCTION_NOT_ALLOWED/ }],
  ['dictGet', "SELECT dictGet('d', 'a', toUInt64(1))", { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['joinGet', "SELECT joinGet('j', 'v', 1)", { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['hasColumnInTable', "SELECT hasColumnInTable('system', 'tables', 'name')", { refused: /FUNCTION_NOT_ALLOWED/ }],
  // system.*, information_schema, other tables and databases.
  ['system.tables', 'SELECT name FROM system.tables', { refused: /TABLE_NOT_ALLOWED/ }],
  ['system.databases', 'SELECT name FROM system.databases', { refused: /TABLE_NOT_ALLOWED/ }],
  ['SYSTEM.TABLES', 'SELECT * FROM SYSTEM.TABLES', { refused: /TABLE_NOT_ALLOWED/ }],
  ['information_schema', 'SELECT * FROM information_schema.tables', { refused: /TABLE_NOT_ALLOWED/ }],
  ['INFORMATION_SCHEMA', 'SELECT * FROM INFORMATION_SCHEMA.COLUMNS', { refused: /TABLE_NOT_ALLOWED/ }],
  ['another database', 'SELECT * FROM other_db.events', { refused: /TABLE_NOT_ALLOWED/ }],
  ['double-quoted system', 'SELECT * FROM "system"."tables"', { refused: /TABLE_NOT_ALLOWED/ }],
  // `x IN table` reads a table that the parser only sees as a name: the resolved tree catches it.
  [
    'IN a bare table name',
    'SELECT count() FROM events WHERE type IN system.tables',
    { refused: /TABLE_NOT_ALLOWED|./ },
  ],
  [
    'GLOBAL IN a table name',
    'SELECT count() FROM events WHERE contact_id GLOBAL IN default.api_keys',
    { refused: /./ },
  ],
  [
    'IN a subquery of api_keys',
    'SELECT count() FROM events WHERE contact_id IN (SELECT prefix FROM api_keys)',
    { refused: /TABLE_NOT_ALLOWED/ },
  ],
  ['api_keys, qualified', 'SELECT * FROM default.api_keys', { refused: /TABLE_NOT_ALLOWED/ }],
  ['api_keys, unqualified', 'SELECT hash FROM api_keys', { refused: /TABLE_NOT_ALLOWED/ }],
  ['the query log', 'SELECT * FROM sql_query_log', { refused: /TABLE_NOT_ALLOWED/ }],
  ['export audit', 'SELECT * FROM export_audit', { refused: /TABLE_NOT_ALLOWED/ }],
  ['a materialized view', 'SELECT count() FROM rollup_15m_mv', { refused: /TABLE_NOT_ALLOWED/ }],
  [
    'system in a scalar WITH',
    'WITH (SELECT count() FROM system.tables) AS n SELECT n',
    { refused: /TABLE_NOT_ALLOWED/ },
  ],
  [
    'system in IN ()',
    'SELECT count() FROM events WHERE type IN (SELECT name FROM system.tables)',
    { refused: /TABLE_NOT_ALLOWED/ },
  ],
  ['EXPLAIN of system', 'EXPLAIN SELECT * FROM system.tables', { refused: /./ }],
  // The analyser evaluates scalar subqueries and constants before the tree can be read: a table the
  // parser's tree does not admit must never get that far (an error message would carry its rows).
  [
    'scalar subquery of api_keys, cast to fail',
    'SELECT toUInt8((SELECT any(hash) FROM api_keys))',
    { refused: /TABLE_NOT_ALLOWED/ },
  ],
  [
    'IN api_keys inside a scalar subquery',
    'SELECT throwIf(1, toString((SELECT count() FROM events WHERE contact_id IN api_keys)))',
    { refused: /TABLE_NOT_ALLOWED/ },
  ],
  [
    'a CTE named like a hidden table',
    'WITH api_keys AS (SELECT 1) SELECT * FROM api_keys',
    { refused: /TABLE_NOT_ALLOWED/ },
  ],
  // Virtual columns tell other tenants' rows per part; server functions tell the host.
  ['_part', 'SELECT _part, count() FROM events GROUP BY _part', { refused: /COLUMN_NOT_ALLOWED/ }],
  ['_part_offset', 'SELECT max(_part_offset) FROM events', { refused: /COLUMN_NOT_ALLOWED/ }],
  ['_part through a subquery', 'SELECT p FROM (SELECT _part AS p FROM events)', { refused: /COLUMN_NOT_ALLOWED/ }],
  ['_block_number', 'SELECT e._block_number FROM events AS e', { refused: /COLUMN_NOT_ALLOWED/ }],
  ['hostName()', 'SELECT hostName()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['hostname() alias', 'SELECT hostname()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['FQDN()', 'SELECT FQDN()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['version()', 'SELECT version()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['currentQueryID()', 'SELECT currentQueryID()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['query_id() alias', 'SELECT query_id()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['addressToSymbol()', 'SELECT addressToSymbol(toUInt64(0))', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['getSetting()', "SELECT getSetting('additional_table_filters')", { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['user()', 'SELECT user()', { refused: /FUNCTION_NOT_ALLOWED/ }],
  ['__getScalar()', "SELECT __getScalar('x')", { refused: /FUNCTION_NOT_ALLOWED/ }],
  [
    'a server function in a constant',
    'SELECT count() FROM events WHERE contact_id = hostName()',
    { refused: /FUNCTION_NOT_ALLOWED/ },
  ],
  // Fully qualified, unions, joins, subqueries, CTEs, WITH tricks: A's rows only.
  ['default.events', 'SELECT count() FROM default.events', { rows: count(A_EVENTS) }],
  ['backquoted', 'SELECT count() FROM `default`.`events`', { rows: count(A_EVENTS) }],
  [
    'UNION with a fully qualified table',
    'SELECT contact_id FROM events UNION ALL SELECT contact_id FROM default.events',
    { rows: (r) => expect(r).toHaveLength(2 * A_EVENTS) },
  ],
  [
    'self join',
    'SELECT a.contact_id, b.campaign_id FROM events a JOIN default.events b ON a.event_id = b.event_id',
    { rows: (r) => expect(r).toHaveLength(A_EVENTS) },
  ],
  ['cross join count', 'SELECT count() FROM events a CROSS JOIN events b', { rows: count(A_EVENTS * A_EVENTS) }],
  ['naming tenant B', `SELECT count() FROM events WHERE tenant_id = '${B}'`, { rows: count(0) }],
  ['OR 1 = 1', `SELECT count() FROM events WHERE tenant_id != '${A}' OR 1 = 1`, { rows: count(A_EVENTS) }],
  ['PREWHERE tenant B', `SELECT count() FROM events PREWHERE tenant_id = '${B}'`, { rows: count(0) }],
  [
    'IN subquery of B',
    `SELECT count() FROM events WHERE event_id IN (SELECT event_id FROM default.events WHERE tenant_id = '${B}')`,
    { rows: count(0) },
  ],
  [
    'CTE over default.events',
    'WITH x AS (SELECT * FROM default.events) SELECT count() FROM x',
    { rows: count(A_EVENTS) },
  ],
  [
    'CTE named like a system table',
    'WITH tables AS (SELECT * FROM events) SELECT count() FROM tables',
    { rows: count(A_EVENTS) },
  ],
  ['scalar WITH', 'WITH (SELECT count() FROM default.events) AS n SELECT n', { rows: count(A_EVENTS) }],
  ['WITH alias of B', `WITH '${B}' AS t SELECT count() FROM events WHERE tenant_id = t`, { rows: count(0) }],
  ['alias named system', 'SELECT count() FROM events AS system', { rows: count(A_EVENTS) }],
  ['the rollups', 'SELECT sum(events) FROM rollup_15m', { rows: count(A_EVENTS) }],
  ['daily rollup FINAL', 'SELECT sum(events) FROM rollup_daily FINAL', { rows: count(A_EVENTS) }],
  ['monthly rollup FINAL', 'SELECT sum(events) FROM rollup_monthly FINAL', { rows: count(A_EVENTS) }],
  ['dead letters', 'SELECT count() FROM dead_letters', { rows: count(1) }],
  ['message funnel', 'SELECT uniqExact(contact_no) FROM message_funnel', { rows: count(20) }],
  // Comments, odd casing, homoglyphs.
  ['comments', 'SELECT /* system.tables */ count() -- FROM system.tables\nFROM events', { rows: count(A_EVENTS) }],
  ['comment splitting a name', 'SELECT * FROM system/**/./**/tables', { refused: /TABLE_NOT_ALLOWED|SYNTAX_ERROR/ }],
  ['odd keyword casing', 'sElEcT CoUnT() FrOm events', { rows: count(A_EVENTS) }],
  ['odd table casing', 'SELECT count() FROM EvEnTs', { refused: /UNKNOWN_TABLE|TABLE_NOT_ALLOWED/ }],
  [
    'Cyrillic е in events',
    'SELECT count() FROM \u0435vents',
    { refused: /UNKNOWN_TABLE|TABLE_NOT_ALLOWED|SYNTAX_ERROR/ },
  ],
  ['Cyrillic ѕ in system', 'SELECT * FROM \u0455ystem.tables', { refused: /TABLE_NOT_ALLOWED|SYNTAX_ERROR/ }],
  // Size, statements, output tricks.
  [
    'very long query',
    `SELECT count() FROM events WHERE ${LONG_WHERE} ${' '.repeat(20_000)}`,
    { refused: /QUERY_TOO_LONG/ },
  ],
  [
    'long but allowed',
    `SELECT count() FROM events WHERE contact_id != '${'x'.repeat(15_000)}'`,
    { rows: count(A_EVENTS) },
  ],
  ['two statements', 'SELECT 1; DROP TABLE events', { refused: /NOT_ONE_SELECT/ }],
  ['two SELECTs', 'SELECT 1; SELECT * FROM system.tables', { refused: /NOT_ONE_SELECT/ }],
  ['one trailing semicolon', 'SELECT count() FROM events;', { rows: count(A_EVENTS) }],
  ['INTO OUTFILE', "SELECT * FROM events INTO OUTFILE '/tmp/tallyhouse-sql-outfile'", { refused: /NOT_ONE_SELECT/ }],
  ['FORMAT', 'SELECT * FROM events FORMAT CSV', { refused: /NOT_ONE_SELECT/ }],
  // Limits: time, memory, rows read, rows returned.
  ['sleepEachRow', 'SELECT sleepEachRow(1) FROM numbers(10)', { refused: /TOO_SLOW|TIMEOUT_EXCEEDED/, status: 422 }],
  [
    'cartesian product',
    'SELECT count() FROM numbers(100000) a, numbers(100000) b',
    { refused: /TIMEOUT_EXCEEDED/, status: 408 },
  ],
  [
    'groupArray over a huge range',
    "SELECT length(groupArray(repeat('x', 200))) FROM numbers(40000000)",
    { refused: /MEMORY_LIMIT_EXCEEDED/, status: 422 },
  ],
  ['reading too many rows', 'SELECT count() FROM numbers(100000000000)', { refused: /TOO_MANY_ROWS/, status: 422 }],
  ['over the row limit', 'SELECT number FROM numbers(5000)', { refused: /TOO_MANY_ROWS_OR_BYTES/, status: 422 }],
];

describe('POST /v1/sql by an analyst of tenant A', () => {
  it(`has at least 40 adversarial queries (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', async (_name, query, expectation) => {
    const res = await sql(query);
    if ('refused' in expectation) {
      expect({ status: res.status >= 400 && res.status < 500, code: res.body.code }).toEqual({
        status: true,
        code: expect.stringMatching(expectation.refused),
      });
      if (expectation.status) expect(res.status).toBe(expectation.status);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'statusCode']);
      expect(res.body.statusCode).toBe(res.status);
    } else {
      expect({ status: res.status, error: res.status === 200 ? null : res.body }).toEqual({ status: 200, error: null });
      expectation.rows(res.body.rows);
    }
    // Whatever happened, no row of B came back.
    expect(JSON.stringify(res.body)).not.toMatch(/B-contact|B-campaign|B-bogus/);
  });

  it('changed nothing: both tenants still hold all their events, no file was written', async () => {
    const rows = await wh.ch.query<{ tenant_id: string; n: string }>(
      'SELECT tenant_id, count() AS n FROM events GROUP BY tenant_id ORDER BY tenant_id',
      { tag: 'test:count' },
    );
    expect(rows.map((r) => [r.tenant_id, Number(r.n)])).toEqual([
      [A, A_EVENTS],
      [B, B_EVENTS],
    ]);
    expect(existsSync('/tmp/tallyhouse-sql-outfile')).toBe(false);
  });
});

/** What an injected statement would change: tables, session settings, either tenant's rows, other tables. */
async function engineState() {
  const q = <T>(query: string) => wh.ch.query<T>(query, { tag: 'test:state' });
  return {
    tables: await q<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    ),
    changedSettings: await q<{ name: string; value: string }>(
      "SELECT name, value FROM system.settings WHERE changed AND name != 'log_comment' ORDER BY name",
    ),
    settings: await q<Record<string, string>>(
      "SELECT getSetting('readonly') AS readonly, getSetting('max_result_rows') AS max_result_rows, getSetting('allow_ddl') AS allow_ddl",
    ),
    events: await q<{ tenant_id: string; n: string; h: string }>(
      'SELECT tenant_id, count() AS n, sum(cityHash64(event_id, contact_id, type)) AS h FROM events GROUP BY tenant_id ORDER BY tenant_id',
    ),
    others: await q<Record<string, string>>(
      'SELECT (SELECT count() FROM dead_letters) AS dead_letters, (SELECT count() FROM api_keys) AS api_keys, (SELECT count() FROM tenants) AS tenants',
    ),
  };
}

type Injection = [name: string, sql: (file: string) => string, expected: RegExp | 'runs'];
const NOT_ONE = /NOT_ONE_SELECT|SYNTAX_ERROR/;
const ANOTHER_TENANTS_ROW = `INSERT INTO events (event_id, tenant_id, occurred_at, type, contact_id) VALUES (generateUUIDv4(), '${B}', now64(3), 'message.sent', 'pwned')`;

/** Every way found to get a second statement past the seal, or a first one that is not a SELECT. */
const INJECTIONS: Injection[] = [
  ['closing parenthesis, then SET', () => 'SELECT 1); SET max_result_rows = 3; SELECT (1', NOT_ONE],
  ['closing parenthesis, then DROP', () => 'SELECT 1); DROP TABLE dead_letters; SELECT (1', NOT_ONE],
  [
    'closing parenthesis, then CREATE',
    () => 'SELECT 1); CREATE TABLE pwned (a UInt8) ENGINE = Memory; SELECT (1',
    NOT_ONE,
  ],
  ['closing parenthesis, then a row of another tenant', () => `SELECT 1); ${ANOTHER_TENANTS_ROW}; SELECT (1`, NOT_ONE],
  [
    "closing parenthesis, then another tenant's rows in an error",
    () =>
      `SELECT 1); SELECT throwIf(1, arrayStringConcat(groupArray(contact_id), ',')) FROM default.events WHERE tenant_id = '${B}'; SELECT (1`,
    NOT_ONE,
  ],
  [
    'closing parenthesis, then INSERT INTO FUNCTION file',
    (f) => `SELECT 1); INSERT INTO FUNCTION file('${f}', 'LineAsString') SELECT 'pwned'; SELECT (1`,
    NOT_ONE,
  ],
  [
    'closing parenthesis, then a host file',
    () => "SELECT 1); SELECT * FROM file('/etc/passwd', 'LineAsString'); SELECT (1",
    NOT_ONE,
  ],
  ['closing parenthesis, then SYSTEM', () => 'SELECT 1); SYSTEM DROP MARK CACHE; SELECT (1', NOT_ONE],
  ['a string closing our parenthesis', () => "SELECT 'x'); DROP TABLE dead_letters; SELECT ('y'", NOT_ONE],
  ['a statement after a comment', () => 'SELECT 1 /* c */; DROP TABLE dead_letters', NOT_ONE],
  ['; inside a block comment', () => 'SELECT 1 AS one /* ; DROP TABLE dead_letters; */', 'runs'],
  ['; inside a nested block comment', () => 'SELECT 1 AS one /* /* */ ; DROP TABLE dead_letters; */', 'runs'],
  ['; inside a line comment', () => 'SELECT 1 AS one -- ; DROP TABLE dead_letters\n', 'runs'],
  ['; inside a # comment', () => 'SELECT 1 AS one # ; DROP TABLE dead_letters\n', 'runs'],
  ['; after a line comment ended by U+2028', () => 'SELECT 1 AS one -- x\u2028; DROP TABLE dead_letters', 'runs'],
  ['; inside a string', () => "SELECT '; DROP TABLE dead_letters; ' AS one", 'runs'],
  ['; inside a quoted identifier', () => 'SELECT 1 AS `one; DROP TABLE dead_letters;`', 'runs'],
  ['; inside a heredoc', () => 'SELECT $$; DROP TABLE dead_letters;$$ AS one', 'runs'],
  ['a string holding an escaped quote', () => "SELECT 'a\\'); DROP TABLE dead_letters; --' AS one", 'runs'],
  ['NUL before a second statement', () => 'SELECT 1\0; DROP TABLE dead_letters', NOT_ONE],
  ['NUL inside a comment', () => 'SELECT 1 /*\0*/; DROP TABLE dead_letters', NOT_ONE],
  ['NUL closing our parenthesis', () => 'SELECT 1\0); DROP TABLE dead_letters; SELECT (1', NOT_ONE],
  ['Greek question mark (U+037E)', () => 'SELECT 1\u037E DROP TABLE dead_letters', NOT_ONE],
  ['fullwidth semicolon (U+FF1B)', () => 'SELECT 1\uFF1B DROP TABLE dead_letters', NOT_ONE],
  ['small semicolon (U+FE54)', () => 'SELECT 1\uFE54 DROP TABLE dead_letters', NOT_ONE],
  ['reversed semicolon (U+204F)', () => 'SELECT 1\u204F DROP TABLE dead_letters', NOT_ONE],
  ['SET alone', () => 'SET max_result_rows = 3', NOT_ONE],
  ['SET after a SELECT', () => 'SELECT 1; SET max_result_rows = 3', NOT_ONE],
  ['SETTINGS of its own', () => 'SELECT 1 SETTINGS max_result_rows = 3', /SETTINGS_NOT_ALLOWED|NOT_ONE_SELECT/],
  ['INSERT INTO FUNCTION file', (f) => `INSERT INTO FUNCTION file('${f}', 'LineAsString') SELECT 'pwned'`, NOT_ONE],
  [
    'INSERT INTO FUNCTION file after a SELECT',
    (f) => `SELECT 1; INSERT INTO FUNCTION file('${f}', 'LineAsString') SELECT 'pwned'`,
    NOT_ONE,
  ],
  ['a row of another tenant', () => ANOTHER_TENANTS_ROW, NOT_ONE],
  ['DROP alone', () => 'DROP TABLE dead_letters', NOT_ONE],
  ['DROP after two semicolons', () => 'SELECT 1;; DROP TABLE dead_letters', NOT_ONE],
  ['DROP after CRLF', () => 'SELECT 1;\r\nDROP TABLE dead_letters', NOT_ONE],
  ['EXPLAIN, then DROP', () => 'EXPLAIN AST SELECT 1; DROP TABLE dead_letters', NOT_ONE],
];

describe('POST /v1/sql: a second statement never runs, in any call', () => {
  let before: Awaited<ReturnType<typeof engineState>>;
  let files: string;

  beforeAll(async () => {
    files = mkdtempSync(join(tmpdir(), 'tallyhouse-sql-files-'));
    before = await engineState();
  });
  afterAll(() => rmSync(files, { recursive: true, force: true }));

  it.each(INJECTIONS)('%s', async (name, text, expected) => {
    const file = join(files, name.replace(/[^a-z0-9]+/gi, '-'));
    const res = await sql(text(file));
    if (expected === 'runs') {
      expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ status: 200, body: null });
      expect(res.body.rows).toHaveLength(1);
    } else {
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 400,
        code: expect.stringMatching(expected),
      });
    }
    // Nothing ran: the same tables, settings and rows, no file, nothing of B or the host in the answer.
    expect(await engineState()).toEqual(before);
    expect(existsSync(file)).toBe(false);
    expect(JSON.stringify(res.body)).not.toMatch(/B-contact|B-campaign|root:x:0/);
  });

  it('logged every refused one as refused and not run, and the ones that were one SELECT as run', async () => {
    await wh.app.get((await import('@tallyhouse/sql')).SqlQueryLog).flush();
    const texts = INJECTIONS.map(([name, text]) => text(join(files, name.replace(/[^a-z0-9]+/gi, '-'))));
    const logged = await wh.ch.query<{ sql: string; outcome: string; stage: string; ran: boolean }>(
      'SELECT sql, outcome, stage, ran FROM sql_query_log WHERE has({texts:Array(String)}, sql)',
      { tag: 'test:log', params: { texts } },
    );
    const byText = new Map(logged.map((r) => [r.sql, r]));
    INJECTIONS.forEach(([name, , expected], i) => {
      const entry = byText.get(texts[i]);
      expect({ name, entry }).toEqual({
        name,
        entry:
          expected === 'runs'
            ? { sql: texts[i], outcome: 'ok', stage: 'run', ran: true }
            : {
                sql: texts[i],
                outcome: expect.stringMatching(/^(refused|error)$/),
                stage: expect.stringMatching(/^(edge|parse|ast)$/),
                ran: false,
              },
      });
    });
  });
});

describe('POST /v1/sql', () => {
  it('answers JSON with column types, CSV and XLSX through the export writers', async () => {
    const q =
      'SELECT contact_id, count() AS n, min(occurred_at) AS first FROM events GROUP BY contact_id ORDER BY contact_id LIMIT 3';
    const json = await sql(q).expect(200);
    expect(json.body).toMatchObject({
      meta: [
        { name: 'contact_id', type: 'String' },
        { name: 'n', type: 'UInt64' },
        { name: 'first', type: "DateTime64(3, 'UTC')" },
      ],
      rows_count: 3,
      truncated: false,
    });
    expect(json.body.rows[0]).toMatchObject({ contact_id: 'A-contact-0' });
    expect(typeof json.body.elapsed_ms).toBe('number');
    const csv = await sql(q, analystA, { format: 'csv' }).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('contact_id,n,first');
    const xlsx = await sql(q, analystA, { format: 'xlsx' })
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((xlsx.body as Buffer).subarray(0, 2).toString()).toBe('PK');
  });

  it('lists the documented tables without tenant_id', async () => {
    const res = await wh.http(analystA).get('/v1/sql/tables').expect(200);
    const names = res.body.tables.map((t: { name: string }) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['events', 'rollup_15m', 'rollup_daily', 'rollup_monthly', 'dead_letters']),
    );
    const events = res.body.tables.find((t: { name: string }) => t.name === 'events');
    expect(events.columns).toEqual(expect.arrayContaining([{ name: 'contact_id', type: 'String' }]));
    expect(events.columns.map((c: { name: string }) => c.name)).not.toContain('tenant_id');
  });

  it('makes an admin name the tenant, and lets a viewer not in at all', async () => {
    expect((await sql('SELECT 1', wh.adminKey)).status).toBe(403);
    const b = await sql('SELECT count() FROM events', wh.adminKey, { tenant: B }).expect(200);
    expect(Number(Object.values(b.body.rows[0])[0])).toBe(B_EVENTS);
    const viewer = await wh.createKey('viewer', A);
    expect((await sql('SELECT 1', viewer)).status).toBe(403);
    expect((await sql('SELECT 1', analystA, { tenant: B })).status).toBe(403);
  });

  it('caps concurrent queries per tenant (429) and stays responsive while a query runs into its time limit', async () => {
    await wh.anonymous().get('/health'); // /health answers from the last result of a check that is slow now
    const slow = 'SELECT count() FROM numbers(100000) a, numbers(100000) b';
    // supertest sends on then(): start both now.
    const first = sql(slow).then((r) => r);
    const second = sql(slow).then((r) => r);
    // Both admitted (the requests reach the server in their own time on a loaded machine).
    const queries = wh.app.get((await import('@tallyhouse/sql')).SqlQueryService);
    await waitFor(async () => queries.runningFor(A) === 2, 10_000, 'two queries of A running');
    const third = await sql(slow);
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('TOO_MANY_QUERIES');
    // Each admitted query ends by its time limit (2 s, waiting included): that is when to come back.
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(2);
    // The event loop is free and /health answers from its last known state while the engine is busy.
    const t0 = performance.now();
    await wh.anonymous().get('/health');
    const healthMs = performance.now() - t0;
    const t1 = performance.now();
    await wh.http(analystA).get('/v1/auth/me').expect(200);
    const meMs = performance.now() - t1;
    expect((await first).status).toBe(408);
    expect((await second).status).toBe(408);
    expect(healthMs).toBeLessThan(500);
    expect(meMs).toBeLessThan(500);
  });

  it('logs every query with tenant, key, duration, rows and outcome', async () => {
    await wh.app.get((await import('@tallyhouse/sql')).SqlQueryLog).flush();
    const rows = await wh.ch.query<{ outcome: string; n: string; rows: string }>(
      `SELECT outcome, count() AS n, sum(rows) AS rows FROM sql_query_log
       WHERE tenant_id = {t:String} AND key_prefix = {p:String} GROUP BY outcome ORDER BY outcome`,
      { tag: 'test:log', params: { t: A, p: analystA.slice(0, 11) } },
    );
    const outcomes = Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
    expect(outcomes).toMatchObject({
      ok: expect.any(Number),
      refused: expect.any(Number),
      error: expect.any(Number),
      limit: expect.any(Number),
      timeout: expect.any(Number),
      busy: 1,
    });
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(CASES.length);
    // A manager of A reads A's log over HTTP; an analyst may not.
    const manager = await wh.createKey('manager', A);
    const log = await wh.http(manager).get('/v1/sql/log?limit=1000').expect(200);
    expect(log.body.entries.length).toBeGreaterThanOrEqual(CASES.length);
    expect(log.body.entries.every((e: { tenant_id: string }) => e.tenant_id === A)).toBe(true);
    expect(log.body.entries[0]).toEqual(
      expect.objectContaining({
        key_prefix: expect.any(String),
        outcome: expect.any(String),
        duration_ms: expect.any(Number),
      }),
    );
    expect((await wh.http(analystA).get('/v1/sql/log')).status).toBe(403);
  });
});

describe('after the adversarial suite (no leaked settings)', () => {
  it('still ingests over HTTP, runs a report, and an unfiltered admin count sees both tenants', async () => {
    const more = await wh.http().post('/v1/events').send(eventsOf(B, 5)).expect(200);
    expect(more.body.accepted).toBe(5);
    const report = await wh
      .http()
      .get('/v1/reports/account-usage')
      .query({ tenant: B, from: '2026-10-01', to: '2026-10-03', tz: 'UTC' })
      .expect(200);
    expect(report.body.rows.length).toBeGreaterThan(0);
    const all = await wh.ch.query<{ tenants: string; n: string }>(
      "SELECT uniqExact(tenant_id) AS tenants, count() AS n, getSetting('readonly') AS ro FROM events",
      { tag: 'test:admin-count' },
    );
    expect(all[0]).toMatchObject({ ro: 0 });
    expect([Number(all[0].tenants), Number(all[0].n)]).toEqual([2, A_EVENTS + B_EVENTS + 5]);
  });
});
