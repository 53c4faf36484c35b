import { Global, Logger, Module, type OnModuleInit, Inject } from '@nestjs/common';
import { AppConfig } from '@tallyhouse/config';
import { HealthService } from '@tallyhouse/observability';
import { ClickHouseService } from './clickhouse.service';
import { createEngineClient } from './engine';
import { MigrationRunner } from './migrations';

export function createClickHouseService(config: AppConfig): ClickHouseService {
  const { client, kind } = createEngineClient({
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database: config.CLICKHOUSE_DATABASE,
    dataDir: config.DATA_DIR,
  });
  return new ClickHouseService(client, kind);
}

/** A lane is saturated when its oldest call has waited this long. */
const SATURATED_MS = 2_000;
/** Readiness fails when ingest or interactive calls wait this long (an ad hoc or export backlog never fails it). */
const NOT_READY_MS = 10_000;

/**
 * The embedded engine's lanes: the call running, and per lane the calls waiting and the oldest wait;
 * `saturated` names the lanes whose oldest call waited SATURATED_MS. On a server: nothing queues here.
 */
function lanesHealth(ch: ClickHouseService) {
  if (ch.engine !== 'embedded') return { ok: true, queued: false };
  const state = ch.lanes.state();
  const saturated = Object.entries(state.waiting)
    .filter(([, w]) => w.oldest_ms >= SATURATED_MS)
    .map(([lane]) => lane);
  const stuck = Math.max(state.waiting.ingest.oldest_ms, state.waiting.interactive.oldest_ms) >= NOT_READY_MS;
  return { ok: !stuck, saturated, ...state };
}

/** The engine client and the migrations, applied when the module starts. */
@Global()
@Module({
  providers: [
    { provide: ClickHouseService, useFactory: createClickHouseService, inject: [AppConfig] },
    {
      provide: MigrationRunner,
      useFactory: (ch: ClickHouseService, config: AppConfig) =>
        new MigrationRunner(ch, { cluster: config.CLICKHOUSE_CLUSTER }),
      inject: [ClickHouseService, AppConfig],
    },
  ],
  exports: [ClickHouseService, MigrationRunner],
})
export class ClickHouseModule implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    @Inject(MigrationRunner) private readonly migrations: MigrationRunner,
    @Inject(ClickHouseService) private readonly ch: ClickHouseService,
    @Inject(HealthService) private readonly health: HealthService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.health.register('engine', async () => ({ ok: await this.ch.ping(), kind: this.ch.engine }));
    // Answered from memory: which lanes of the embedded engine wait, and whether the ones that matter move.
    this.health.register('lanes', async () => lanesHealth(this.ch));
    this.health.register('migrations', async () => {
      const status = await this.migrations.status();
      const pending = status.filter((m) => !m.applied).map((m) => `${m.version}_${m.name}`);
      return { ok: pending.length === 0, applied: status.length - pending.length, pending };
    });
    const applied = await this.migrations.migrate((line) => this.logger.log(line));
    if (applied.length === 0) this.logger.log('schema is up to date');
  }
}
