import { ZoneClock } from './zone-clock';

const wall = (zone: string, instant: string) => new ZoneClock(zone).wallClock(new Date(instant)).toISOString();

describe('ZoneClock', () => {
  it.each([
    // Europe/Berlin, spring: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    ['Europe/Berlin', '2026-03-29T00:59:59.999Z', '2026-03-29T01:59:59.999Z'],
    ['Europe/Berlin', '2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000Z'],
    // Autumn: 02:30 happens twice.
    ['Europe/Berlin', '2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00.000Z'],
    ['Europe/Berlin', '2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00.000Z'],
    ['Asia/Kathmandu', '2026-03-29T01:30:00.000Z', '2026-03-29T07:15:00.000Z'],
    // Kathmandu moved from +05:30 to +05:45 on 1986-01-01.
    ['Asia/Kathmandu', '1985-12-31T18:29:59.000Z', '1985-12-31T23:59:59.000Z'],
    ['Asia/Kathmandu', '1985-12-31T18:30:00.000Z', '1986-01-01T00:15:00.000Z'],
    // ... and from local mean time (+05:41:16) to +05:30 mid-quarter-hour, which the cache must not blur.
    ['Asia/Kathmandu', '1919-12-31T18:18:43.000Z', '1919-12-31T23:59:59.000Z'],
    ['Asia/Kathmandu', '1919-12-31T18:18:44.000Z', '1919-12-31T23:48:44.000Z'],
    ['America/St_Johns', '2026-07-01T12:00:00.000Z', '2026-07-01T09:30:00.000Z'],
    ['UTC', '2026-07-01T12:00:00.123Z', '2026-07-01T12:00:00.123Z'],
  ])('%s at %s reads %s', (zone, instant, expected) => {
    expect(wall(zone, instant)).toBe(expected);
  });

  it('gives the same answer from its cache', () => {
    const clock = new ZoneClock('Europe/Berlin');
    const start = Date.UTC(2026, 2, 29, 0, 50);
    const first = Array.from({ length: 40 }, (_, i) => clock.wallClock(new Date(start + i * 60_000)).getTime());
    const again = Array.from({ length: 40 }, (_, i) => clock.wallClock(new Date(start + i * 60_000)).getTime());
    expect(again).toEqual(first);
    expect(first[9] - start).toBe(9 * 60_000 + 3_600_000); // 00:59 UTC: CET
    expect(first[10] - start).toBe(10 * 60_000 + 7_200_000); // 01:00 UTC: CEST
  });

  it('rejects a zone Intl does not know', () => {
    expect(() => new ZoneClock('Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
