import { existsSync } from 'node:fs';
import { RollupJob } from '@tallyhouse/rollups';
import { messageEvents, type TestEvent } from './support/events';
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
  ['CREATE TABLE', 'CREATE TABLE x (a UInt8) ENGINE = Memory', { refused: /SYNTAX_ERROR/ }],
  ['DROP TABLE', 'DROP TABLE events', { refused: /SYNTAX_ERROR/ }],
  ['ALTER DELETE', 'ALTER TABLE events DELETE WHERE 1', { refused: /SYNTAX_ERROR/ }],
  ['INSERT SELECT', 'INSERT INTO events SELECT * FROM events', { refused: /SYNTAX_ERROR/ }],
  ['TRUNCATE', 'TRUNCATE TABLE events', { refused: /SYNTAX_ERROR/ }],
  ['OPTIMIZE', 'OPTIMIZE TABLE events FINAL', { refused: /SYNTAX_ERROR/ }],
  // SET and SETTINGS, top level and in a subquery.
  ['SET', 'SET readonly = 0', { refused: /SYNTAX_ERROR/ }],
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
    { refused: /NOT_ONE_SELECT|TABLE_NOT_ALLOWED/ },
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
  ['two statements', 'SELECT 1; DROP TABLE events', { refused: /SYNTAX_ERROR/ }],
  ['two SELECTs', 'SELECT 1; SELECT * FROM system.tables', { refused: /SYNTAX_ERROR/ }],
  ['one trailing semicolon', 'SELECT count() FROM events;', { rows: count(A_EVENTS) }],
  ['INTO OUTFILE', "SELECT * FROM events INTO OUTFILE '/tmp/tallyhouse-sql-outfile'", { refused: /SYNTAX_ERROR/ }],
  ['FORMAT', 'SELECT * FROM events FORMAT CSV', { refused: /SYNTAX_ERROR/ }],
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
    await new Promise((r) => setTimeout(r, 200));
    const third = await sql(slow);
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('TOO_MANY_QUERIES');
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
