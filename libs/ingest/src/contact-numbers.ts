import type { ClickHouseService } from '@tallyhouse/clickhouse';

interface NewContact {
  tenant_id: string;
  contact_id: string;
  first_seen_at: string;
}

/**
 * Gives every new contact of a staged batch its dense per-tenant number.
 * Runs inside the single event writer, so numbers are handed out by one
 * allocator per process; the counter is advanced before the contacts are
 * written, so a crash in between leaves a gap, never a number used twice.
 */
export class ContactNumbers {
  private readonly lastNo = new Map<string, number>();

  constructor(private readonly ch: ClickHouseService) {}

  async assignNew(staging: string): Promise<number> {
    const fresh = await this.ch.query<NewContact>(
      `SELECT s.tenant_id AS tenant_id, s.contact_id AS contact_id, min(s.occurred_at) AS first_seen_at
       FROM ${staging} AS s
       LEFT ANTI JOIN contacts AS c ON concat(s.tenant_id, '\\0', s.contact_id) = c.key
       WHERE s.contact_id != ''
       GROUP BY s.tenant_id, s.contact_id
       ORDER BY first_seen_at, contact_id`,
      { tag: 'writer:new-contacts', settings: { join_algorithm: 'direct' }, idempotent: true },
    );
    if (fresh.length === 0) return 0;
    const byTenant = new Map<string, NewContact[]>();
    for (const c of fresh) {
      const list = byTenant.get(c.tenant_id) ?? [];
      list.push(c);
      byTenant.set(c.tenant_id, list);
    }
    const counters: { tenant_id: string; last_no: number }[] = [];
    const rows: object[] = [];
    for (const [tenant, list] of byTenant) {
      const first = (await this.last(tenant)) + 1;
      list.forEach((c, i) =>
        rows.push({
          key: `${tenant}\0${c.contact_id}`,
          tenant_id: tenant,
          contact_id: c.contact_id,
          contact_no: first + i,
          first_seen_at: c.first_seen_at,
        }),
      );
      const last = first + list.length - 1;
      if (last > 0xffffffff) throw new Error(`tenant ${tenant} has more than 2^32 contacts`);
      counters.push({ tenant_id: tenant, last_no: last });
      this.lastNo.set(tenant, last);
    }
    await this.ch.insertRows('contact_counters', counters, { tag: 'writer:contact-counters' });
    await this.ch.insertRows('contacts', rows, { tag: 'writer:contacts' });
    return rows.length;
  }

  private async last(tenant: string): Promise<number> {
    const cached = this.lastNo.get(tenant);
    if (cached !== undefined) return cached;
    const rows = await this.ch.query<{ last_no: number }>(
      'SELECT last_no FROM contact_counters WHERE tenant_id = {tenant:String}',
      { tag: 'writer:contact-counter', params: { tenant }, idempotent: true },
    );
    const last = rows.length ? Number(rows[0].last_no) : 0;
    this.lastNo.set(tenant, last);
    return last;
  }
}
