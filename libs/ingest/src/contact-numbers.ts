import type { ClickHouseService } from '@tallyhouse/clickhouse';

interface BatchContact {
  tenant_id: string;
  contact_id: string;
  contact_no: number;
  first_seen_at: string;
}

/** Key of a contact in the `contacts` table and in the maps returned here. */
export const contactKey = (tenant: string, contact: string) => `${tenant}\0${contact}`;

/**
 * Dense per-tenant numbers for the contacts of a staged batch: known ones are
 * looked up, new ones are handed out. Runs inside the single event writer, so
 * one allocator per process hands numbers out; the counter is advanced before
 * the contacts are written, so a crash in between leaves a gap, never a
 * number used twice.
 */
export class ContactNumbers {
  private readonly lastNo = new Map<string, number>();

  constructor(private readonly ch: ClickHouseService) {}

  async resolve(staging: string): Promise<Map<string, number>> {
    // Distinct contacts first: the direct join then makes one point lookup per contact, not per event.
    const contacts = await this.ch.query<BatchContact>(
      `SELECT k.tenant_id AS tenant_id, k.contact_id AS contact_id, c.contact_no AS contact_no, k.first_seen_at AS first_seen_at
       FROM (
         SELECT tenant_id, contact_id, concat(tenant_id, '\\0', contact_id) AS key, min(occurred_at) AS first_seen_at
         FROM ${staging} WHERE contact_id != '' GROUP BY tenant_id, contact_id
       ) AS k
       LEFT JOIN contacts AS c ON k.key = c.key
       ORDER BY first_seen_at, contact_id`,
      { tag: 'writer:contacts-lookup', settings: { join_algorithm: 'direct' }, idempotent: true },
    );
    const numbers = new Map<string, number>();
    const fresh = new Map<string, BatchContact[]>();
    for (const c of contacts) {
      const no = Number(c.contact_no);
      if (no > 0) numbers.set(contactKey(c.tenant_id, c.contact_id), no);
      else fresh.set(c.tenant_id, [...(fresh.get(c.tenant_id) ?? []), c]);
    }
    if (fresh.size > 0) await this.assign(fresh, numbers);
    return numbers;
  }

  private async assign(fresh: Map<string, BatchContact[]>, numbers: Map<string, number>): Promise<void> {
    const counters: { tenant_id: string; last_no: number }[] = [];
    const rows: object[] = [];
    for (const [tenant, list] of fresh) {
      const first = (await this.last(tenant)) + 1;
      const last = first + list.length - 1;
      if (last > 0xffffffff) throw new Error(`tenant ${tenant} has more than 2^32 contacts`);
      list.forEach((c, i) => {
        const key = contactKey(tenant, c.contact_id);
        numbers.set(key, first + i);
        rows.push({
          key,
          tenant_id: tenant,
          contact_id: c.contact_id,
          contact_no: first + i,
          first_seen_at: c.first_seen_at,
        });
      });
      counters.push({ tenant_id: tenant, last_no: last });
      this.lastNo.set(tenant, last);
    }
    await this.ch.insertRows('contact_counters', counters, { tag: 'writer:contact-counters' });
    await this.ch.insertRows('contacts', rows, { tag: 'writer:contacts' });
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
