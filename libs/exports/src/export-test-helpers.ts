import { PassThrough } from 'node:stream';
import { Workbook, type Worksheet } from 'exceljs';
import type { ExportColumn, ExportRow } from './export-column';
import { XlsxExportWriter, type XlsxExportOptions, type XlsxExportSummary } from './xlsx-export-writer';

/** Test helpers (not exported by the library): an in-memory output and round trips through exceljs. */

/** A stream that keeps what is written; `bytes()` once it has finished. */
export function memoryOutput(): { out: PassThrough; bytes: () => Promise<Buffer> } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    out.on('end', () => resolve(Buffer.concat(chunks)));
    out.on('error', reject);
  });
  return { out, bytes: () => done };
}

/** One sheet named 'Data' with `rows`, written and read back. */
export async function roundTrip(
  columns: ExportColumn[],
  rows: ExportRow[],
  options: Partial<XlsxExportOptions> = {},
): Promise<{ book: Workbook; sheet: Worksheet; summary: XlsxExportSummary }> {
  const { out, bytes } = memoryOutput();
  const writer = new XlsxExportWriter(out, { timeZone: 'UTC', ...options });
  await writer.writeRows(writer.addSheet('Data', columns), rows);
  const summary = await writer.finish();
  const book = await readXlsx(await bytes());
  return { book, sheet: book.getWorksheet('Data')!, summary };
}

export async function readXlsx(bytes: Buffer): Promise<Workbook> {
  const book = new Workbook();
  // exceljs declares its own `Buffer` (an ArrayBuffer); it takes Node's at run time.
  await book.xlsx.load(bytes as unknown as ArrayBuffer);
  return book;
}

/** A sheet's values as rows of cells (row 1 is the header), without exceljs's leading hole. */
export function sheetValues(sheet: Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const values = row.values as unknown[];
    rows.push(Array.from({ length: sheet.columnCount }, (_, i) => values[i + 1] ?? null));
  });
  return rows;
}
