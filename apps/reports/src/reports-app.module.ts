import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from '@tallyhouse/auth';
import { ClickHouseModule } from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { ObservabilityModule } from '@tallyhouse/observability';
import { ExportsModule } from '@tallyhouse/exports';
import { WebPageModule } from '@tallyhouse/http';
import { ReportSchedulesModule } from '@tallyhouse/schedule';
import { ReportsModule } from '@tallyhouse/reports';
import { RollupsModule } from '@tallyhouse/rollups';
import { SqlModule } from '@tallyhouse/sql';

/**
 * The scaled-out reports process, against a ClickHouse server: rollup reads,
 * the scheduled daily/monthly summaries, the reports, and (as they land)
 * exports and scheduled delivery. Events arrive through apps/ingest.
 */
@Module({
  imports: [
    AuthModule,
    AppConfigModule,
    ObservabilityModule,
    ClickHouseModule,
    ScheduleModule.forRoot(),
    RollupsModule,
    ReportsModule,
    ExportsModule,
    ReportSchedulesModule,
    SqlModule,
    WebPageModule,
  ],
})
export class ReportsAppModule {}
