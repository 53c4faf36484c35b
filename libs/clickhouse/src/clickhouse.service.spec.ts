import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseService } from './clickhouse.service';
import { createEngineClient } from './engine';
import { ClickHouseQueryError, ClickHouseUnavailableError } from './errors';

/**
 * On the embedded engine, chdb/connection turns clickhouse_settings into
 * session-wide SETs that persist. These prove the wrapper scopes every
 * setting to its own statement: no later call inherits one.
 */
describe(ClickHouseService.name, () => {
  let sut: ClickHouseService;
  let dir: string;
  // Counts come back as numbers from chDB and as strings over HTTP: compare as numbers.
  const rows = async (sql: string) =>
    (await sut.query<Record<string, unknown>>(sql, { tag: 'test' })).map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v]),
      ),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tallyhouse-ch-'));
    const { client, kind } = createEngineClient({ dataDir: dir });
    sut = new ClickHouseService(client, kind);
    await sut.command(
      `CREATE TABLE t (tenant String, n UInt32) ENGINE = MergeTree ORDER BY n
       SETTINGS non_replicated_deduplication_window = 100`,
      { tag: 'test' },
    );
  });
  afterAll(async () => {
    await sut.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a deduplication token to its insert only: a later insert of other rows is stored', async () => {
    const token = { insert_deduplication_token: 'batch-1' };
    await sut.insertRows('t', [{ tenant: 'a', n: 1 }], { tag: 'test', settings: token });
    await sut.insertRows('t', [{ tenant: 'a', n: 1 }], { tag: 'test', settings: token });
    await sut.insertRows('t', [{ tenant: 'a', n: 2 }], { tag: 'test' });
    await sut.insertSelect('t', ['tenant', 'n'], `SELECT 'a', 3`, {
      tag: 'test',
      settings: { insert_deduplication_token: 'b2' },
    });
    await sut.insertSelect('t', ['tenant', 'n'], `SELECT 'a', 3`, {
      tag: 'test',
      settings: { insert_deduplication_token: 'b2' },
    });

    expect(await rows(`SELECT n FROM t ORDER BY n`)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await rows(`SELECT getSetting('insert_deduplication_token') AS v`)).toEqual([{ v: '' }]);
  });

  it('applies readonly to its query only: later inserts still work', async () => {
    await sut.query('SELECT 1', { tag: 'test', settings: { readonly: 1 } });
    await expect(
      sut.insertSelect('t', ['tenant', 'n'], `SELECT 'x', 9`, { tag: 'test', settings: { readonly: 1 } }),
    ).rejects.toBeInstanceOf(ClickHouseQueryError);

    await sut.insertRows('t', [{ tenant: 'b', n: 4 }], { tag: 'test' });
    expect(await rows(`SELECT getSetting('readonly') AS v`)).toEqual([{ v: 0 }]);
    expect(await rows(`SELECT count() AS c FROM t WHERE n = 4`)).toEqual([{ c: 1 }]);
  });

  it('applies a table filter to its query only: the next query sees every row', async () => {
    const filtered = await sut.query<{ c: string }>('SELECT count() AS c FROM t', {
      tag: 'test',
      settings: { additional_table_filters: "{'t': 'tenant = \\'b\\''}" },
    });
    expect(Number(filtered[0].c)).toBe(1);
    expect(await rows('SELECT count() AS c FROM t')).toEqual([{ c: 4 }]);
  });

  it("never hands a failed query's rows to the next call (the embedded engine keeps them in its buffer)", async () => {
    const failing = sut.query(
      `SELECT number, throwIf(number = 30000) AS boom FROM numbers(100000) SETTINGS max_block_size = 1000`,
      { tag: 'test' },
    );
    // Issued at the same time as the failing query, and after it: each gets its own rows only.
    const [next, after] = [rows('SELECT 7 AS x'), failing.catch(() => rows('SELECT 8 AS y'))];
    await expect(failing).rejects.toBeInstanceOf(ClickHouseQueryError);
    expect(await next).toEqual([{ x: 7 }]);
    expect(await after).toEqual([{ y: 8 }]);
    const limited = sut.query(`SELECT number FROM numbers(5000)`, {
      tag: 'test',
      settings: { max_result_rows: 1000, result_overflow_mode: 'throw' },
    });
    await expect(limited).rejects.toThrow(/Limit for result exceeded/);
    expect(await rows('SELECT 9 AS z')).toEqual([{ z: 9 }]);
  });

  it('never runs a call whose budget ran out while it waited, and gives the rest of it to one that starts', async () => {
    await sut.command(`CREATE TABLE budget (tag String) ENGINE = MergeTree ORDER BY tag`, { tag: 'test' });
    // A slow call holds the engine for about a second.
    const slow = sut.query('SELECT sleepEachRow(0.25) FROM numbers(4)', { tag: 'test:slow', lane: 'background' });
    const late = sut.command("INSERT INTO budget VALUES ('late')", { tag: 'test:late', lane: 'adhoc', budgetMs: 200 });
    const inTime = sut.query<{ budget: string }>("SELECT getSetting('max_execution_time') AS budget", {
      tag: 'test:in-time',
      lane: 'adhoc',
      budgetMs: 60_000,
    });
    await slow;
    await expect(late).rejects.toMatchObject({ code: '159', type: 'TIMEOUT_EXCEEDED' });
    const [{ budget }] = await inTime;
    expect(Number(budget)).toBeGreaterThan(55);
    expect(Number(budget)).toBeLessThan(60);
    expect(await rows('SELECT count() AS n FROM budget')).toEqual([{ n: 0 }]);
  });

  it('passes values as typed parameters, never into the SQL text', async () => {
    const evil = "a' OR 1=1 --";
    const got = await sut.query<{ c: string }>('SELECT count() AS c FROM t WHERE tenant = {tenant:String}', {
      tag: 'test',
      params: { tenant: evil },
    });
    expect(Number(got[0].c)).toBe(0);
  });

  it('raises a typed error naming the call for a statement the engine refuses', async () => {
    const err = await sut.query('SELECT nope FROM t', { tag: 'bad-column' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseQueryError);
    expect((err as ClickHouseQueryError).tag).toBe('bad-column');
  });

  it('classifies an overloaded engine (TOO_MANY_PARTS) as unavailable, so callers back off instead of giving up', async () => {
    await sut.command(`CREATE TABLE busy (n UInt32) ENGINE = MergeTree ORDER BY n`, { tag: 'test' });
    await sut.insertRows('busy', [{ n: 1 }], { tag: 'test' });
    await sut.command(`ALTER TABLE busy MODIFY SETTING parts_to_throw_insert = 1`, { tag: 'test' });
    const err = await sut.insertRows('busy', [{ n: 2 }], { tag: 'busy-insert' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseUnavailableError);
    expect((err as Error).message).toMatch(/Too many parts/);
  });

  it('shows why every insert carries a token: identical blocks are deduplicated by content, insert_deduplicate=0 or not', async () => {
    await sut.command(
      `CREATE TABLE same (n UInt32) ENGINE = MergeTree ORDER BY n SETTINGS non_replicated_deduplication_window = 100`,
      { tag: 'test' },
    );
    const insert = (settings: Record<string, string | number>) =>
      sut.insertCompact('same', ['n'], '[1]\n[2]\n', { tag: 'same', settings });
    await insert({ insert_deduplicate: 0 });
    await insert({ insert_deduplicate: 0 });
    // The embedded engine ignores insert_deduplicate=0 in the statement: the second block is dropped.
    expect(await rows('SELECT count() AS n FROM same')).toEqual([{ n: 2 }]);
    await insert({ insert_deduplication_token: 'a' });
    await insert({ insert_deduplication_token: 'b' });
    expect(await rows('SELECT count() AS n FROM same')).toEqual([{ n: 6 }]);
  });
});
