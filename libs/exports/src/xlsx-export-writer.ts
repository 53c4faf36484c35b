import type { Writable } from 'node:stream';
import { stream, type Worksheet } from 'exceljs';
import type { ExportColumn, ExportRows } from './export-column';
import { orderTabs, type SheetBacklog, zipOf } from './exceljs-internals';
import { OutputWatch } from './output-watch';
import { SheetNames } from './sheet-names';
import { writeAboutSheet, type AboutInfo } from './xlsx-about-sheet';
import { XlsxExportSheet, type SheetHost, type XlsxTab } from './xlsx-export-sheet';
import { ZoneClock } from './zone-clock';

/** Excel's rows per sheet. */
export const EXCEL_MAX_ROWS = 1_048_576;
const PROGRESS_EVERY = 10_000;

export interface XlsxExportOptions {
  /** The IANA zone date-time cells are shown in (Excel has no zones), e.g. 'Europe/Berlin'. */
  timeZone: string;
  /** Rows per tab, header included; a sheet continues on 'Name (2)' past it. Default and maximum: 1,048,576. */
  maxRowsPerSheet?: number;
  /** Adds an About sheet as the first tab. */
  about?: AboutInfo;
  /** Called with the data rows written so far, every 10,000 rows and once at the end. */
  onProgress?: (rows: number) => void;
}

export interface XlsxExportSummary {
  /** Every tab in order (continuations included, the About sheet not), with its data rows. */
  sheets: XlsxTab[];
  rows: number;
}

/**
 * Streams a workbook into `out` (an HTTP response or a file) with exceljs's
 * streaming writer: each row is committed as it is added and the writer waits
 * while the zip is behind, so memory stays flat for any number of rows. Sheets
 * are written one after another (see XlsxExportSheet). finish() ends `out`.
 */
export class XlsxExportWriter {
  private readonly workbook: stream.xlsx.WorkbookWriter;
  private readonly watch: OutputWatch;
  private readonly names = new SheetNames();
  private readonly sheets: XlsxExportSheet[] = [];
  private readonly clock: ZoneClock;
  private readonly maxRowsPerSheet: number;
  private readonly generatedAt = new Date();
  private readonly host: SheetHost;
  private active: XlsxExportSheet | null = null;
  private rows = 0;
  private finished = false;

  constructor(
    out: Writable,
    private readonly options: XlsxExportOptions,
  ) {
    this.clock = new ZoneClock(options.timeZone);
    this.maxRowsPerSheet = options.maxRowsPerSheet ?? EXCEL_MAX_ROWS;
    if (!Number.isInteger(this.maxRowsPerSheet) || this.maxRowsPerSheet < 2 || this.maxRowsPerSheet > EXCEL_MAX_ROWS) {
      throw new RangeError(`maxRowsPerSheet must be an integer from 2 to ${EXCEL_MAX_ROWS}`);
    }
    if (options.about) this.names.claim('About');
    this.watch = new OutputWatch(out);
    this.workbook = new stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    zipOf(this.workbook).on('error', (err: Error) => this.watch.fail(err));
    this.host = {
      clock: this.clock,
      maxRowsPerSheet: this.maxRowsPerSheet,
      activate: (sheet) => this.activate(sheet),
      claimContinuationName: (base, part) => this.names.claimFrom(base, part),
      addWorksheet: (name) => this.workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] }),
      rowAdded: (backlog) => this.rowAdded(backlog),
    };
  }

  /** A sheet with these columns; its name is made valid for Excel and unique. Tabs keep the order sheets are added. */
  addSheet(name: string, columns: readonly ExportColumn[]): XlsxExportSheet {
    if (this.finished) throw new Error('the workbook is finished');
    if (columns.length === 0) throw new Error(`sheet '${name}' has no columns`);
    const sheet = new XlsxExportSheet(this.names.claim(name), columns, this.host);
    this.sheets.push(sheet);
    return sheet;
  }

  /** Adds every row of `rows` to `sheet`; resolves with their number. */
  async writeRows(sheet: XlsxExportSheet, rows: ExportRows): Promise<number> {
    let count = 0;
    for await (const row of rows) {
      await sheet.addRow(row);
      count++;
    }
    return count;
  }

  /** Closes every sheet, writes the About sheet, and ends the zip and `out`. */
  async finish(): Promise<XlsxExportSummary> {
    if (this.finished) throw new Error('the workbook is finished');
    this.finished = true;
    try {
      this.watch.check();
      for (const sheet of this.sheets) sheet.close();
      const dataTabs = this.sheets.flatMap((s) => s.worksheets);
      const tabs = this.options.about ? [this.writeAbout(), ...dataTabs] : dataTabs;
      orderTabs(this.workbook, tabs);
      await this.watch.race(this.workbook.commit());
    } finally {
      this.watch.dispose();
    }
    if (this.rows % PROGRESS_EVERY !== 0 || this.rows === 0) this.options.onProgress?.(this.rows);
    return { sheets: this.sheets.flatMap((s) => s.tabs), rows: this.rows };
  }

  /**
   * The About sheet is the first tab but is written last, when the row counts
   * are known. Added first, its zip entry would stay open to the end and
   * archiver would hold every later sheet in memory behind it (measured with
   * exceljs alone: +83 MB of buffers for 300k rows × 6 columns; with the
   * writer's backpressure it would wait forever instead). Added last and moved
   * to the front of workbook.xml's tab list (orderTabs), nothing waits.
   */
  private writeAbout(): Worksheet {
    const about = this.options.about!;
    const worksheet = this.workbook.addWorksheet('About');
    writeAboutSheet(
      worksheet,
      { ...about, generatedAt: about.generatedAt ?? this.generatedAt },
      this.sheets.map((s) => ({ tabs: s.tabs, columns: s.columns })),
      this.clock,
      this.maxRowsPerSheet,
    );
    return worksheet;
  }

  private activate(sheet: XlsxExportSheet): void {
    if (this.finished) throw new Error('the workbook is finished');
    this.watch.check();
    if (sheet === this.active) return;
    if (!this.sheets.includes(sheet)) throw new Error(`sheet '${sheet.name}' belongs to another workbook`);
    if (sheet.isClosed) throw new Error(`sheet '${sheet.name}' is closed: sheets are written one after another`);
    this.active?.close();
    this.active = sheet;
  }

  private async rowAdded(backlog: SheetBacklog | null): Promise<void> {
    this.rows++;
    if (this.rows % PROGRESS_EVERY === 0) this.options.onProgress?.(this.rows);
    if (backlog?.full) await this.watch.drain(backlog.emitter);
  }
}
