import { Module } from '@nestjs/common';
import { ReportsModule } from '@tallyhouse/reports';
import { ExportJobStore } from './export-job.store';
import { ExportJobsService } from './export-jobs.service';
import { ExportsController } from './exports.controller';
import { ReportFileWriter } from './report-file-writer';

/** Report exports as jobs and streams, with their audit trail (POST/GET /v1/exports). */
@Module({
  imports: [ReportsModule],
  controllers: [ExportsController],
  providers: [ExportJobStore, ExportJobsService, ReportFileWriter],
  exports: [ExportJobsService, ReportFileWriter],
})
export class ExportsModule {}
