import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ExportColumn, ExportColumnType, ExportRows, ExportValue } from './export-column';
import { formatCalendarDate } from './export-dates';
import { OutputWatch } from './output-watch';
import { escapeFormula, isNumberText, toSafeCell } from './safe-cell';

export interface CsvExportOptions {
  /** Start with a UTF-8 byte order mark, which Excel on Windows needs to read UTF-8 (default false). */
  bom?: boolean;
  /** End `out` after the last row (default false: an HTTP response or a caller may still want it). */
  end?: boolean;
  /** Called with the rows written so far, every 10,000 rows and once at the end. */
  onProgress?: (rows: number) => void;
}

export interface CsvExportSummary {
  rows: number;
  bytes: number;
}

/** Rows are joined into chunks of about this many characters: one write() per row would dominate. */
const CHUNK_CHARS = 64 * 1024;
const PROGRESS_EVERY = 10_000;

/**
 * Streams rows as RFC 4180 CSV (CRLF, header row of column names) into `out`,
 * waiting for 'drain' whenever `out` asks, so a slow client holds the source
 * back instead of the rows piling up in memory. Datetimes are ISO-8601 UTC,
 * percents the fraction itself (0.1234), text safe from formula injection.
 */
export async function writeCsv(
  columns: readonly ExportColumn[],
  rows: ExportRows,
  out: Writable,
  opts: CsvExportOptions = {},
): Promise<CsvExportSummary> {
  const watch = new OutputWatch(out);
  let chunk = (opts.bom ? '\uFEFF' : '') + columns.map((c) => csvField(escapeFormula(c.name))).join(',') + '\r\n';
  let count = 0;
  let bytes = 0;
  const flush = async () => {
    watch.check();
    bytes += Buffer.byteLength(chunk);
    const ok = out.write(chunk);
    chunk = '';
    if (!ok) await watch.drain(out);
  };
  try {
    for await (const row of rows) {
      chunk += columns.map((c) => csvValue(row[c.name], c.type)).join(',') + '\r\n';
      count++;
      if (chunk.length >= CHUNK_CHARS) await flush();
      if (count % PROGRESS_EVERY === 0) opts.onProgress?.(count);
    }
    await flush();
    if (opts.end) {
      out.end();
      await watch.race(finished(out, { readable: false }));
    }
  } finally {
    watch.dispose();
  }
  if (count % PROGRESS_EVERY !== 0 || count === 0) opts.onProgress?.(count);
  return { rows: count, bytes };
}

/** One value as a CSV field. */
export function csvValue(value: ExportValue, type: ExportColumnType): string {
  const numeric = type === 'integer' || type === 'number' || type === 'percent';
  // Numbers as ClickHouse sent them: a 64-bit integer keeps every digit.
  if (numeric && (typeof value === 'bigint' || (typeof value === 'string' && isNumberText(value)))) {
    return String(value);
  }
  const cell = toSafeCell(value, type);
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  if (cell instanceof Date) {
    if (type === 'datetime') return cell.toISOString();
    // A valid 'YYYY-MM-DD' text is already what it would be formatted to.
    return typeof value === 'string' ? value : formatCalendarDate(cell);
  }
  return csvField(cell);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
