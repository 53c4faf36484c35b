import { fork } from 'node:child_process';
import { createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { NestFactory } from '@nestjs/core';
import { stream as excelStream } from 'exceljs';
import { writeCsv, XlsxExportWriter, type ExportColumn, type ExportRow } from '@tallyhouse/exports';
import { ReportService, type ReportRow } from '@tallyhouse/reports';
import { CliExportModule } from '../apps/warehouse/src/cli/modules';
import { CAMPAIGN_FUNNEL_COLUMNS, campaignFunnelSelects } from './generator';
import {
  fmtInt,
  freshDir,
  loadLine,
  openEngine,
  parseArgs,
  parseCount,
  removeDir,
  seconds,
  table,
  writeResults,
} from './util';

/**
 * Export speed and memory on the campaign per-contact rows (CampaignUser:
 * kind, id, contact_id, sent_at, viewed_at, clicked_at, goal_at), N rows
 * loaded into an engine first, then, each in its own process so its peak RSS
 * is its own:
 *   xlsx      the export: the report's rows paged from the engine, typed, through XlsxExportWriter
 *   csv       the same rows through writeCsv
 *   baseline  exceljs's streaming WorkbookWriter writing the same rows, already in memory as typed
 *             values (fetched before the clock starts): the speed the export is measured against
 * and the xlsx export again at a larger N (--large), for memory as rows grow.
 */

type Path = 'xlsx' | 'csv' | 'baseline';
const CHILD_ENV = 'TALLYHOUSE_EXPORTS_BENCH_CHILD';
const TENANT = 'bench-brand';
const CAMPAIGNS = 10;
const START_MS = Date.UTC(2026, 8, 1);
const PARAMS = {
  tenant: TENANT,
  from: '2026-09-01',
  to: '2026-10-01',
  tz: 'UTC',
  kind: 'campaign',
  view: 'contacts',
};

interface Job {
  path: Path;
  rows: number;
  dataDir: string;
  file: string;
}

interface Result {
  path: Path;
  rows: number;
  seconds: number;
  /** Peak resident set of the child process (the engine included), bytes. */
  peakRss: number;
  /** Resident set when the export starts (engine open, report prepared), bytes. */
  startRss: number;
  /** Peak of the JavaScript heap + buffers, sampled every 10,000 rows, bytes. */
  peakHeap: number;
  fileBytes: number;
  error?: string;
}

export async function run(args: string[]): Promise<void> {
  const a = parseArgs(args);
  const rows = parseCount(a.get('rows'), 1_000_000);
  const large = a.get('large') === '0' ? 0 : parseCount(a.get('large'), 5_000_000);
  console.log(
    `exports bench: campaign per-contact rows (CampaignUser, 7 columns), ${fmtInt(rows)} and ${fmtInt(large)} rows; ` +
      `each path in its own process\n`,
  );
  console.log(`${loadLine('at the start')}\n`);

  const results: Result[] = [];
  const runs: [number, Path[]][] = [[rows, ['baseline', 'xlsx', 'csv']]];
  if (large > 0) runs.push([large, ['xlsx']]); // --large 0: the first size only
  for (const [n, paths] of runs) {
    const dataDir = freshDir('exports');
    try {
      const started = process.hrtime.bigint();
      await load(dataDir, n);
      log(`loaded ${fmtInt(n)} per-contact rows (${fmtInt(n * 1.34)} events) in ${seconds(started).toFixed(0)} s`);
      for (const path of paths) {
        const result = await runChild({
          path,
          rows: n,
          dataDir,
          file: join(dataDir, `out.${path === 'csv' ? 'csv' : 'xlsx'}`),
        });
        log(result.error ? `${path}: failed: ${result.error}` : `${path} ${fmtInt(n)}: ${result.seconds.toFixed(1)} s`);
        results.push(result);
      }
    } finally {
      if (!a.has('keep')) removeDir(dataDir);
    }
  }

  const base = results.find((r) => r.path === 'baseline' && !r.error);
  const xlsxSmall = results.find((r) => r.path === 'xlsx' && r.rows === rows && !r.error);
  const out: string[][] = [
    [
      'path',
      'rows',
      'seconds',
      'rows/s',
      'peak RSS MB',
      'RSS at start MB',
      'peak heap MB',
      'file MB',
      'speed vs baseline',
    ],
  ];
  for (const r of results) {
    if (r.error) {
      out.push([r.path, fmtInt(r.rows), '-', '-', '-', '-', '-', '-', `failed: ${r.error}`]);
      continue;
    }
    const speed = base ? r.rows / r.seconds / (base.rows / base.seconds) : null;
    out.push([
      r.path,
      fmtInt(r.rows),
      r.seconds.toFixed(1),
      fmtInt(r.rows / r.seconds),
      mb(r.peakRss),
      mb(r.startRss),
      mb(r.peakHeap),
      mb(r.fileBytes),
      speed === null ? '' : `${speed.toFixed(2)}×`,
    ]);
  }
  console.log('\n' + table(out));
  const xlsxLarge = results.find((r) => r.path === 'xlsx' && r.rows === large && !r.error);
  if (xlsxSmall && xlsxLarge) {
    const growth = xlsxLarge.peakRss / xlsxSmall.peakRss - 1;
    const heapGrowth = xlsxLarge.peakHeap / xlsxSmall.peakHeap - 1;
    console.log(
      `\nxlsx peak RSS at ${fmtInt(large)} rows vs ${fmtInt(rows)}: ${mb(xlsxLarge.peakRss)} vs ${mb(xlsxSmall.peakRss)} MB ` +
        `(${(growth * 100).toFixed(1)}%; goal within 10%); JavaScript heap ${mb(xlsxLarge.peakHeap)} vs ` +
        `${mb(xlsxSmall.peakHeap)} MB (${(heapGrowth * 100).toFixed(1)}%)`,
    );
  }
  console.log(`\n${loadLine('at the end')}`);
  console.log(`\nresults written to ${writeResults('exports', { rows, large, results })}`);
}

/** `n` per-contact rows for TENANT: n / CAMPAIGNS contacts, each sent every campaign. */
async function load(dataDir: string, n: number): Promise<void> {
  const ch = await openEngine(dataDir);
  try {
    for (const select of campaignFunnelSelects(TENANT, Math.ceil(n / CAMPAIGNS), CAMPAIGNS, START_MS)) {
      await ch.insertSelect('events', CAMPAIGN_FUNNEL_COLUMNS, select, { tag: 'bench:load' });
    }
  } finally {
    await ch.close();
  }
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
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(job), DATA_DIR: job.dataDir, LOG_LEVEL: 'warn' },
    });
    let result: Result | null = null;
    child.on('message', (m) => (result = m as Result));
    child.on('exit', (code, signal) => {
      const failed = { path: job.path, rows: job.rows, seconds: 0, peakRss: 0, startRss: 0, peakHeap: 0, fileBytes: 0 };
      resolve(result ?? { ...failed, error: `exited with ${signal ?? code} (out of memory?)` });
    });
  });
}

