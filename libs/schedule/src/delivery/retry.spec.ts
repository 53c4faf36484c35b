import { PermanentDeliveryError } from './delivery-errors';
import { backoffDelay, withRetries } from './retry';

describe('withRetries', () => {
  it('waits base, 2×base, 4×base (±20%) between attempts', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, 1000, () => 0.5))).toEqual([1000, 2000, 4000]);
    expect(backoffDelay(1, 1000, () => 0)).toBe(800);
    expect(backoffDelay(3, 1000, () => 1)).toBe(4800);
  });

  it('returns the value and the attempts it took', async () => {
    let calls = 0;
    const tried = await withRetries(
      async () => {
        if (++calls < 3) throw new Error(`failure ${calls}`);
        return 'done';
      },
      { attempts: 4, baseDelayMs: 1 },
    );
    expect(tried).toEqual({ ok: true, value: 'done', attempts: 3 });
  });

  it('returns the last error after the last attempt, and stops at once on a permanent error', async () => {
    let calls = 0;
    const failing = await withRetries(
      async () => {
        throw new Error(`failure ${++calls}`);
      },
      { attempts: 3, baseDelayMs: 1 },
    );
    expect(failing).toMatchObject({ ok: false, attempts: 3, error: new Error('failure 3') });

    const permanent = await withRetries(
      async () => {
        throw new PermanentDeliveryError('not configured');
      },
      { attempts: 3, baseDelayMs: 1 },
    );
    expect(permanent).toMatchObject({ ok: false, attempts: 1 });
  });
});
