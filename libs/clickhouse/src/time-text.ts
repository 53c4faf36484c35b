/** Instants as DateTime64(3, 'UTC') text ('YYYY-MM-DD hh:mm:ss.sss'), the form the engine reads and returns. */
export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** DateTime64 text in UTC from the engine as ISO 8601 (null stays null). */
export function isoTime(t: string): string;
export function isoTime(t: string | null): string | null;
export function isoTime(t: string | null): string | null {
  return t ? `${t.replace(' ', 'T')}Z` : null;
}
