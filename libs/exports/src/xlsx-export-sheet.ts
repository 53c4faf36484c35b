import type { Worksheet } from 'exceljs';
import type { ExportColumn, ExportRow } from './export-column';
import { SheetBacklog } from './exceljs-internals';
import { toSafeCell } from './safe-cell';
import { boldText, columnWidths, toXlsxCell, writeCells, type XlsxCell } from './xlsx-cells';
import type { ZoneClock } from './zone-clock';

/** Rows held back while a sheet's column widths are estimated: widths must precede its first row. */
const WIDTH_SAMPLE_ROWS = 100;

/** One tab a sheet was written to, and its data rows (the header not counted). */
export interface XlsxTab {
  name: string;
  rows: number;
}

/** What a sheet needs from its workbook (XlsxExportWriter). */
export interface SheetHost {
  readonly clock: ZoneClock;
  /** Rows per tab, header included. */
  readonly maxRowsPerSheet: number;
  /** Makes `sheet` the one being written (closing the one before); throws if it cannot take rows. */
  activate(sheet: XlsxExportSheet): void;
  /** The name of part `part` (2, 3, ...) of the sheet. */
  claimContinuationName(base: string, part: number): string;
  addWorksheet(name: string): Worksheet;
  /** Counts one row (progress) and waits while the zip is behind. */
  rowAdded(backlog: SheetBacklog | null): Promise<void>;
}

interface Part {
  tab: XlsxTab;
  worksheet: Worksheet;
  backlog: SheetBacklog;
}

/**
 * A sheet of an XlsxExportWriter. Its rows go to its first tab, and past
 * maxRowsPerSheet to 'Name (2)', 'Name (3)', ... with the header repeated: no
 * row is ever dropped. Sheets are written one after another: once rows go to
 * another sheet (or the book is finished) this one is closed.
 */
export class XlsxExportSheet {
  private readonly parts: Part[] = [];
  /** The first rows, until the widths are set (then null). */
  private sample: (XlsxCell | null)[][] | null = [];
  private widths: number[] = [];
  private closed = false;

  constructor(
    /** The first tab's name: valid for Excel and unique in the book. */
    readonly name: string,
    readonly columns: readonly ExportColumn[],
    private readonly host: SheetHost,
  ) {}

  /** Its tabs in order, with their data rows. */
  get tabs(): XlsxTab[] {
    return this.parts.map((p) => ({ ...p.tab }));
  }

  get worksheets(): Worksheet[] {
    return this.parts.map((p) => p.worksheet);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds a row; resolves when more may be added (it waits while the output is behind). */
  async addRow(row: ExportRow): Promise<void> {
    this.host.activate(this);
    const cells = this.columns.map((c) => toXlsxCell(toSafeCell(row[c.name], c.type), c.type, this.host.clock));
    if (this.sample) {
      this.sample.push(cells);
      if (this.sample.length < WIDTH_SAMPLE_ROWS) return this.host.rowAdded(null);
      this.startWriting();
    } else {
      this.write(cells);
    }
    return this.host.rowAdded(this.current.backlog);
  }

  /** Writes what is held back and ends its last tab; a sheet without rows still gets its header. */
  close(): void {
    if (this.closed) return;
    if (this.sample) this.startWriting();
    this.commit(this.current);
    this.closed = true;
  }

  private get current(): Part {
    return this.parts[this.parts.length - 1];
  }

  private startWriting(): void {
    const sample = this.sample ?? [];
    this.sample = null;
    this.widths = columnWidths(
      this.columns.map((c) => c.name),
      sample,
    );
    this.open();
    for (const cells of sample) this.write(cells);
  }

  private open(): Part {
    const name =
      this.parts.length === 0 ? this.name : this.host.claimContinuationName(this.name, this.parts.length + 1);
    const worksheet = this.host.addWorksheet(name);
    worksheet.columns = this.widths.map((width) => ({ width }));
    writeCells(
      worksheet,
      this.columns.map((c) => boldText(c.name)),
    );
    const part = { tab: { name, rows: 0 }, worksheet, backlog: new SheetBacklog(worksheet) };
    this.parts.push(part);
    return part;
  }

  private write(cells: (XlsxCell | null)[]): void {
    let part = this.current;
    if (part.tab.rows + 1 >= this.host.maxRowsPerSheet) {
      this.commit(part);
      part = this.open();
    }
    writeCells(part.worksheet, cells);
    part.tab.rows++;
  }

  private commit(part: Part): void {
    const { worksheet, tab } = part;
    // Known only now: the filter covers the header and every row of the tab.
    worksheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: tab.rows + 1, column: this.columns.length } };
    worksheet.commit();
  }
}
