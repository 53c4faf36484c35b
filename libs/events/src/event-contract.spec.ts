import { EventContract } from './event-contract';

const now = Date.UTC(2026, 10, 23, 12);
const contract = new EventContract({ maxFutureMs: 24 * 3_600_000, now: () => now });
const event = (occurred_at: unknown) => ({
  event_id: '0b8f5a52-3c1e-4a53-9a39-1f2d7c0e9b11',
  tenant_id: 'acme',
  occurred_at,
  type: 'message.sent',
  contact_id: 'c1',
});

describe('EventContract: occurred_at', () => {
  it.each(['2026-11-01T10:00:00Z', '2026-11-01T10:00:00.123+05:45', '2024-02-29T00:00:00-05:00', Date.UTC(2026, 0, 1)])(
    'accepts %s',
    (t) => expect(contract.validate(event(t)).ok).toBe(true),
  );

  it.each([
    ['2026-02-30T10:00:00Z', 'is not a valid date'],
    ['2025-02-29T10:00:00Z', 'is not a valid date'],
    ['2026-04-31T10:00:00Z', 'is not a valid date'],
    ['2026-01-01T24:00:00Z', 'is not a valid date'],
    ['2026-11-01T10:00:00', 'ISO 8601 instant with a zone'],
    [1_700_000_000, 'before 2000-01-01'],
    ['2026-11-25T13:00:00Z', 'in the future'],
  ])('rejects %s (%s)', (t, reason) => {
    const result = contract.validate(event(t));
    expect(result).toMatchObject({ ok: false, error: { field: 'occurred_at' } });
    if (!result.ok) expect(result.error.reason).toContain(reason);
  });
});

describe('EventContract: what the engine can store', () => {
  const base = event('2026-11-01T10:00:00Z');
  it.each([
    ['a lone high surrogate', { contact_id: 'lone\ud800surrogate' }, 'contact_id'],
    ['a lone low surrogate', { campaign_id: 'x\udc00' }, 'campaign_id'],
    ['a high surrogate at the end', { org_unit: 'school\ud83d' }, 'org_unit'],
    ['a surrogate in a property value', { properties: { note: 'a\udfffb' } }, 'properties.note'],
    ['a surrogate in a property name', { properties: { ['k\ud800']: 'v' } }, 'properties'],
    ['value at the column’s limit', { value: 1e14 }, 'value'],
    ['value past it, negative', { value: -1e14 }, 'value'],
    ['value far past it', { value: 1e300 }, 'value'],
  ])('refuses %s, naming the field', (_name, extra, field) => {
    expect(contract.validate({ ...base, ...extra })).toMatchObject({ ok: false, error: { field } });
  });

  it.each([
    ['a surrogate pair (an emoji)', { contact_id: 'c\ud83d\ude00' }],
    ['U+FFFE and U+FFFF', { contact_id: '\ufffe\uffff' }],
    ['control characters but NUL', { contact_id: 'a\u0001\u001f\u007fb', properties: { t: 'x\ty\nz' } }],
    ['the largest value the column holds', { value: 99_999_999_999_999.98 }],
    ['256 four-byte characters', { contact_id: '😀'.repeat(256) }],
  ])('accepts %s', (_name, extra) => {
    expect(contract.validate({ ...base, ...extra }).ok).toBe(true);
  });
});
