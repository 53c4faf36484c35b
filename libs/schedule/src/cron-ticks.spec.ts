import { cronProblem, latestTick, nextTick } from './cron-ticks';

describe('cron ticks in a zone', () => {
  it('finds the latest tick at or before now, a tick exactly at now included', () => {
    const tick = new Date('2026-12-01T05:00:00Z'); // 06:00 in Berlin, winter
    expect(latestTick('0 6 1 * *', 'Europe/Berlin', tick)).toEqual(tick);
    expect(latestTick('0 6 1 * *', 'Europe/Berlin', new Date(tick.getTime() - 1))).toEqual(
      new Date('2026-11-01T05:00:00Z'),
    );
  });

  it('follows the zone across DST: 06:00 local is 04:00 UTC in summer', () => {
    expect(nextTick('0 6 * * *', 'Europe/Berlin', new Date('2026-07-01T00:00:00Z'))).toEqual(
      new Date('2026-07-01T04:00:00Z'),
    );
    expect(nextTick('0 6 * * *', 'Asia/Kathmandu', new Date('2026-07-01T00:00:00Z'))).toEqual(
      new Date('2026-07-01T00:15:00Z'),
    );
  });

  it('says what is wrong with a bad expression', () => {
    expect(cronProblem('61 * * * *', 'UTC')).toMatch(/./);
    expect(cronProblem('0 6 1 * *', 'UTC')).toBeNull();
  });

  it('refuses a seconds field: a schedule runs at most once a minute', () => {
    expect(cronProblem('* * * * * *', 'UTC')).toMatch(/five fields/);
    expect(cronProblem('*/5 * * * * *', 'UTC')).toMatch(/five fields/);
    expect(cronProblem('* * * *', 'UTC')).toMatch(/five fields/);
    expect(cronProblem('* * * * *', 'UTC')).toBeNull();
    expect(cronProblem('@daily', 'UTC')).toBeNull();
  });
});
