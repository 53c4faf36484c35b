/** Offsets are cached per quarter hour of UTC, for quarter hours with one offset throughout. */
const BUCKET_MS = 15 * 60_000;
const MAX_CACHED_BUCKETS = 10_000;

/**
 * Wall-clock time in one IANA zone. Excel has no time zones: a date-time cell
 * is a wall-clock reading, and exceljs writes a Date's UTC fields. So an
 * instant is written as the Date whose UTC fields are the zone's wall clock.
 * Intl does the zone arithmetic (DST included); its ~10 µs per call is paid
 * about once per quarter hour of instants, not once per cell.
 */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  /** Throws a RangeError for a zone Intl does not know. */
  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's wall clock at `instant`, as a Date whose UTC fields read it (years 1..9999). */
  wallClock(instant: Date): Date {
    const t = instant.getTime();
    return new Date(t + this.offsetAt(t));
  }

  /** Milliseconds to add to UTC to get the zone's wall clock at t. */
  offsetAt(t: number): number {
    const bucket = Math.floor(t / BUCKET_MS);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const start = this.exactOffset(bucket * BUCKET_MS);
    // A transition inside the bucket: no caching, exact for this instant.
    if (this.exactOffset((bucket + 1) * BUCKET_MS - 1) !== start) return this.exactOffset(t);
    if (this.offsets.size >= MAX_CACHED_BUCKETS) this.offsets.clear();
    this.offsets.set(bucket, start);
    return start;
  }

  private exactOffset(t: number): number {
    const f: Record<string, number> = {};
    for (const part of this.format.formatToParts(t)) {
      if (part.type !== 'literal') f[part.type] = Number(part.value);
    }
    const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
    // Date.UTC maps years 0..99 to 1900..1999.
    const wallFixed = f.year < 100 ? new Date(wall).setUTCFullYear(f.year) : wall;
    return wallFixed - (t - (((t % 1000) + 1000) % 1000));
  }
}
