import { randomUUID } from 'node:crypto';
import type { TestEvent } from './events';

/**
 * Events at the edges of what the contract and the engine take, as the bytes
 * a producer (librdkafka, an HTTP client) would send. `stored` says what must
 * happen to each: stored as an event, or kept as a dead letter.
 */
export interface StrangeEvent {
  name: string;
  bytes: Buffer;
  event_id: string;
  stored: boolean;
}

const NOW = Date.now();
const MAX_VALUE = 99_999_999_999_999.98; // Decimal(18, 4) holds |value| < 10^14

function base(tenant: string, i: number): TestEvent & { occurred_at: string | number } {
  return {
    event_id: randomUUID(),
    tenant_id: tenant,
    occurred_at: new Date(Date.UTC(2026, 9, 5) + i * 60_000).toISOString(),
    type: 'purchase',
    contact_id: `strange-${i}`,
    channel: 'web',
    platform: 'web',
  };
}

/** `event` as JSON with `slot` (a quoted placeholder) replaced by raw JSON text or bytes. */
function spliced(event: TestEvent, slot: string, replacement: string | Buffer): Buffer {
  const [before, after] = JSON.stringify(event).split(JSON.stringify(slot));
  return Buffer.concat([Buffer.from(before), Buffer.from(replacement), Buffer.from(after)]);
}

/** The list the issue names: every one between good events, on every partition and in one HTTP body. */
export function strangeEvents(tenant: string): StrangeEvent[] {
  const list: StrangeEvent[] = [];
  let i = 0;
  type Made = Omit<TestEvent, 'occurred_at'> & { occurred_at: string | number };
  const add = (name: string, stored: boolean, make: (e: TestEvent) => Buffer | Made) => {
    const event = base(tenant, i++);
    const made = make(event);
    list.push({
      name,
      stored,
      event_id: event.event_id,
      bytes: Buffer.isBuffer(made) ? made : Buffer.from(JSON.stringify(made)),
    });
  };
  const slot = (e: TestEvent, field: string, text: string | Buffer) => spliced({ ...e, [field]: '@@' }, '@@', text);
  // Unpaired surrogates: JSON-escaped (valid UTF-8, valid JSON, not Unicode text) and raw (invalid UTF-8).
  add('a lone high surrogate, escaped', false, (e) => slot(e, 'contact_id', '"lone\\ud800surrogate"'));
  add('a lone low surrogate, escaped', false, (e) => slot(e, 'contact_id', '"lone\\udc00surrogate"'));
  add('a lone high surrogate, escaped, in a property', false, (e) =>
    spliced({ ...e, properties: { note: '@@' } }, '@@', '"x\\udbff"'),
  );
  add('a lone high surrogate, raw bytes', false, (e) =>
    slot(e, 'contact_id', Buffer.concat([Buffer.from('"lone'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"')])),
  );
  add('a lone low surrogate, raw bytes', false, (e) =>
    slot(e, 'contact_id', Buffer.concat([Buffer.from('"lone'), Buffer.from([0xed, 0xb0, 0x80]), Buffer.from('"')])),
  );
  add('other invalid UTF-8 (0xff)', false, (e) =>
    slot(e, 'campaign_id', Buffer.concat([Buffer.from('"c'), Buffer.from([0xff]), Buffer.from('"')])),
  );
  // Text that is Unicode, odd as it is: stored.
  add('U+FFFE and U+FFFF, escaped', true, (e) => slot(e, 'contact_id', '"nonchar-\\ufffe\\uffff"'));
  add('U+FFFE and U+FFFF, raw', true, (e) => ({ ...e, contact_id: 'nonchar-\ufffe\uffff-raw' }));
  add('control characters', true, (e) => ({
    ...e,
    campaign_id: 'ctl-\u0001\u0008\u001b\u001f\u007f',
    properties: { t: 'a\tb\r\nc' },
  }));
  add('a NUL character', false, (e) => slot(e, 'contact_id', '"nul-\\u0000"'));
  // Nesting far past any event's, where the neighbours must not notice.
  add('100,000 levels of nesting in a property', false, (e) =>
    slot(e, 'properties', `{"deep": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
  );
  add('100,000 levels of nesting as the event', false, () =>
    Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  );
  // Numbers at and past the range of each numeric column.
  add('value at the largest Decimal(18, 4) holds', true, (e) => ({ ...e, value: MAX_VALUE }));
  add('value at the smallest', true, (e) => ({ ...e, value: -MAX_VALUE }));
  add('value 1e14, past it', false, (e) => ({ ...e, value: 1e14 }));
  add('value -1e14, past it', false, (e) => ({ ...e, value: -1e14 }));
  add('value 1e308', false, (e) => slot(e, 'value', '1e308'));
  add('value 1e400 (Infinity to JavaScript)', false, (e) => slot(e, 'value', '1e400'));
  add('value with 20 decimals', true, (e) => slot(e, 'value', '0.12345678901234567890'));
  add('occurred_at at the earliest (2000-01-01)', true, (e) => ({ ...e, occurred_at: Date.UTC(2000, 0, 1) }));
  add('occurred_at just before it', false, (e) => ({ ...e, occurred_at: Date.UTC(2000, 0, 1) - 1 }));
  add('occurred_at 23 h ahead', true, (e) => ({ ...e, occurred_at: NOW + 23 * 3_600_000 }));
  add('occurred_at 25 h ahead', false, (e) => ({ ...e, occurred_at: NOW + 25 * 3_600_000 }));
  add('occurred_at 2^63', false, (e) => slot(e, 'occurred_at', '9223372036854775808'));
  add('a property number 1e308', true, (e) => ({ ...e, properties: { big: 1e308, small: -5e-324 } }));
  // The longest strings allowed, of 4-byte characters.
  add('the longest ids of 4-byte characters', true, (e) => ({
    ...e,
    contact_id: '😀'.repeat(256),
    campaign_id: '𝄞'.repeat(256),
    conversation_id: '🦄'.repeat(256),
  }));
  add('the longest property of 4-byte characters', true, (e) => ({
    ...e,
    properties: { ['🔑'.repeat(128)]: '🌍'.repeat(4096) },
  }));
  add('one 4-byte character too many', false, (e) => ({ ...e, contact_id: '😀'.repeat(257) }));
  return list;
}
