import { Logger } from '@nestjs/common';
import { createClient } from '@clickhouse/client';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ClickHouseService } from '../clickhouse.service';
import { ReplicaConnection } from './replica-connection';
import type { SnapshotTable } from './replica-worker';

export interface SnapshotReplicaOptions {
  /** The tables the replica holds (a fixed list: names go into DDL). */
  tables: readonly string[];
  /** DATA_DIR: the main engine's data is DATA_DIR/clickhouse; replicas live in DATA_DIR/replicas. */
  dataDir: string;
  /** A snapshot is kept this long after the tables change (0: a new one as soon as they change). */
  maxAgeMs: number;
}

interface Replica {
  service: ClickHouseService;
  connection: ReplicaConnection;
  dir: string;
  /** When its data was last known current: the tables' version then equalled `version`. */
  verifiedAt: number;
  /** The tables' version when the snapshot was taken (taken after it: the snapshot may be newer). */
  version: string;
  /** Queries running on it: a retired replica closes when the last one ends. */
  users: number;
  retired: boolean;
}

/**
 * A read replica of some tables for the embedded engine, in a process of its
 * own: the main engine freezes the tables' parts (ALTER TABLE … FREEZE makes
 * hard links, at once, of a consistent set of parts), a child process creates
 * the same tables in a directory of its own, links those parts in and
 * attaches them. Queries sent there run apart from the main engine (which
 * runs one query at a time and cannot interrupt one), so an analyst's long
 * query holds back no ingest, report or health check. A query starts on data
 * at most `maxAgeMs` old; parts are never copied, and a retired replica's
 * process and links go when its last query ends.
 */
export class SnapshotReplica {
  private readonly logger = new Logger(SnapshotReplica.name);
  private current: Replica | null = null;
  private refreshing: Promise<Replica> | null = null;
  private closed = false;
  private swept = false;

  constructor(
    private readonly main: ClickHouseService,
    private readonly options: SnapshotReplicaOptions,
  ) {}

  /**
   * Runs `work` on a replica holding the tables as they were at most
   * maxAgeMs ago: a snapshot known current within maxAgeMs is used as it is
   * (no engine call: a burst of queries costs the main engine nothing);
   * older, the tables' version is read from the main engine and a new
   * snapshot taken first if they changed. `dataAsOf` is when the replica's
   * data was last known current.
   */
  async use<T>(work: (service: ClickHouseService, dataAsOf: Date) => Promise<T>): Promise<T> {
    let replica = this.current;
    if (!replica || Date.now() - replica.verifiedAt >= this.options.maxAgeMs) {
      // Read before the version: the data is at least as new as this instant.
      const checked = Date.now();
      const version = await this.version();
      replica = this.current;
      if (!replica || replica.version !== version) replica = await this.refresh(version, checked);
      else replica.verifiedAt = Math.max(replica.verifiedAt, checked);
    }
    replica.users++;
    try {
      return await work(replica.service, new Date(replica.verifiedAt));
    } finally {
      replica.users--;
      if (replica.retired && replica.users === 0) void this.dispose(replica);
    }
  }

  /** The pid of the replica process answering now (none before the first query). */
  get pid(): number | undefined {
    return this.current?.connection.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.refreshing?.catch(() => undefined);
    if (this.current) await this.dispose(this.current);
    this.current = null;
  }

  private get replicasDir(): string {
    return resolve(this.options.dataDir, 'replicas');
  }

  private get engineDir(): string {
    return resolve(this.options.dataDir, 'clickhouse');
  }

  private get shadowDir(): string {
    return join(this.engineDir, 'shadow');
  }

  /**
   * What the tables' data is: each table's highest block number and data
   * version over its active parts. Inserts and mutations change it, merges do not.
   */
  private async version(): Promise<string> {
    const [row] = await this.main.query<{ version: string }>(
      `SELECT toString(groupArray((table, block, data))) AS version FROM (
         SELECT table, max(max_block_number) AS block, max(data_version) AS data FROM system.parts
         WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)}
         GROUP BY table ORDER BY table)`,
      { tag: 'replica:version', params: { tables: this.options.tables }, lane: 'interactive' },
    );
    return row?.version ?? '';
  }

  /** One refresh at a time: a new snapshot, a new process; the old one retires. */
  private refresh(version: string, checked: number): Promise<Replica> {
    this.refreshing ??= this.build(version, checked)
      .then((replica) => {
        const old = this.current;
        this.current = replica;
        if (old) {
          old.retired = true;
          if (old.users === 0) void this.dispose(old);
        }
        return replica;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async build(version: string, checked: number): Promise<Replica> {
    if (this.closed) throw new Error('the read replica is closed');
    if (!this.swept) {
      // What a stopped process left: replica directories and frozen parts nobody holds any more.
      rmSync(this.replicasDir, { recursive: true, force: true });
      for (const name of existsSync(this.shadowDir) ? readdirSync(this.shadowDir) : []) {
        if (name.startsWith('replica_')) rmSync(join(this.shadowDir, name), { recursive: true, force: true });
      }
      this.swept = true;
    }
    const started = Date.now();
    const name = `replica_${started}`;
    const snapshot = await this.freeze(name);
    const dir = join(this.replicasDir, name);
    const connection = new ReplicaConnection(join(dir, 'clickhouse'), join(dir, 'user_files'));
    try {
      const parts = await connection.setup(snapshot);
      this.logger.log(`read replica of ${snapshot.length} tables (${parts} parts) in ${Date.now() - started} ms`);
    } catch (err) {
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    } finally {
      // The replica holds its own links now (or failed): the frozen copy can go.
      rmSync(join(this.shadowDir, name), { recursive: true, force: true });
    }
    const client = createClient({ connection: connection as never });
    const replica: Replica = {
      service: new ClickHouseService(client, 'embedded'),
      connection,
      dir,
      verifiedAt: checked,
      version,
      users: 0,
      retired: false,
    };
    // A replica process that dies (killed, out of memory) is replaced at the next query.
    void connection.exited.then(() => {
      if (this.current === replica) this.current = null;
    });
    return replica;
  }

  /** Freezes every table under `name` and lists its frozen parts, with the table's DDL. */
  private async freeze(name: string): Promise<SnapshotTable[]> {
    const tables = await this.main.query<{ name: string; path: string; ddl: string }>(
      `SELECT name, data_paths[1] AS path, create_table_query AS ddl FROM system.tables
       WHERE database = currentDatabase() AND name IN {tables:Array(String)}`,
      { tag: 'replica:tables', params: { tables: this.options.tables }, lane: 'interactive' },
    );
    const out: SnapshotTable[] = [];
    for (const table of tables) {
      await this.main.command(`ALTER TABLE ${table.name} FREEZE WITH NAME '${name}'`, {
        tag: 'replica:freeze',
        // Hard links only: quick, and an analyst waits for it.
        lane: 'interactive',
      });
      // The frozen copy mirrors the table's own path (store/abc/<uuid>/) under shadow/<name>/.
      const dir = join(this.shadowDir, name, relative(this.engineDir, resolve(this.engineDir, table.path)));
      const parts = existsSync(dir) ? readdirSync(dir).map((part) => join(dir, part)) : [];
      out.push({ name: table.name, ddl: table.ddl, parts });
    }
    return out;
  }

  private async dispose(replica: Replica): Promise<void> {
    await replica.service.close().catch(() => undefined);
    rmSync(replica.dir, { recursive: true, force: true });
  }
}
