import type { Cell, ColumnType } from './api/types';

// Numbers in the browser's locale (undefined locale = the user's).
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? integer.format(value) : decimal.format(value);
}

export function formatCell(value: Cell, type: ColumnType | string): string {
  if (value === null || value === '') return '—';
  if (type === 'percent') return percent.format(Number(value));
  if (type === 'integer' || type === 'number') return formatNumber(Number(value));
  if (/^U?Int|^Float|^Decimal/.test(type) && value !== '' && !Number.isNaN(Number(value))) {
    return formatNumber(Number(value));
  }
  return String(value);
}

export function isNumericType(type: ColumnType | string): boolean {
  return ['integer', 'number', 'percent'].includes(type) || /^(Nullable\()?(U?Int|Float|Decimal)/.test(type);
}

/** An instant in the browser's locale, in the given zone (the report's) or the browser's. */
export function formatInstant(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
}

/** A recent instant as a time of day with seconds, in the browser's locale and zone. */
export function formatTimeOfDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { timeStyle: 'medium' });
}

const significant = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 });
/** A rate or average, to three significant digits. */
export function formatRate(value: number): string {
  return significant.format(value);
}
