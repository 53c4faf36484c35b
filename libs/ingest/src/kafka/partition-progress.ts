import type { OffsetRange } from './kafka-insert-plans';

/** What /health says of a partition that has messages but has stored none of them for too long. */
export interface PartitionStall {
  partition: number;
  /** The range it keeps trying (null: it has not cut one yet). */
  first: number | null;
  last: number | null;
  /** Since when it has had messages and stored none (ISO 8601). */
  since: string;
  seconds: number;
  attempts: number;
  last_error: string | null;
}

interface Progress {
  /** When the partition last had nothing waiting, or last stored a range (ms). */
  movedAt: number;
  waiting: boolean;
  range: OffsetRange | null;
  attempts: number;
  error: string | null;
}

/**
 * Per partition: whether messages wait, since when nothing was stored, the
 * range being tried and its last error. A partition is stalled when messages
 * have waited longer than the stall limit without a range being stored: it is
 * named on /health with its offsets and error, while the others go on.
 */
export class PartitionProgress {
  private readonly partitions = new Map<number, Progress>();

  constructor(
    private readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Messages arrived for `partition` (the clock starts if nothing was waiting). */
  waiting(partition: number): void {
    const p = this.get(partition);
    if (!p.waiting) Object.assign(p, { waiting: true, movedAt: this.now(), attempts: 0, error: null });
  }

  trying(partition: number, range: OffsetRange): void {
    const p = this.get(partition);
    p.range = range;
    p.attempts++;
  }

  failed(partition: number, error: string): void {
    this.get(partition).error = error;
  }

  /** A range was stored and committed; `more` says whether messages still wait. */
  stored(partition: number, more: boolean): void {
    Object.assign(this.get(partition), { movedAt: this.now(), waiting: more, range: null, attempts: 0, error: null });
  }

  /** The partition is no longer this consumer's (a rebalance), or its buffer was dropped. */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  stalls(): PartitionStall[] {
    const now = this.now();
    const stalls: PartitionStall[] = [];
    for (const [partition, p] of this.partitions) {
      if (!p.waiting || now - p.movedAt < this.stallMs) continue;
      stalls.push({
        partition,
        first: p.range?.first ?? null,
        last: p.range?.last ?? null,
        since: new Date(p.movedAt).toISOString(),
        seconds: Math.round((now - p.movedAt) / 1000),
        attempts: p.attempts,
        last_error: p.error,
      });
    }
    return stalls.sort((a, b) => a.partition - b.partition);
  }

  /** Seconds each known partition has waited without storing (0 when nothing waits). */
  waitedSeconds(): Map<number, number> {
    const now = this.now();
    return new Map([...this.partitions].map(([partition, p]) => [partition, p.waiting ? (now - p.movedAt) / 1000 : 0]));
  }

  private get(partition: number): Progress {
    let p = this.partitions.get(partition);
    if (!p) {
      p = { movedAt: this.now(), waiting: false, range: null, attempts: 0, error: null };
      this.partitions.set(partition, p);
    }
    return p;
  }
}
