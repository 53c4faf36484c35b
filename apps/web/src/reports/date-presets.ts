/** Date-range presets as the reference documents name them; dates are local days in the report's zone. */
export const DATE_PRESETS = [
  { id: 'last_7_days', label: 'Last 7 days' },
  { id: 'last_30_days', label: 'Last 30 days' },
  { id: 'last_full_month', label: 'Last full month' },
  { id: 'month_to_date', label: 'Month to date' },
  { id: 'custom', label: 'Custom' },
] as const;

export type DatePreset = (typeof DATE_PRESETS)[number]['id'];

/** Today's date (YYYY-MM-DD) in a zone; the browser's zone when none is given. */
export function todayIn(zone: string | undefined, now: Date = new Date()): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    const format = { timeZone: zone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' } as const;
    parts = new Intl.DateTimeFormat('en-US', format).formatToParts(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** from (inclusive) and to (exclusive) for a preset: "last 7 days" ends with today. */
export function presetRange(preset: Exclude<DatePreset, 'custom'>, today: string): { from: string; to: string } {
  const tomorrow = addDays(today, 1);
  const monthStart = `${today.slice(0, 7)}-01`;
  switch (preset) {
    case 'last_7_days':
      return { from: addDays(tomorrow, -7), to: tomorrow };
    case 'last_30_days':
      return { from: addDays(tomorrow, -30), to: tomorrow };
    case 'month_to_date':
      return { from: monthStart, to: tomorrow };
    case 'last_full_month': {
      const d = new Date(`${monthStart}T00:00:00Z`);
      d.setUTCMonth(d.getUTCMonth() - 1);
      return { from: d.toISOString().slice(0, 10), to: monthStart };
    }
  }
}
