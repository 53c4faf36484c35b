import type { RelativeRange } from './schedule.types';

/** A local calendar date, as the report parameters take it. */
interface LocalDate {
  y: number;
  m: number; // 1-12
  d: number;
}

const iso = ({ y, m, d }: LocalDate) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** Calendar arithmetic on dates alone (UTC is only a calculator here: no clock is involved). */
function addDays(x: LocalDate, days: number): LocalDate {
  const t = new Date(Date.UTC(x.y, x.m - 1, x.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

function addMonths(x: LocalDate, months: number): LocalDate {
  const t = new Date(Date.UTC(x.y, x.m - 1 + months, 1));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: 1 };
}

/** The date in `tz` at instant `at`. */
export function localDate(at: Date, tz: string): LocalDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day) };
}

/**
 * from (inclusive) and to (exclusive) local dates for a relative range, in
 * `tz` at `at` (the tick a run is for, so a late run still reports the
 * period it was meant to). Weeks start on Monday.
 */
export function resolveRelativeRange(range: RelativeRange, tz: string, at: Date): { from: string; to: string } {
  const today = localDate(at, tz);
  const month = { ...today, d: 1 };
  switch (range) {
    case 'yesterday':
      return { from: iso(addDays(today, -1)), to: iso(today) };
    case 'today':
      return { from: iso(today), to: iso(addDays(today, 1)) };
    case 'last_7_days':
      return { from: iso(addDays(today, -7)), to: iso(today) };
    case 'last_30_days':
      return { from: iso(addDays(today, -30)), to: iso(today) };
    case 'last_full_week': {
      const weekday = (new Date(Date.UTC(today.y, today.m - 1, today.d)).getUTCDay() + 6) % 7; // Monday = 0
      const monday = addDays(today, -weekday);
      return { from: iso(addDays(monday, -7)), to: iso(monday) };
    }
    case 'last_full_month':
      return { from: iso(addMonths(month, -1)), to: iso(month) };
    case 'month_to_date':
      return { from: iso(month), to: iso(addDays(today, 1)) };
    case 'last_full_quarter': {
      const quarter = { y: today.y, m: today.m - ((today.m - 1) % 3), d: 1 };
      return { from: iso(addMonths(quarter, -3)), to: iso(quarter) };
    }
    case 'last_full_year':
      return { from: `${today.y - 1}-01-01`, to: `${today.y}-01-01` };
  }
}
