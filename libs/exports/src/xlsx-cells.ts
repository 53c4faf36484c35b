import type { Style, Worksheet } from 'exceljs';
import type { ExportColumnType } from './export-column';
import { formatCalendarDate } from './export-dates';
import { escapeFormula, type SafeCell } from './safe-cell';
import type { ZoneClock } from './zone-clock';

/** A cell as handed to exceljs: a plain value (never an object) and its style. */
export interface XlsxCell {
  value: string | number | Date;
  style: Partial<Style>;
}

// One object per style: exceljs caches a style's id by object identity, and
// looking it up afresh (it renders the style's XML) is a third of the time.
// They are never mutated.
const TEXT: Partial<Style> = {};
const INTEGER: Partial<Style> = { numFmt: '#,##0' };
const DECIMAL: Partial<Style> = { numFmt: '#,##0.00' };
const PERCENT: Partial<Style> = { numFmt: '0.00%' };
const GENERAL: Partial<Style> = { numFmt: 'General' };
const DATE: Partial<Style> = { numFmt: 'yyyy-mm-dd' };
const DATETIME: Partial<Style> = { numFmt: 'yyyy-mm-dd hh:mm:ss' };
const HEADER: Partial<Style> = { font: { bold: true } };

/** Excel's 1900 date system from 1 March 1900 (before it, Excel counts a 29 February 1900 that never was). */
const EXCEL_FIRST_DAY = Date.UTC(1900, 2, 1);
const EXCEL_LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Excel's limit on the characters of one cell; longer text makes it "repair" the file. */
const MAX_CELL_CHARS = 32_767;
const DAY_MS = 86_400_000;

/** A safe cell of a column of `type` as an exceljs cell; instants are shown in `clock`'s zone. */
export function toXlsxCell(cell: SafeCell, type: ExportColumnType, clock: ZoneClock): XlsxCell | null {
  if (cell === null) return null;
  if (typeof cell === 'number') return { value: cell, style: numberStyle(cell, type) };
  if (typeof cell === 'string') return { value: cell.slice(0, MAX_CELL_CHARS), style: TEXT };
  // Dates outside Excel's range stay ISO text: a wrong date would be worse.
  if (type !== 'datetime') {
    return inExcelRange(cell, 0) ? { value: cell, style: DATE } : textOf(formatCalendarDate(cell));
  }
  // (The zone's offset is under a day; the margin keeps ZoneClock within its years.)
  const wall = inExcelRange(cell, DAY_MS) ? clock.wallClock(cell) : null;
  return wall && inExcelRange(wall, 0) ? { value: wall, style: DATETIME } : textOf(cell.toISOString());
}

function inExcelRange(date: Date, marginMs: number): boolean {
  const t = date.getTime();
  return t >= EXCEL_FIRST_DAY - marginMs && t <= EXCEL_LAST_MS + marginMs;
}

/** Text in bold: headers and labels. */
export function boldText(text: string): XlsxCell {
  return { value: escapeFormula(text), style: HEADER };
}

/** Adds a row of cells to a streamed worksheet and commits it (it is written out at once). */
export function writeCells(worksheet: Worksheet, cells: readonly (XlsxCell | null)[]): void {
  // undefined, not null: exceljs creates no cell for it.
  const row = worksheet.addRow(cells.map((c) => c?.value));
  cells.forEach((c, i) => {
    if (c) row.getCell(i + 1).style = c.style;
  });
  row.commit();
}

function textOf(text: string): XlsxCell {
  return { value: escapeFormula(text), style: TEXT };
}

function numberStyle(n: number, type: ExportColumnType): Partial<Style> {
  switch (type) {
    case 'percent':
      return PERCENT;
    case 'integer':
    case 'number':
      return Number.isInteger(n) ? INTEGER : DECIMAL;
    default:
      return GENERAL;
  }
}

const MIN_WIDTH = 8;
const MAX_WIDTH = 60;
const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Column widths (in characters) that fit the header and the sampled rows, within 8..60. */
export function columnWidths(headers: readonly string[], rows: readonly (XlsxCell | null)[][]): number[] {
  return headers.map((header, i) => {
    // Room for the bold header and its filter button.
    let chars = header.length + 3;
    for (const row of rows) {
      const cell = row[i];
      if (cell) chars = Math.max(chars, shownLength(cell) + 1);
    }
    return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, chars));
  });
}

/** About how many characters Excel shows for a cell in its number format. */
function shownLength(cell: XlsxCell): number {
  const { value, style } = cell;
  if (typeof value === 'string') return longestLine(value);
  if (value instanceof Date) return style === DATE ? 10 : 19;
  if (style === PERCENT) return (value * 100).toFixed(2).length + 1;
  if (style === INTEGER) return integerFormat.format(value).length;
  if (style === DECIMAL) return decimalFormat.format(value).length;
  return String(value).length;
}

function longestLine(text: string): number {
  let longest = 0;
  for (const line of text.split('\n')) longest = Math.max(longest, line.length);
  return longest;
}
