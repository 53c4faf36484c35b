/**
 * Reading the dates and instants reports produce. Only exact shapes are
 * accepted: anything else stays text rather than becoming a wrong date.
 */

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** ISO-8601 ('2026-03-29T01:30:00.000Z', '+02:00') or ClickHouse text ('2026-03-29 01:30:00.000', UTC). */
const INSTANT = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** 'YYYY-MM-DD' as UTC midnight, or null when it is not a real calendar day. */
export function parseCalendarDate(text: string): Date | null {
  const m = CALENDAR_DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 2026-02-30 over to March: reject instead.
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? date : null;
}

/** An instant from ISO or ClickHouse text; text without a zone is UTC (ClickHouse's session zone here). */
export function parseInstant(text: string): Date | null {
  // Exports read millions of these as ClickHouse writes them: that shape first, without regexes.
  if ((text.length === 23 && text[19] === '.') || text.length === 19) {
    const fast = clickHouseInstant(text);
    if (fast) return fast;
  }
  const m = INSTANT.exec(text);
  // Date.parse would roll 2026-02-30 over to March.
  if (!m || !parseCalendarDate(m[1])) return null;
  // Date.parse takes at most milliseconds; DateTime64(6|9) gives more digits.
  const fraction = m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : '';
  const zone = m[4] ? m[4].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z';
  const ms = Date.parse(`${m[1]}T${m[2]}${fraction}${zone}`);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** 'YYYY-MM-DD' of a date's UTC fields (calendar dates are held as UTC midnight). */
export function formatCalendarDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const digits = (text: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
};

/** 'YYYY-MM-DD hh:mm:ss' or '… hh:mm:ss.sss' (UTC), or null for anything else, impossible dates included. */
function clickHouseInstant(t: string): Date | null {
  if (t[4] !== '-' || t[7] !== '-' || (t[10] !== ' ' && t[10] !== 'T') || t[13] !== ':' || t[16] !== ':') return null;
  const [y, mo, d] = [digits(t, 0, 4), digits(t, 5, 7), digits(t, 8, 10)];
  const [h, mi, s] = [digits(t, 11, 13), digits(t, 14, 16), digits(t, 17, 19)];
  const ms = t.length === 23 ? digits(t, 20, 23) : 0;
  if (!(h < 24 && mi < 60 && s < 60 && mo >= 1 && mo <= 12 && d >= 1 && ms >= 0)) return null; // NaN fails too
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Date.UTC rolls 2026-02-30 over to March: reject instead.
  return date.getUTCDate() === d && date.getUTCMonth() === mo - 1 ? date : null;
}
