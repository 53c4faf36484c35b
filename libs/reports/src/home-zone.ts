import type { ClickHouseService } from '@tallyhouse/clickhouse';

/** The tenant's home zone: the zone its daily and monthly summaries are built in (UTC when unregistered). */
export async function homeZone(ch: ClickHouseService, tenant: string): Promise<string> {
  const [home] = await ch.query<{ time_zone: string }>(
    `SELECT time_zone FROM tenants FINAL WHERE tenant_id = {tenant:String}`,
    { tag: 'report:home-zone', params: { tenant }, idempotent: true },
  );
  return home?.time_zone || 'UTC';
}
