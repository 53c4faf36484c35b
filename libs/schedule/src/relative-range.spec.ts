import { resolveRelativeRange } from './relative-range';
import { RELATIVE_RANGES } from './schedule.types';

describe('resolveRelativeRange', () => {
  // Monday 2026-03-02 06:00 in Berlin is 05:00 UTC.
  const monday = new Date('2026-03-02T05:00:00Z');

  it.each([
    ['yesterday', '2026-03-01', '2026-03-02'],
    ['today', '2026-03-02', '2026-03-03'],
    ['last_7_days', '2026-02-23', '2026-03-02'],
    ['last_30_days', '2026-01-31', '2026-03-02'],
    ['last_full_week', '2026-02-23', '2026-03-02'],
    ['last_full_month', '2026-02-01', '2026-03-01'],
    ['month_to_date', '2026-03-01', '2026-03-03'],
    ['last_full_quarter', '2025-10-01', '2026-01-01'],
    ['last_full_year', '2025-01-01', '2026-01-01'],
  ] as const)('%s at Monday 06:00 in Berlin is %s to %s', (range, from, to) => {
    expect(resolveRelativeRange(range, 'Europe/Berlin', monday)).toEqual({ from, to });
  });

  it('knows every range it offers', () => {
    for (const range of RELATIVE_RANGES) expect(resolveRelativeRange(range, 'UTC', monday).from).toMatch(/^\d{4}/);
  });

  it('takes the date in the schedule’s zone, not UTC’s', () => {
    // 2026-03-31 23:30 UTC is already April 1st in Berlin and Kathmandu, still March 31st in New York.
    const at = new Date('2026-03-31T23:30:00Z');
    expect(resolveRelativeRange('last_full_month', 'Europe/Berlin', at)).toEqual({
      from: '2026-03-01',
      to: '2026-04-01',
    });
    expect(resolveRelativeRange('last_full_month', 'Asia/Kathmandu', at)).toEqual({
      from: '2026-03-01',
      to: '2026-04-01',
    });
    expect(resolveRelativeRange('last_full_month', 'America/New_York', at)).toEqual({
      from: '2026-02-01',
      to: '2026-03-01',
    });
  });

  it('counts calendar days across a DST change (a local day of 23 hours is still one day)', () => {
    // Europe/Berlin springs forward on 2026-03-29; 06:00 local on the 30th.
    const at = new Date('2026-03-30T04:00:00Z');
    expect(resolveRelativeRange('yesterday', 'Europe/Berlin', at)).toEqual({ from: '2026-03-29', to: '2026-03-30' });
    expect(resolveRelativeRange('last_7_days', 'Europe/Berlin', at)).toEqual({ from: '2026-03-23', to: '2026-03-30' });
  });

  it('starts weeks on Monday, also when the tick is on a Sunday', () => {
    const sunday = new Date('2026-03-08T12:00:00Z');
    expect(resolveRelativeRange('last_full_week', 'UTC', sunday)).toEqual({ from: '2026-02-23', to: '2026-03-02' });
  });

  it('rolls months and years over in January', () => {
    const january = new Date('2027-01-15T12:00:00Z');
    expect(resolveRelativeRange('last_full_month', 'UTC', january)).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(resolveRelativeRange('last_full_quarter', 'UTC', january)).toEqual({ from: '2026-10-01', to: '2027-01-01' });
  });
});
