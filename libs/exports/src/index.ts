export type { ExportColumn, ExportColumnType, ExportRow, ExportRows, ExportValue } from './export-column';
export { escapeFormula, toSafeCell, type SafeCell } from './safe-cell';
export { writeCsv, type CsvExportOptions, type CsvExportSummary } from './csv-export-writer';
export { XlsxExportWriter, EXCEL_MAX_ROWS, type XlsxExportOptions, type XlsxExportSummary } from './xlsx-export-writer';
export type { XlsxExportSheet, XlsxTab } from './xlsx-export-sheet';
export type { AboutInfo } from './xlsx-about-sheet';
export { encryptXlsx, encryptXlsxFile } from './xlsx-encryption';
export { ExportsModule } from './jobs/exports.module';
export {
  ExportJobsService,
  ExportNotFoundError,
  ExportNotReadyError,
  type ExportFile,
} from './jobs/export-jobs.service';
export { ReportFileWriter, type ReportFileProgress, type ReportFileSummary } from './jobs/report-file-writer';
export { CreateExportDto } from './jobs/export-request.dto';
export { EXPORT_FORMATS, type ExportFormat, type ExportJob, type ExportAuditEntry } from './jobs/export-job';
