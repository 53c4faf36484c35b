import { Global, Logger, Module, type OnModuleInit, Inject } from '@nestjs/common';
import { AppConfig } from '@tallyhouse/config';
import { HealthService } from '@tallyhouse/observability';
import { ClickHouseService } from './clickhouse.service';
import { createEngineClient } from './engine';
import { lanesHealth } from './engine-lanes';
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
    this.health.register('lanes', async () =>
      this.ch.engine === 'embedded' ? lanesHealth(this.ch.lanes.state()) : { ok: true, queued: false },
    );
    this.health.register('migrations', async () => {
      const status = await this.migrations.status();
      const pending = status.filter((m) => !m.applied).map((m) => `${m.version}_${m.name}`);
      return { ok: pending.length === 0, applied: status.length - pending.length, pending };
    });
    const applied = await this.migrations.migrate((line) => this.logger.log(line));
    if (applied.length === 0) this.logger.log('schema is up to date');
  }
}
