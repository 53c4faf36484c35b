/** When events of one type last arrived for one UTC hour (type_arrivals). */
export interface TypeArrival {
  type: string;
  hourMs: number;
  lastMs: number;
}

/** A built day as rollup_builds records it. */
export interface DayBuildRecord {
  time_zone: string;
  sourceArrivalMs: number;
}

/**
 * A summary built per local day (campaign send days, resolution days),
 * declared once: the rollup job builds it and decides what to rebuild from
 * this, and the report decides from the same declaration which days it may
 * read from the summary and computes the others with the family's own SQL.
 */
export interface DaySummaryFamily {
  /** The summary table, also its rollup_builds.table_name. */
  table: string;
  /** Event types whose late arrivals can change a day. */
  types: readonly string[];
  /** The type whose events put rows on a day (days without them need no summary). */
  rowType: string;
  /** The latest arrival that can have changed the day ending at `dayEndMs`. */
  arrival(arrivals: readonly TypeArrival[], dayEndMs: number): number;
}

/** Whether a built day is current for a report in `tz`: built in that zone, and no later arrival reaches it. */
export function dayCurrent(
  family: DaySummaryFamily,
  build: DayBuildRecord | undefined,
  tz: string,
  arrivals: readonly TypeArrival[],
  dayEndMs: number,
): boolean {
  return build !== undefined && build.time_zone === tz && family.arrival(arrivals, dayEndMs) <= build.sourceArrivalMs;
}
