import type { ClickHouseService } from '@tallyhouse/clickhouse';
import type { TypeArrival } from '../definitions/day-summary';

/** What the per-day summaries (campaign send days, resolution days) share: arrivals by type, chunks, records. */

interface ArrivalRow {
  type: string;
  hour_s: number | string;
  last_ms: number | string;
}

/** The tenant's arrivals of these types later than `afterMs` (all of them with 0). */
export async function typeArrivals(
  ch: ClickHouseService,
  tenant: string,
  types: readonly string[],
  afterMs = 0,
): Promise<TypeArrival[]> {
  const rows = await ch.query<ArrivalRow>(
    `SELECT type, toUnixTimestamp(hour) AS hour_s, toUnixTimestamp64Milli(max(last_ingested_at)) AS last_ms
     FROM type_arrivals
     WHERE tenant_id = {tenant:String} AND type IN {types:Array(String)}
     GROUP BY type, hour
     HAVING last_ms > {after:Int64}`,
    { tag: 'rollups:type-arrivals', params: { tenant, types, after: afterMs }, idempotent: true },
  );
  return rows.map((r) => ({ type: r.type, hourMs: Number(r.hour_s) * 1000, lastMs: Number(r.last_ms) }));
}

/** Most days one INSERT ... SELECT builds: each statement reads the tenant's whole source once. */
const DAYS_PER_INSERT = 100;

export interface DayBuild {
  period: string;
  startMs: number;
  endMs: number;
  sourceArrivalMs: number;
}

/** A per-day summary build, DAYS_PER_INSERT days at a time: the days and the query parameters for them. */
export function* dayChunks(tenant: string, tz: string, days: readonly DayBuild[], builtAtMs: number) {
  for (let i = 0; i < days.length; i += DAYS_PER_INSERT) {
    const chunk = days.slice(i, i + DAYS_PER_INSERT);
    const params = {
      tenant,
      tz,
      built: builtAtMs,
      from_ms: Math.min(...chunk.map((d) => d.startMs)),
      to_ms: Math.max(...chunk.map((d) => d.endMs)),
      days: chunk.map((d) => d.period),
    };
    yield { chunk, params };
  }
}

/** Records built days in rollup_builds with the build's own built_at (readers match rows to it). */
export async function recordDays(
  ch: ClickHouseService,
  tenant: string,
  tz: string,
  table: string,
  days: readonly DayBuild[],
  builtAtMs: number,
): Promise<void> {
  await ch.insertSelect(
    'rollup_builds',
    ['tenant_id', 'table_name', 'period', 'time_zone', 'source_arrival_at', 'built_at'],
    `SELECT {tenant:String}, {table:String}, p.1, {tz:String}, fromUnixTimestamp64Milli(p.2, 'UTC'),
            fromUnixTimestamp64Milli({built:Int64}, 'UTC')
     FROM (SELECT arrayJoin(arrayZip({periods:Array(Date)}, {arrivals:Array(Int64)})) AS p)`,
    {
      tag: 'rollups:record-days',
      params: {
        tenant,
        tz,
        table,
        built: builtAtMs,
        periods: days.map((d) => d.period),
        arrivals: days.map((d) => d.sourceArrivalMs),
      },
    },
  );
}
