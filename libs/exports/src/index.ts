export type { ExportColumn, ExportColumnType, ExportRow, ExportRows, ExportValue } from './export-column';
export { escapeFormula, toSafeCell, type SafeCell } from './safe-cell';
export { writeCsv, type CsvExportOptions, type CsvExportSummary } from './csv-export-writer';
export { XlsxExportWriter, EXCEL_MAX_ROWS, type XlsxExportOptions, type XlsxExportSummary } from './xlsx-export-writer';
export type { XlsxExportSheet, XlsxTab } from './xlsx-export-sheet';
export type { AboutInfo } from './xlsx-about-sheet';
export { encryptXlsx, encryptXlsxFile } from './xlsx-encryption';
