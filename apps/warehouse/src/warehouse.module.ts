import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ClickHouseModule } from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { DemoModule } from '@tallyhouse/demo';
import { IngestHttpModule } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';
import { RollupsModule } from '@tallyhouse/rollups';

/** The all-in-one process: ingest, rollups and the API on one engine (the embedded default). */
@Module({
  imports: [
    AppConfigModule,
    ObservabilityModule,
    ClickHouseModule,
    ScheduleModule.forRoot(),
    IngestHttpModule,
    RollupsModule,
    DemoModule,
  ],
})
export class WarehouseModule {}