async function child(job: Job): Promise<void> {
  const app = await NestFactory.createApplicationContext(CliExportModule, { logger: ['error', 'warn'] });
  const reports = app.get(ReportService);
  const prepared = await reports.prepare('campaign-performance', PARAMS);
  const columns: ExportColumn[] = prepared.meta.columns;
  let rows = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  };
  const startRss = process.memoryUsage().rss;
  let started = process.hrtime.bigint();
  if (job.path === 'xlsx') {
    const writer = new XlsxExportWriter(createWriteStream(job.file), { timeZone: 'UTC', onProgress: sample });
    rows = await writer.writeRows(writer.addSheet('CampaignUser', columns), reports.rows(prepared));
    await writer.finish();
  } else if (job.path === 'csv') {
    const out = createWriteStream(job.file);
    rows = (await writeCsv(columns, reports.rows(prepared), out, { end: true, onProgress: sample })).rows;
    await finished(out);
  } else {
    const inMemory: unknown[][] = [];
    for await (const row of reports.rows(prepared)) inMemory.push(typedValues(columns, row));
    sample();
    started = process.hrtime.bigint();
    rows = await streamingBaseline(job.file, columns, inMemory);
  }
  const result: Result = {
    path: job.path,
    rows,
    seconds: seconds(started),
    peakRss: process.resourceUsage().maxRSS * 1024,
    startRss,
    peakHeap,
    fileBytes: statSync(job.file).size,
  };
  await app.close();
  // Sent before exiting, or the parent might not get it.
  await new Promise<void>((resolve) => process.send!(result, undefined, undefined, () => resolve()));
}

/** A row as exceljs takes it: instants as Dates, counts as numbers, text as text. */
function typedValues(columns: ExportColumn[], row: ReportRow | ExportRow): unknown[] {
  return columns.map((c) => {
    const v = row[c.name];
    if (v === null || v === undefined || v === '') return null;
    if (c.type === 'datetime') return new Date(`${String(v).replace(' ', 'T')}Z`);
    if (c.type === 'integer' || c.type === 'number' || c.type === 'percent') return Number(v);
    return String(v);
  });
}

/** exceljs's own streaming writer, rows committed one by one: what the export cannot beat. */
async function streamingBaseline(file: string, columns: ExportColumn[], rows: unknown[][]): Promise<number> {
  const book = new excelStream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: false });
  const sheet = book.addWorksheet('CampaignUser', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({
    header: c.name,
    key: c.name,
    width: 20,
    style: c.type === 'datetime' ? { numFmt: 'yyyy-mm-dd hh:mm:ss' } : {},
  }));
  for (const values of rows) sheet.addRow(values).commit();
  sheet.commit();
  await book.commit();
  return rows.length;
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
