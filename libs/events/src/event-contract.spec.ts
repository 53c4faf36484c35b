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
