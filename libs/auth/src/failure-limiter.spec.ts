import { FailureLimiter } from './failure-limiter';

describe('FailureLimiter', () => {
  it('blocks an address after the limit within a minute, and lets it in again when the failures age out', () => {
    const limiter = new FailureLimiter(3);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) limiter.fail('10.0.0.1', t0 + i * 1000);
    expect(limiter.blockedFor('10.0.0.1', t0 + 3000)).toBe(57);
    expect(limiter.blockedFor('10.0.0.2', t0 + 3000)).toBe(0);
    expect(limiter.blockedFor('10.0.0.1', t0 + 60_001)).toBe(0);
  });
});
