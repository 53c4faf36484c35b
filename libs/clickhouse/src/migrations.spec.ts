import { cpSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseService } from './clickhouse.service';
import { renderForCluster } from './cluster';
import { createEngineClient } from './engine';
import { loadMigrations, MigrationChecksumError, MIGRATIONS_DIR, MigrationRunner, splitStatements } from './migrations';

describe(MigrationRunner.name, () => {
  let ch: ClickHouseService;
  let dataDir: string;
  let migrationsDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tallyhouse-mig-'));
    migrationsDir = mkdtempSync(join(tmpdir(), 'tallyhouse-mig-files-'));
    cpSync(MIGRATIONS_DIR, migrationsDir, { recursive: true });
    const { client, kind } = createEngineClient({ dataDir });
    ch = new ClickHouseService(client, kind);
  });
  afterAll(async () => {
    await ch.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(migrationsDir, { recursive: true, force: true });
  });

  it('applies every migration in numeric order, then re-running is a no-op', async () => {
    const sut = new MigrationRunner(ch, { dir: migrationsDir });
    const applied = await sut.migrate();
    expect(applied).toEqual(loadMigrations(migrationsDir).map((m) => m.version));
    expect(applied).toEqual([...applied].sort((a, b) => a - b));

    expect(await sut.migrate()).toEqual([]);
    expect((await sut.status()).every((m) => m.applied)).toBe(true);
  });

  it('refuses an applied migration whose file was edited, naming it', async () => {
    appendFileSync(join(migrationsDir, '0002_contacts.sql'), '\n-- edited\n');
    const sut = new MigrationRunner(ch, { dir: migrationsDir });
    await expect(sut.migrate()).rejects.toThrow(MigrationChecksumError);
    await expect(sut.migrate()).rejects.toThrow(/2_contacts was edited after it was applied/);
  });

  it('splits a file into statements on line-ending semicolons, without comments', () => {
    expect(splitStatements('-- a comment\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nSELECT 1;\n')).toEqual([
      'CREATE TABLE a (x UInt8) ENGINE = Memory',
      'SELECT 1',
    ]);
  });

  it('renders the cluster variant from the same statement', () => {
    expect(
      renderForCluster(
        'CREATE TABLE IF NOT EXISTS rollup_daily (a UInt8) ENGINE = ReplacingMergeTree(built_at) ORDER BY a',
        'main',
      ),
    ).toBe(
      "CREATE TABLE IF NOT EXISTS rollup_daily ON CLUSTER 'main' (a UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', built_at) ORDER BY a",
    );
    expect(renderForCluster('CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT 1', 'main')).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS v ON CLUSTER 'main' TO t AS SELECT 1",
    );
  });
});
