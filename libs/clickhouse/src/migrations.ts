import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseService } from './clickhouse.service';
import { renderForCluster } from './cluster';

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export interface MigrationStatus {
  version: number;
  name: string;
  applied: boolean;
}

export class MigrationChecksumError extends Error {}

const FILE = /^(\d+)_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files, ordered by number (not as strings). */
export function loadMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2],
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(text),
      };
    })
    .sort((a, b) => a.version - b.version);
  const seen = new Set<number>();
  for (const m of migrations) {
    if (seen.has(m.version)) throw new Error(`Two migrations share version ${m.version}`);
    seen.add(m.version);
  }
  return migrations;
}

/** Splits on semicolons that end a line; comments are dropped. */
export function splitStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export const MIGRATIONS_DIR = join(__dirname, '..', '..', '..', 'clickhouse', 'migrations');

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies pending migrations in order and records each with its checksum.
 * Re-running is a no-op; an applied migration whose file changed is refused.
 */
export class MigrationRunner {
  constructor(
    private readonly ch: ClickHouseService,
    private readonly options: { dir?: string; cluster?: string } = {},
  ) {}

  async status(): Promise<MigrationStatus[]> {
    const applied = await this.applied();
    return loadMigrations(this.dir).map((m) => ({ version: m.version, name: m.name, applied: applied.has(m.version) }));
  }

  async pending(): Promise<Migration[]> {
    const applied = await this.applied();
    return this.verify(loadMigrations(this.dir), applied).filter((m) => !applied.has(m.version));
  }

  /** Applies what is pending; returns the versions it applied. */
  async migrate(log: (line: string) => void = () => undefined): Promise<number[]> {
    const done: number[] = [];
    for (const migration of await this.pending()) {
      for (const statement of migration.statements) {
        await this.ch.command(this.render(statement), { tag: `migrate:${migration.version}` });
      }
      await this.ch.insertRows(
        'schema_migrations',
        [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
        { tag: 'migrate:record' },
      );
      log(`applied ${String(migration.version).padStart(4, '0')}_${migration.name}`);
      done.push(migration.version);
    }
    return done;
  }

  private get dir(): string {
    return this.options.dir ?? MIGRATIONS_DIR;
  }

  private render(statement: string): string {
    return this.options.cluster ? renderForCluster(statement, this.options.cluster) : statement;
  }

  private verify(migrations: Migration[], applied: Map<number, AppliedRow>): Migration[] {
    for (const m of migrations) {
      const row = applied.get(m.version);
      if (row && row.checksum !== m.checksum) {
        throw new MigrationChecksumError(
          `Migration ${m.version}_${m.name} was edited after it was applied ` +
            `(recorded checksum ${row.checksum.slice(0, 12)}, file ${m.checksum.slice(0, 12)}). ` +
            `Add a new migration instead of changing an applied one.`,
        );
      }
    }
    return migrations;
  }

  private async applied(): Promise<Map<number, AppliedRow>> {
    await this.ch.command(
      this.render(`CREATE TABLE IF NOT EXISTS schema_migrations
        (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
        ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`),
      { tag: 'migrate:init' },
    );
    const rows = await this.ch.query<AppliedRow>(
      `SELECT version, argMax(name, applied_at) AS name, argMax(checksum, applied_at) AS checksum
       FROM schema_migrations GROUP BY version`,
      { tag: 'migrate:applied', idempotent: true },
    );
    return new Map(rows.map((r) => [Number(r.version), r]));
  }
}
