export { ReportsModule } from './reports.module';
export {
  ReportService,
  ReportParamError,
  UnknownReportError,
  type PreparedReport,
  type ReportResult,
} from './report.service';
export { REPORTS, findReport } from './report-catalog';
export type { ReportColumn, ReportDefinition, ReportRow, WorkbookSheet } from './report-definition';
export { ReportParams, INTERVALS, type Interval } from './report-params';
export { toCsv } from './report-csv';
export { addReportPaths, reportParameters, type ReportParameter } from './report-openapi';
