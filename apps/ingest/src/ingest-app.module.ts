import { Module } from '@nestjs/common';
import { AuthModule } from '@tallyhouse/auth';
import { ClickHouseModule } from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { IngestHttpModule, KafkaIngestModule } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';

/**
 * The scaled-out ingest process, against a ClickHouse server: HTTP ingest and
 * the Kafka consumer (KAFKA_BROKERS). Several can run side by side in one
 * consumer group (each has its own staging table); rollups and reports run in apps/reports.
 */
@Module({
  imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, AuthModule, IngestHttpModule, KafkaIngestModule],
})
export class IngestAppModule {}
