import { Injectable } from '@nestjs/common';
import { ClickHouseService, isoTime } from '@tallyhouse/clickhouse';

export interface Tenant {
  id: string;
  name: string;
  time_zone: string;
  created_at: string;
}

/** Tenant ids: what URLs, file names and key lists can carry without quoting. */
export const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/**
 * The tenant register: the `tenants` table of 0002 (id, name, home zone), which
 * the reports already read for their default zone. Latest row wins.
 */
@Injectable()
export class TenantStore {
  constructor(private readonly ch: ClickHouseService) {}

  async upsert(id: string, name: string, timeZone: string): Promise<Tenant> {
    const existing = await this.get(id);
    await this.ch.insertRows('tenants', [{ tenant_id: id, name, time_zone: timeZone }], { tag: 'auth:tenant-save' });
    return { id, name, time_zone: timeZone, created_at: existing?.created_at ?? new Date().toISOString() };
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.ch.query<{ id: string; name: string; time_zone: string; created_at: string }>(
      `SELECT tenant_id AS id, argMax(name, updated_at) AS name, argMax(time_zone, updated_at) AS time_zone,
              toString(min(created_at)) AS created_at
       FROM tenants GROUP BY tenant_id ORDER BY tenant_id`,
      { tag: 'auth:tenants', idempotent: true },
    );
    return rows.map((r) => ({ ...r, created_at: isoTime(r.created_at) }));
  }

  async get(id: string): Promise<Tenant | null> {
    const rows = await this.ch.query<{ id: string; name: string; time_zone: string; created_at: string }>(
      `SELECT tenant_id AS id, argMax(name, updated_at) AS name, argMax(time_zone, updated_at) AS time_zone,
              toString(min(created_at)) AS created_at
       FROM tenants WHERE tenant_id = {id:String} GROUP BY tenant_id`,
      { tag: 'auth:tenant', params: { id }, idempotent: true },
    );
    return rows[0] ? { ...rows[0], created_at: isoTime(rows[0].created_at) } : null;
  }
}
