/**
 * Failed authentications per client address in a sliding minute. Past the
 * limit an address is refused (429) until its oldest failure ages out, even
 * with a good key: guessing gets no answers.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds until the address may try again; 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const times = this.recent(address, now);
    if (times.length < this.perMinute) return 0;
    return Math.max(1, Math.ceil((times[0] + this.windowMs - now) / 1000));
  }

  fail(address: string, now = Date.now()): void {
    const times = this.recent(address, now);
    times.push(now);
    this.failures.set(address, times);
    // Bounded memory under a spray of addresses: forget the quietest first.
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value as string);
  }

  private recent(address: string, now: number): number[] {
    const times = (this.failures.get(address) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length === 0) this.failures.delete(address);
    else this.failures.set(address, times);
    return times;
  }
}
