import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from '@tallyhouse/auth';
import { ClickHouseModule } from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { DemoModule } from '@tallyhouse/demo';
import { IngestHttpModule, KafkaIngestModule } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';
import { ExportsModule } from '@tallyhouse/exports';
import { WebPageModule } from '@tallyhouse/http';
import { ReportSchedulesModule } from '@tallyhouse/schedule';
import { ReportsModule } from '@tallyhouse/reports';
import { RollupsModule } from '@tallyhouse/rollups';
import { SqlModule } from '@tallyhouse/sql';

/** The all-in-one process: ingest (HTTP, and Kafka when KAFKA_BROKERS is set), rollups and the API on one engine (the embedded default). */
@Module({
  imports: [
    AppConfigModule,
    ObservabilityModule,
    ClickHouseModule,
    AuthModule,
    ScheduleModule.forRoot(),
    IngestHttpModule,
    KafkaIngestModule,
    RollupsModule,
    ReportsModule,
    ExportsModule,
    ReportSchedulesModule,
    SqlModule,
    DemoModule,
    WebPageModule,
  ],
})
export class WarehouseModule {}
