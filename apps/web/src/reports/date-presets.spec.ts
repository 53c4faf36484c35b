import { presetRange, todayIn } from './date-presets';

describe('date presets', () => {
  it('give from (inclusive) and to (exclusive) as local days, ending with today', () => {
    expect(presetRange('last_7_days', '2026-03-02')).toEqual({ from: '2026-02-24', to: '2026-03-03' });
    expect(presetRange('last_30_days', '2026-12-01')).toEqual({ from: '2026-11-02', to: '2026-12-02' });
    expect(presetRange('month_to_date', '2026-12-01')).toEqual({ from: '2026-12-01', to: '2026-12-02' });
    expect(presetRange('last_full_month', '2026-01-15')).toEqual({ from: '2025-12-01', to: '2026-01-01' });
    expect(presetRange('last_full_month', '2024-03-31')).toEqual({ from: '2024-02-01', to: '2024-03-01' });
  });

  it("take today in the tenant's zone, which may be another day than UTC's", () => {
    const now = new Date('2026-11-30T20:00:00Z');
    expect(todayIn('UTC', now)).toBe('2026-11-30');
    expect(todayIn('Asia/Kathmandu', now)).toBe('2026-12-01'); // +05:45
    expect(todayIn('America/New_York', now)).toBe('2026-11-30');
  });
});
