import { Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { EventIngestService, type IncomingItem } from '../event-ingest.service';

export type ImportFormat = 'ndjson' | 'csv';

export interface ImportProgress {
  file: string;
  rows: number;
  accepted: number;
  rejected: number;
  bytes: number;
  totalBytes: number;
  seconds: number;
}

export interface ImportError {
  /** 1-based line of the file where the row starts. */
  line: number;
  event_id?: string;
  field: string;
  reason: string;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  bytes: number;
  rows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** The first `maxErrors` rejections, in file order. */
  errors: ImportError[];
  seconds: number;
  rowsPerSecond: number;
}

export interface ImportOptions {
  /** Default: from the extension (.ndjson/.jsonl/.json → ndjson, .csv → csv). */
  format?: ImportFormat;
  /** Rows per ingest call (default 50,000). Each is awaited: the file is read no faster than it is stored. */
  chunkSize?: number;
  maxErrors?: number;
  /** Source recorded on events and dead letters (default 'file'). */
  source?: string;
  onProgress?: (p: ImportProgress) => void;
}

/** The file cannot be imported as asked (missing, unreadable, unknown format): nothing was read. */
export class ImportUsageError extends Error {}

const FORMATS: Record<string, ImportFormat> = {
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'ndjson',
  '.csv': 'csv',
};

/** Event fields a CSV header may name; `properties.<key>` columns fill properties. */
const NUMERIC = new Set(['value']);

interface Row {
  item: IncomingItem;
  line: number;
}

/**
 * Imports an NDJSON or CSV file of any size with flat memory: the file is
 * streamed, cut into chunks, and each chunk goes through the same ingest path
 * as HTTP (validation, dead letters with the original line, deduplication).
 * Re-importing a file stores nothing new: every event is a duplicate.
 */
@Injectable()
export class FileImporter {
  constructor(private readonly ingest: EventIngestService) {}

  static formatOf(file: string, format?: string): ImportFormat {
    if (format !== undefined) {
      if (format !== 'ndjson' && format !== 'csv')
        throw new ImportUsageError(`unknown format "${format}" (use ndjson or csv)`);
      return format;
    }
    const f = FORMATS[extname(file).toLowerCase()];
    if (!f) {
      throw new ImportUsageError(
        `cannot tell the format of ${file} from its extension (.ndjson, .jsonl, .csv); pass --format ndjson|csv`,
      );
    }
    return f;
  }

  /** Checks that the file can be read and its format is known, before anything is stored. */
  static check(file: string, format?: string): { format: ImportFormat; bytes: number } {
    let bytes: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new ImportUsageError(`${file} is not a file`);
      bytes = st.size;
    } catch (err) {
      if (err instanceof ImportUsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new ImportUsageError(
        code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`,
      );
    }
    return { format: FileImporter.formatOf(file, format), bytes };
  }

  async importFile(file: string, options: ImportOptions = {}): Promise<ImportSummary> {
    const { format, bytes: totalBytes } = FileImporter.check(file, options.format);
    const chunkSize = options.chunkSize ?? 50_000;
    const maxErrors = options.maxErrors ?? 20;
    const source = options.source ?? 'file';
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const summary: ImportSummary = {
      file,
      format,
      bytes: totalBytes,
      rows: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      errors: [],
      seconds: 0,
      rowsPerSecond: 0,
    };

    const stream = createReadStream(file, { highWaterMark: 1 << 20 });
    const rows = format === 'csv' ? csvRows(stream) : ndjsonRows(stream);
    let chunk: Row[] = [];
    const flush = async () => {
      const report = await this.ingest.ingest(
        chunk.map((r) => r.item),
        source,
      );
      summary.rows += chunk.length;
      summary.accepted += report.accepted;
      summary.duplicates += report.duplicates;
      summary.rejected += report.rejected;
      for (const e of report.errors) {
        if (summary.errors.length >= maxErrors) break;
        summary.errors.push({
          line: chunk[e.index].line,
          ...(e.event_id !== undefined ? { event_id: e.event_id } : {}),
          field: e.field,
          reason: e.reason,
        });
      }
      chunk = [];
      options.onProgress?.({
        file,
        rows: summary.rows,
        accepted: summary.accepted,
        rejected: summary.rejected,
        bytes: Math.min(stream.bytesRead, totalBytes),
        totalBytes,
        seconds: seconds(),
      });
    };
    for await (const row of rows) {
      chunk.push(row);
      if (chunk.length >= chunkSize) await flush();
    }
    if (chunk.length > 0) await flush();
    summary.seconds = seconds();
    summary.rowsPerSecond = summary.seconds > 0 ? Math.round(summary.rows / summary.seconds) : summary.rows;
    return summary;
  }
}

/** One item per non-empty line; a line that is not JSON is an item with a parse error. */
async function* ndjsonRows(stream: NodeJS.ReadableStream): AsyncGenerator<Row> {
  stream.setEncoding('utf8');
  let rest = '';
  let line = 0;
  const toRow = (text: string): Row | null => {
    line++;
    const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (raw.trim() === '') return null;
    try {
      return { item: { value: JSON.parse(raw) as unknown, raw }, line };
    } catch (err) {
      return { item: { parseError: `invalid JSON: ${(err as Error).message}`, raw }, line };
    }
  };
  for await (const piece of stream) {
    const text = rest + (piece as string);
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl !== -1; nl = text.indexOf('\n', from)) {
      const row = toRow(text.slice(from, nl));
      from = nl + 1;
      if (row) yield row;
    }
    rest = text.slice(from);
  }
  if (rest.length > 0) {
    const row = toRow(rest);
    if (row) yield row;
  }
}

/** Rows of a CSV file with a header row naming event fields (and properties.<key> columns). */
async function* csvRows(stream: NodeJS.ReadableStream): AsyncGenerator<Row> {
  const skipped: Row[] = [];
  const parser = stream.pipe(
    parseCsv({
      bom: true,
      raw: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err, raw) => {
        const line = (err as { lines?: number } | undefined)?.lines ?? 0;
        skipped.push({
          item: { parseError: `invalid CSV: ${err?.message ?? 'unreadable record'}`, raw: raw ?? '' },
          line,
        });
        return undefined;
      },
    }),
  );
  let header: string[] | null = null;
  for await (const rec of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    const raw = rec.raw.replace(/\r?\n$/, '');
    const lines = raw.split('\n').length;
    const line = rec.info.lines - lines + 1;
    if (header === null) {
      header = rec.record.map((h) => h.trim());
      continue;
    }
    if (rec.record.length !== header.length) {
      yield { item: { parseError: `has ${rec.record.length} fields; the header has ${header.length}`, raw }, line };
      continue;
    }
    yield { item: { value: csvEvent(header, rec.record), raw }, line };
  }
  while (skipped.length) yield skipped.shift()!;
}

function csvEvent(header: string[], cells: string[]): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  let properties: Record<string, string> | undefined;
  for (let i = 0; i < header.length; i++) {
    const name = header[i];
    const cell = cells[i];
    if (cell === '' || name === '') continue;
    if (name.startsWith('properties.')) {
      (properties ??= {})[name.slice('properties.'.length)] = cell;
    } else if (NUMERIC.has(name)) {
      const n = Number(cell);
      // A cell that is not a number stays a string, so the contract names the field.
      event[name] = cell.trim() !== '' && Number.isFinite(n) ? n : cell;
    } else if (name === 'occurred_at' && /^\d+$/.test(cell)) {
      event[name] = Number(cell);
    } else {
      event[name] = cell;
    }
  }
  if (properties) event.properties = properties;
  return event;
}
