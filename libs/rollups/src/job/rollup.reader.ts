import { Injectable } from '@nestjs/common';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { WatermarkStore, type Watermark } from './rollup-watermarks';
import type { SummaryTable } from './rollup.types';

export interface CompleteAsOf {
  tenant_id: string;
  /** Home zone the summaries were built in (null when nothing was built yet). */
  time_zone: string | null;
  /** Earliest complete_until of the tables asked for (ISO 8601), or null when one has no watermark. */
  complete_as_of: string | null;
  watermarks: Watermark[];
}

/** What a report needs to say how far the daily/monthly summaries of a tenant can be trusted. */
@Injectable()
export class RollupReader {
  private readonly store: WatermarkStore;

  constructor(ch: ClickHouseService) {
    this.store = new WatermarkStore(ch);
  }

  async completeAsOf(
    tenant: string,
    tables: readonly SummaryTable[] = ['rollup_daily', 'rollup_monthly'],
  ): Promise<CompleteAsOf> {
    const marks = (await this.store.list(tenant)).filter((w) => tables.includes(w.table_name));
    const complete = marks.length === tables.length ? marks.map((w) => w.complete_until).sort()[0] : null;
    return { tenant_id: tenant, time_zone: marks[0]?.time_zone ?? null, complete_as_of: complete, watermarks: marks };
  }

  watermarks(tenant?: string): Promise<Watermark[]> {
    return this.store.list(tenant);
  }
}
