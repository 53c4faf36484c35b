import type { Response } from 'express';
import {
  type ExportColumn,
  type ExportColumnType,
  type ExportRow,
  writeCsv,
  XlsxExportWriter,
} from '@tallyhouse/exports';

/** How an engine type is written to a file. */
export function exportType(engineType: string): ExportColumnType {
  const t = engineType
    .replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2')
    .replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2');
  if (/^U?Int\d+$/.test(t)) return 'integer';
  if (/^(Float\d+|Decimal)/.test(t)) return 'number';
  if (/^Date(32)?$/.test(t)) return 'date';
  if (/^DateTime/.test(t)) return 'datetime';
  return 'string';
}

export function columnsOf(meta: readonly { name: string; type: string }[]): ExportColumn[] {
  return meta.map((m) => ({ name: m.name, type: exportType(m.type) }));
}

/** The rows as a CSV download, through the exports library's writer (formula-safe cells). */
export async function sendCsv(res: Response, columns: ExportColumn[], rows: ExportRow[]): Promise<void> {
  res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="query.csv"');
  await writeCsv(columns, rows, res, { end: true });
}

/** The rows as an XLSX download: one Query sheet, an About sheet with the query and the tenant. */
export async function sendXlsx(
  res: Response,
  columns: ExportColumn[],
  rows: ExportRow[],
  about: { sql: string; tenant: string },
): Promise<void> {
  res
    .status(200)
    .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    .setHeader('Content-Disposition', 'attachment; filename="query.xlsx"');
  const book = new XlsxExportWriter(res, {
    timeZone: 'UTC',
    about: { reportName: 'sql', title: 'Ad hoc SQL', parameters: { tenant: about.tenant }, notes: [about.sql] },
  });
  const sheet = book.addSheet('Query', columns.length > 0 ? columns : [{ name: '(no columns)', type: 'string' }]);
  await book.writeRows(sheet, rows);
  await book.finish();
}
