import { fork } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Workbook } from 'exceljs';
import { writeCsv, XlsxExportWriter, type ExportColumn, type ExportRow } from '@tallyhouse/exports';
import { fmtInt, freshDir, loadLine, parseArgs, parseCount, removeDir, seconds, table, writeResults } from './util';

/**
 * Export speed and memory: N generated rows × 8 typed columns (values as
 * ClickHouse's HTTP client gives them: 64-bit ints and instants as text) from
 * an async generator to a file, by
 *   xlsx      XlsxExportWriter (exceljs's streaming writer, one row committed at a time)
 *   csv       writeCsv
 *   baseline  exceljs's in-memory Workbook: every row added, then xlsx.writeFile
 * Each path runs in its own child process, so its peak RSS is its own.
 */

type Path = 'xlsx' | 'csv' | 'baseline';
const PATHS: Path[] = ['xlsx', 'csv', 'baseline'];
const CHILD_ENV = 'TALLYHOUSE_EXPORTS_BENCH_CHILD';

interface Job {
  path: Path;
  rows: number;
  file: string;
}

interface Result {
  path: Path;
  rows: number;
  seconds: number;
  /** Peak resident set of the child process, bytes. */
  peakRss: number;
  /** Peak of heapUsed + arrayBuffers, sampled every 10,000 rows and at the end, bytes. */
  peakHeap: number;
  fileBytes: number;
  error?: string;
}

const COLUMNS: ExportColumn[] = [
  { name: 'contact_id', type: 'integer' },
  { name: 'contact', type: 'string' },
  { name: 'campaign', type: 'string' },
  { name: 'sent', type: 'integer' },
  { name: 'revenue', type: 'number' },
  { name: 'open_rate', type: 'percent' },
  { name: 'day', type: 'date' },
  { name: 'last_sent_at', type: 'datetime' },
];

const START_MS = Date.UTC(2026, 0, 1);

async function* generateRows(n: number): AsyncGenerator<ExportRow> {
  for (let i = 0; i < n; i++) {
    const t = START_MS + i * 7_000;
    yield {
      contact_id: String(1_000_000_000_000 + i * 7919),
      contact: `contact-${i}@example.com`,
      campaign: `Spring campaign ${i % 37}`,
      sent: String(i % 50),
      revenue: (i % 10_000) * 1.25,
      open_rate: (i % 1000) / 1000,
      day: new Date(t).toISOString().slice(0, 10),
      last_sent_at: new Date(t).toISOString().replace('T', ' ').replace('Z', ''),
    };
  }
}

export async function run(args: string[]): Promise<void> {
  const a = parseArgs(args);
  const rows = parseCount(a.get('rows'), 500_000);
  const only = a.has('only') ? a.get('only')!.split(',') : PATHS;
  console.log(`exports bench: ${fmtInt(rows)} rows × ${COLUMNS.length} columns, each path in its own process\n`);
  console.log(`${loadLine('at the start')}\n`);

  const dir = freshDir('exports');
  const results: Result[] = [];
  try {
    for (const path of PATHS.filter((p) => only.includes(p))) {
      const job: Job = { path, rows, file: join(dir, `${path}.${path === 'csv' ? 'csv' : 'xlsx'}`) };
      const result = await runChild(job);
      log(
        result.error
          ? `${path}: failed: ${result.error}`
          : `${path}: ${result.seconds.toFixed(1)} s, peak RSS ${mb(result.peakRss)} MB`,
      );
      results.push(result);
    }
  } finally {
    if (!a.has('keep')) removeDir(dir);
  }

  const base = results.find((r) => r.path === 'baseline' && !r.error);
  const rowsOut: string[][] = [
    [
      'path',
      'rows',
      'seconds',
      'rows/s',
      'peak RSS MB',
      'peak heap MB',
      'file MB',
      'RSS vs baseline',
      'time vs baseline',
    ],
  ];
  for (const r of results) {
    if (r.error) {
      rowsOut.push([r.path, fmtInt(r.rows), '-', '-', '-', '-', '-', '', `failed: ${r.error}`]);
      continue;
    }
    rowsOut.push([
      r.path,
      fmtInt(r.rows),
      r.seconds.toFixed(1),
      fmtInt(r.rows / r.seconds),
      mb(r.peakRss),
      mb(r.peakHeap),
      mb(r.fileBytes),
      base ? `${(r.peakRss / base.peakRss).toFixed(2)}×` : '',
      base ? `${(r.seconds / base.seconds).toFixed(2)}×` : '',
    ]);
  }
  console.log('\n' + table(rowsOut));
  console.log(`\n${loadLine('at the end')}`);
  const file = writeResults('exports', { rows, columns: COLUMNS.length, results });
  console.log(`\nresults written to ${file}`);
}

