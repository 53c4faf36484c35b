import { Module } from '@nestjs/common';
import { AuthStoreModule } from '@tallyhouse/auth';
import { ClickHouseModule, ClickHouseService, createClickHouseService, MigrationRunner } from '@tallyhouse/clickhouse';
import { AppConfig, AppConfigModule } from '@tallyhouse/config';
import { DemoModule } from '@tallyhouse/demo';
import { FileImportModule, IngestModule } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';
import { ExportsModule } from '@tallyhouse/exports';
import { ReportSchedulesModule } from '@tallyhouse/schedule';
import { ReportsModule } from '@tallyhouse/reports';
import { RollupsModule } from '@tallyhouse/rollups';

/** The engine and the migration runner, without applying migrations on start (the `migrate` command does). */
@Module({
  imports: [AppConfigModule],
  providers: [
    { provide: ClickHouseService, useFactory: createClickHouseService, inject: [AppConfig] },
    {
      provide: MigrationRunner,
      useFactory: (ch: ClickHouseService, config: AppConfig) =>
        new MigrationRunner(ch, { cluster: config.CLICKHOUSE_CLUSTER }),
      inject: [ClickHouseService, AppConfig],
    },
  ],
})
export class CliMigrateModule {}

/** `import`: the ingest pipeline and the file importer (migrations applied on start). */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, FileImportModule] })
export class CliImportModule {}

/** `demo`: the ingest pipeline and the demo loader. */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, DemoModule] })
export class CliDemoModule {}

/** `rollup`: the daily/monthly summary job. */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, RollupsModule] })
export class CliRollupModule {}

/** `dead-letters list` / `replay`: the engine (migrations applied) and the ingest pipeline, no Kafka. */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, IngestModule] })
export class CliDeadLettersModule {}

/** `report`: the engine (migrations applied) and the report definitions. */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, AuthStoreModule, ReportsModule] })
export class CliReportModule {}

/** `export`: the report definitions and the export writer (migrations applied). */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, AuthStoreModule, ExportsModule] })
export class CliExportModule {}

/** `schedule`: schedules and their runner (no ScheduleModule, so the ticker never ticks: the CLI runs what it is told). */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, AuthStoreModule, ReportSchedulesModule] })
export class CliScheduleModule {}

/** `keys` / `tenants`: the key and tenant stores (migrations applied). */
@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, AuthStoreModule] })
export class CliAuthModule {}
