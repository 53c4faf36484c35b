import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ClickHouseService, SnapshotReplica } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { SQL_TABLES } from './sql-tables';

/** Where one ad hoc query runs, and how current its data is. */
export interface AdhocSession {
  ch: ClickHouseService;
  /** The data is complete up to this instant (a replica's snapshot), or null: the live tables. */
  dataAsOf: Date | null;
  /** Threads per query: 1 on the embedded replica (the other core stays the main engine's), else 2. */
  maxThreads: number;
}

/**
 * Where ad hoc SQL runs. On the embedded engine, which runs one query at a
 * time and cannot interrupt one, in a read replica process over a snapshot
 * of the documented tables (SnapshotReplica), so an analyst's ten-second
 * query holds back no ingest, report or health check. On a ClickHouse server
 * (or with SQL_REPLICA=false), on the engine itself; there, last of all work.
 */
@Injectable()
export class AdhocSqlEngine implements OnModuleDestroy {
  private readonly replica: SnapshotReplica | null;

  constructor(
    private readonly ch: ClickHouseService,
    config: AppConfig,
  ) {
    this.replica =
      ch.engine === 'embedded' && config.SQL_REPLICA
        ? new SnapshotReplica(ch, {
            tables: SQL_TABLES.map((t) => t.name),
            dataDir: config.DATA_DIR,
            maxAgeMs: config.SQL_SNAPSHOT_SECONDS * 1000,
          })
        : null;
  }

  use<T>(work: (session: AdhocSession) => Promise<T>): Promise<T> {
    if (!this.replica) return work({ ch: this.ch.forLane('adhoc'), dataAsOf: null, maxThreads: 2 });
    return this.replica.use((ch, dataAsOf) => work({ ch, dataAsOf, maxThreads: 1 }));
  }

  /** The replica process's pid, once one runs (tests kill it to see it replaced). */
  get replicaPid(): number | undefined {
    return this.replica?.pid;
  }

  async onModuleDestroy(): Promise<void> {
    await this.replica?.close();
  }
}