/** Runs one path in a fresh Node process (this file, with CHILD_ENV set) and returns what it reports. */
function runChild(job: Job): Promise<Result> {
  return new Promise((resolve) => {
    const child = fork(__filename, [], {
      execArgv: [
        '-r',
        require.resolve('ts-node/register/transpile-only'),
        '-r',
        require.resolve('tsconfig-paths/register'),
      ],
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(job) },
    });
    let result: Result | null = null;
    child.on('message', (m) => (result = m as Result));
    child.on('exit', (code, signal) => {
      const failed = { path: job.path, rows: job.rows, seconds: 0, peakRss: 0, peakHeap: 0, fileBytes: 0 };
      resolve(result ?? { ...failed, error: `exited with ${signal ?? code} (out of memory?)` });
    });
  });
}

async function child(job: Job): Promise<void> {
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  };
  const started = process.hrtime.bigint();
  if (job.path === 'xlsx') {
    const writer = new XlsxExportWriter(createWriteStream(job.file), {
      timeZone: 'Europe/Berlin',
      about: { reportName: 'bench', title: 'Exports bench' },
      onProgress: sample,
    });
    await writer.writeRows(writer.addSheet('Data', COLUMNS), generateRows(job.rows));
    await writer.finish();
  } else if (job.path === 'csv') {
    const out = createWriteStream(job.file);
    await writeCsv(COLUMNS, generateRows(job.rows), out, { end: true, onProgress: sample });
    await finished(out);
  } else {
    await inMemoryWorkbook(job, sample);
  }
  sample();
  const result: Result = {
    path: job.path,
    rows: job.rows,
    seconds: seconds(started),
    peakRss: process.resourceUsage().maxRSS * 1024,
    peakHeap,
    fileBytes: statSync(job.file).size,
  };
  // Sent before exiting, or the parent might not get it.
  await new Promise<void>((resolve) => process.send!(result, undefined, undefined, () => resolve()));
}

/** What a plain exceljs export does: the whole workbook in memory, then written out. */
async function inMemoryWorkbook(job: Job, sample: () => void): Promise<void> {
  const book = new Workbook();
  const sheet = book.addWorksheet('Data', { views: [{ state: 'frozen', ySplit: 1 }] });
  const formats: Partial<Record<ExportColumn['type'], string>> = {
    integer: '#,##0',
    number: '#,##0.00',
    percent: '0.00%',
    date: 'yyyy-mm-dd',
    datetime: 'yyyy-mm-dd hh:mm:ss',
  };
  sheet.columns = COLUMNS.map((c) => ({ header: c.name, key: c.name, width: 16, style: { numFmt: formats[c.type] } }));
  let n = 0;
  for await (const row of generateRows(job.rows)) {
    sheet.addRow(
      COLUMNS.map((c) => {
        const v = row[c.name];
        if (c.type === 'integer' || c.type === 'number' || c.type === 'percent') return Number(v);
        if (c.type === 'date') return new Date(`${String(v)}T00:00:00Z`);
        if (c.type === 'datetime') return new Date(`${String(v).replace(' ', 'T')}Z`);
        return String(v);
      }),
    );
    if (++n % 10_000 === 0) sample();
  }
  await book.xlsx.writeFile(job.file);
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0);
}

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

const childJob = process.env[CHILD_ENV];
if (childJob) {
  child(JSON.parse(childJob) as Job).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
