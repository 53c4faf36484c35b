import type { ClickHouseService } from '@tallyhouse/clickhouse';
import type { IncomingItem } from '@tallyhouse/ingest';

/** Deterministic PRNG (mulberry32): the same seed gives the same data set. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RollupEvent {
  event_id: string;
  tenant_id: string;
  occurred_at: number;
  type: string;
  contact_id?: string;
  channel: string;
  platform: string;
  campaign_id: string;
  value?: number;
}

const TYPES = ['message.sent', 'message.delivered', 'message.viewed', 'message.clicked', 'user.login', 'purchase'];
const CHANNELS = ['email', 'sms', 'push'];
const PLATFORMS = ['ios', 'android', 'web'];

export class EventFactory {
  readonly rand: () => number;
  private n = 0;

  constructor(seed: number) {
    this.rand = prng(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)];
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.rand() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }

  /** One event; contacts repeat (a pool of `contacts` per tenant); a few are contactless notices. */
  event(tenant: string, occurredMs: number, contacts: number): RollupEvent {
    this.n++;
    if (this.rand() < 0.01) {
      return {
        event_id: this.uuid(),
        tenant_id: tenant,
        occurred_at: occurredMs,
        type: 'notice.published',
        channel: 'web',
        platform: 'web',
        campaign_id: 'notices',
      };
    }
    const type = this.pick(TYPES);
    return {
      event_id: this.uuid(),
      tenant_id: tenant,
      occurred_at: occurredMs,
      type,
      contact_id: `${tenant}-c${Math.floor(this.rand() ** 2 * contacts)}`,
      channel: this.pick(CHANNELS),
      platform: this.pick(PLATFORMS),
      campaign_id: `camp-${Math.floor(this.rand() * 5)}`,
      ...(type === 'purchase' ? { value: Math.round(this.rand() * 100_000) / 100 } : {}),
    };
  }

  /** `count` events spread uniformly over [fromMs, toMs) across the tenants. */
  uniform(tenants: readonly string[], count: number, fromMs: number, toMs: number, contacts: number): RollupEvent[] {
    return Array.from({ length: count }, () =>
      this.event(this.pick(tenants), fromMs + Math.floor(this.rand() * (toMs - fromMs)), contacts),
    );
  }
}

/**
 * UTC epoch ms of local 00:00:00.000 and 23:59:59.999 of each day in a zone,
 * as the engine's tz database says (the instants the rollups must put on the
 * right side of a local day boundary).
 */
export async function localDayEdges(ch: ClickHouseService, tz: string, days: readonly string[]): Promise<number[]> {
  const rows = await ch.query<{ s: string; e: string }>(
    `SELECT toString(toUnixTimestamp64Milli(toDateTime64(concat(d, ' 00:00:00.000'), 3, {tz:String}))) AS s,
            toString(toUnixTimestamp64Milli(toDateTime64(concat(d, ' 23:59:59.999'), 3, {tz:String}))) AS e
     FROM (SELECT arrayJoin({days:Array(String)}) AS d)`,
    { tag: 'test:day-edges', params: { tz, days } },
  );
  return rows.flatMap((r) => [Number(r.s), Number(r.e)]);
}

export function asItems(events: readonly RollupEvent[]): IncomingItem[] {
  return events.map((value) => ({ value, raw: JSON.stringify(value) }));
}
