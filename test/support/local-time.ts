/**
 * Local calendar arithmetic in plain TypeScript (Intl), independent of the
 * reports' SQL: the tests compute expected figures with it.
 */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
}

export function localParts(utcMs: number, tz: string): LocalParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') };
}

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

/** The label of the local period `utcMs` falls in, as the reports print it. */
export function localPeriod(
  utcMs: number,
  tz: string,
  interval: 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year',
  weekStart: 'monday' | 'sunday' = 'monday',
): string {
  const p = localParts(utcMs, tz);
  switch (interval) {
    case 'hour':
      return `${ymd(p.year, p.month, p.day)} ${pad(p.hour)}:00`;
    case 'day':
      return ymd(p.year, p.month, p.day);
    case 'week': {
      const date = new Date(Date.UTC(p.year, p.month - 1, p.day));
      const dow = date.getUTCDay(); // 0 = Sunday
      const back = weekStart === 'monday' ? (dow + 6) % 7 : dow;
      date.setUTCDate(date.getUTCDate() - back);
      return ymd(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
    }
    case 'month':
      return ymd(p.year, p.month, 1);
    case 'quarter':
      return ymd(p.year, Math.floor((p.month - 1) / 3) * 3 + 1, 1);
    case 'year':
      return ymd(p.year, 1, 1);
  }
}

/** UTC instant of local midnight starting `date` (YYYY-MM-DD) in `tz`, found by search (no shared code with the app). */
export function localMidnight(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number);
  // Local midnight lies within ±15 h of UTC midnight; step by 15 minutes to the first instant of that local date.
  let t = Date.UTC(y, m - 1, d) - 15 * 3_600_000;
  const target = ymd(y, m, d);
  while (localPeriod(t, tz, 'day') < target) t += 15 * 60_000;
  return t;
}
