import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentDeliveryError } from './delivery-errors';

export interface RetryPolicy {
  /** Tries, the first included. */
  attempts: number;
  /** Wait before the first retry, ms; doubled for each next one. */
  baseDelayMs: number;
}

export type Tried<T> = { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number };

/** Told of each failed try that will be tried again, and after how long. */
export type RetryListener = (attempt: number, error: unknown, delayMs: number) => void;

/**
 * Runs `work` until it succeeds, `policy.attempts` tries are used up, or it
 * throws a PermanentDeliveryError. Never throws: the last error is returned.
 */
export async function withRetries<T>(
  work: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry?: RetryListener,
): Promise<Tried<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await work(attempt), attempts: attempt };
    } catch (error) {
      if (attempt >= policy.attempts || error instanceof PermanentDeliveryError) {
        return { ok: false, error, attempts: attempt };
      }
      const delayMs = backoffDelay(attempt, policy.baseDelayMs);
      onRetry?.(attempt, error, delayMs);
      await sleep(delayMs);
    }
  }
}

/**
 * The wait after failed try number `attempt`: base, 2×base, 4×base, ... each
 * ±20% at random, so targets that failed together do not retry in step.
 */
export function backoffDelay(attempt: number, baseDelayMs: number, random: () => number = Math.random): number {
  const nominal = baseDelayMs * 2 ** (attempt - 1);
  return Math.round(nominal * (0.8 + 0.4 * random()));
}
