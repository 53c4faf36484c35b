import { randomUUID } from 'node:crypto';

export interface TestEvent {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id?: string;
  channel?: string;
  platform?: string;
  campaign_id?: string;
  value?: number;
  [field: string]: unknown;
}

/** n valid message events for one tenant, an hour apart from `start`, contacts c0..c(contacts-1). */
export function messageEvents(
  n: number,
  opts: { tenant?: string; start?: number; contacts?: number } = {},
): TestEvent[] {
  const start = opts.start ?? Date.UTC(2026, 9, 1);
  const contacts = opts.contacts ?? 50;
  return Array.from({ length: n }, (_, i) => ({
    event_id: randomUUID(),
    tenant_id: opts.tenant ?? 'acme',
    occurred_at: new Date(start + i * 60_000).toISOString(),
    type: i % 3 === 0 ? 'message.viewed' : 'message.sent',
    contact_id: `c${i % contacts}`,
    channel: 'email',
    platform: i % 2 ? 'ios' : 'android',
    campaign_id: `camp-${i % 4}`,
  }));
}
