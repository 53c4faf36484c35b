import type { ClickHouseService } from '@tallyhouse/clickhouse';
import type { SummaryTable } from './rollup.types';

export interface Watermark {
  tenant_id: string;
  table_name: SummaryTable;
  time_zone: string;
  /** ISO 8601 UTC instant: the table is complete for every local period ending at or before it. */
  complete_until: string;
}

interface WatermarkRow {
  tenant_id: string;
  table_name: SummaryTable;
  time_zone: string;
  complete_ms: string;
}

/** rollup_watermarks: read (FINAL) and write, only when a value changes. */
export class WatermarkStore {
  constructor(private readonly ch: ClickHouseService) {}

  async list(tenant?: string): Promise<Watermark[]> {
    const rows = await this.ch.query<WatermarkRow>(
      `SELECT tenant_id, table_name, time_zone, toString(toUnixTimestamp64Milli(complete_until)) AS complete_ms
       FROM rollup_watermarks FINAL
       ${tenant !== undefined ? 'WHERE tenant_id = {tenant:String}' : ''}
       ORDER BY tenant_id, table_name`,
      { tag: 'rollups:watermarks', params: tenant !== undefined ? { tenant } : undefined, idempotent: true },
    );
    return rows.map((r) => ({
      tenant_id: r.tenant_id,
      table_name: r.table_name,
      time_zone: r.time_zone,
      complete_until: new Date(Number(r.complete_ms)).toISOString(),
    }));
  }

  /** Writes the tenant's watermarks that differ from what is stored. */
  async save(tenant: string, tz: string, marks: Record<SummaryTable, number>): Promise<void> {
    const stored = new Map((await this.list(tenant)).map((w) => [w.table_name, w]));
    const changed = (Object.keys(marks) as SummaryTable[]).filter((table) => {
      const s = stored.get(table);
      return !s || s.time_zone !== tz || Date.parse(s.complete_until) !== marks[table];
    });
    if (changed.length === 0) return;
    await this.ch.insertSelect(
      'rollup_watermarks',
      ['tenant_id', 'table_name', 'time_zone', 'complete_until', 'updated_at'],
      `SELECT {tenant:String}, w.1, {tz:String}, fromUnixTimestamp64Milli(w.2, 'UTC'), now64(3)
       FROM (SELECT arrayJoin(arrayZip({tables:Array(String)}, {marks:Array(Int64)})) AS w)`,
      {
        tag: 'rollups:save-watermarks',
        params: { tenant, tz, tables: changed, marks: changed.map((t) => marks[t]) },
      },
    );
  }

  /** Latest ingested_at that reached the 15-minute rollup (its view and event_arrivals' share each insert). */
  async lastIngestedAt(): Promise<string | null> {
    const [row] = await this.ch.query<{ ms: string | null }>(
      `SELECT toString(toUnixTimestamp64Milli(max(last_ingested_at))) AS ms, count() AS n FROM event_arrivals HAVING n > 0`,
      { tag: 'rollups:last-ingested', idempotent: true },
    );
    return row?.ms ? new Date(Number(row.ms)).toISOString() : null;
  }
}
