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
export { ReportParams, TimeZoneConstraint, INTERVALS, type Interval } from './report-params';
export { toCsv } from './report-csv';
export { isTimeZone } from './report-range';
export { addReportPaths, reportParameters, type ReportParameter } from './report-openapi';
