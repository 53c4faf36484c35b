import type { ExportColumnType, ExportValue } from './export-column';
import { parseCalendarDate, parseInstant } from './export-dates';

/**
 * A cell ready to be written: text already made safe, numbers finite, and
 * dates as Date (calendar dates at UTC midnight, instants as they are).
 * Never an object: exceljs would turn { formula }, { hyperlink } or
 * { richText } objects into formulas and links.
 */
export type SafeCell = string | number | Date | null;

/** What Excel, LibreOffice and Sheets read as the start of a formula or DDE call. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A number as ClickHouse's HTTP client writes one as text ('123', '-0.5', '1e-7'). */
const NUMBER_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^-?\d+$/;

/** Text that would run as a formula, prefixed with ' so it shows as text (OWASP CSV injection guidance). */
export function escapeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Whether text is a plain number literal (written verbatim, digit for digit, in CSV). */
export function isNumberText(text: string): boolean {
  return NUMBER_TEXT.test(text);
}

/** Any value as text: objects and arrays as JSON, dates as ISO-8601 UTC. Not yet escaped. */
export function toText(value: Exclude<ExportValue, null | undefined>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return toJson(value);
}

/** A value of a column of `type` as a safe cell (see SafeCell). Empty text is an empty cell. */
export function toSafeCell(value: ExportValue, type: ExportColumnType): SafeCell {
  if (value === null || value === undefined || value === '') return null;
  switch (type) {
    case 'integer':
    case 'number':
    case 'percent':
      return numberCell(value);
    case 'date':
      return calendarDateCell(value);
    case 'datetime':
      return instantCell(value);
    case 'string':
      return plainCell(value);
  }
}

/** Numbers stay numbers in any column (a number cannot be a formula); everything else is safe text. */
function plainCell(value: Exclude<ExportValue, null | undefined>): SafeCell {
  if (typeof value === 'number') return Number.isFinite(value) ? value : escapeFormula(String(value));
  // Past 2^53 a bigint would lose digits as a number: keep them all as text.
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : escapeFormula(String(value));
  }
  return escapeFormula(toText(value));
}

function numberCell(value: Exclude<ExportValue, null | undefined>): SafeCell {
  if (typeof value !== 'string') return plainCell(value);
  if (NUMBER_TEXT.test(value)) {
    const n = Number(value);
    // A 64-bit id past 2^53 stays text rather than becoming a nearby number.
    const exact = !INTEGER_TEXT.test(value) || Number.isSafeInteger(n);
    if (Number.isFinite(n) && exact) return n;
  }
  return escapeFormula(value);
}

function calendarDateCell(value: Exclude<ExportValue, null | undefined>): SafeCell {
  if (typeof value === 'string') return parseCalendarDate(value) ?? escapeFormula(value);
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    // A date has no zone: a Date in a date column stands for its UTC calendar day.
    return new Date(Date.UTC(value.getUTCFullYear(), value.getUTCMonth(), value.getUTCDate()));
  }
  return plainCell(value);
}

function instantCell(value: Exclude<ExportValue, null | undefined>): SafeCell {
  if (typeof value === 'string') return parseInstant(value) ?? escapeFormula(value);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  return plainCell(value);
}

function toJson(value: object): string {
  try {
    const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return json ?? String(value);
  } catch {
    // Circular structures: still text, never the object itself.
    return String(value);
  }
}
