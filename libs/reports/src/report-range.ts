import type { Interval } from './report-params';
/**
 * A report's time range, resolved to UTC instants in the report's zone.
 * `from` is inclusive and `to` exclusive. A date (YYYY-MM-DD) means local
 * midnight in the zone; an instant must name its offset (Z or ±hh:mm).
 */
export interface ReportRange {
  tz: string;
  fromMs: number;
  toMs: number;
}

export class RangeError400 extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const QUARTER_HOUR_MS = 15 * 60_000;

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` from UTC at the instant `utcMs`, in ms (east positive). */
export function zoneOffsetMs(tz: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The UTC instant of local wall time y-m-d 00:00 in `tz`. Where midnight does
 * not exist (a DST jump at midnight), the first instant of that local day.
 */
export function localMidnightToUtc(year: number, month: number, day: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes settle the offset on either side of a transition.
  const guess = wall - zoneOffsetMs(tz, wall);
  return wall - zoneOffsetMs(tz, guess);
}

function parseBound(field: 'from' | 'to', value: string, tz: string): number {
  const d = DATE.exec(value);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const check = new Date(Date.UTC(y, m - 1, day));
    if (check.getUTCMonth() !== m - 1 || check.getUTCDate() !== day) {
      throw new RangeError400(field, `${field} is not a real date: ${value}`);
    }
    return localMidnightToUtc(y, m, day, tz);
  }
  if (INSTANT.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) {
      if (ms % QUARTER_HOUR_MS !== 0) {
        throw new RangeError400(
          field,
          `${field} must fall on a quarter hour (reports read 15-minute rollups): ${value}`,
        );
      }
      return ms;
    }
  }
  throw new RangeError400(
    field,
    `${field} must be a date (YYYY-MM-DD) or an instant with its offset (2026-10-01T00:00:00Z)`,
  );
}

export function resolveRange(
  input: { from: string; to: string; tz: string },
  limits: { maxDays: number },
): ReportRange {
  const fromMs = parseBound('from', input.from, input.tz);
  const toMs = parseBound('to', input.to, input.tz);
  if (!(fromMs < toMs)) throw new RangeError400('from', `from (${input.from}) must be before to (${input.to})`);
  if (toMs - fromMs > limits.maxDays * 86_400_000 + 2 * 3_600_000) {
    throw new RangeError400('to', `the range is longer than the maximum of ${limits.maxDays} days`);
  }
  return { tz: input.tz, fromMs, toMs };
}

/** UTC instant where the local period labelled `label` (YYYY-MM-DD, its first day) ends. */
export function periodEnd(label: string, interval: Interval, tz: string): number {
  const [y, m, d] = label.split('-').map(Number);
  const next = new Date(Date.UTC(y, m - 1, d));
  if (interval === 'day') next.setUTCDate(next.getUTCDate() + 1);
  else if (interval === 'week') next.setUTCDate(next.getUTCDate() + 7);
  else if (interval === 'month') next.setUTCMonth(next.getUTCMonth() + 1);
  else if (interval === 'quarter') next.setUTCMonth(next.getUTCMonth() + 3);
  else next.setUTCFullYear(next.getUTCFullYear() + 1);
  return localMidnightToUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), tz);
}
