import { Module } from '@nestjs/common';
import { ClickHouseModule } from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { IngestHttpModule } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';

/**
 * The scaled-out ingest process, against a ClickHouse server: HTTP ingest now,
 * the Kafka consumer next. Several can run side by side (each has its own
 * staging table); rollups and reports run in apps/reports.
 */
@Module({
  imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, IngestHttpModule],
})
export class IngestAppModule {}
