/**
 * Who waits for the embedded engine, and who goes next. chDB runs one query
 * at a time and cannot interrupt one, so the order of the waiting calls is
 * the one thing to choose: by class, in this priority —
 *
 * - ingest: the event writer, dead letters, the Kafka consumer (a producer waits);
 * - interactive: reports, the web page, key and health checks, schedules;
 * - export: the page queries of an export (long runs of short queries);
 * - background: the rollup job's builds;
 * - adhoc: analysts' SQL.
 *
 * A waiting report never queues behind waiting export or ad hoc work; a call
 * that has waited longer than STARVATION_MS goes next whatever its class, so
 * no lane waits forever behind a busy one above it.
 */
export const LANES = ['ingest', 'interactive', 'export', 'background', 'adhoc'] as const;
export type Lane = (typeof LANES)[number];

/** A waiting call that waited this long goes next, whatever its lane. */
const STARVATION_MS = 10_000;

interface Waiting {
  lane: Lane;
  tag: string;
  since: number;
  start: () => void;
}

// A type, not an interface: it is reported as a health check's details (an index signature).
export type LaneState = {
  /** The call on the engine now: its lane, tag and how long it has run. */
  running: { lane: Lane; tag: string; ms: number } | null;
  /** Per lane: calls waiting and how long the oldest has waited. */
  waiting: Record<Lane, { calls: number; oldest_ms: number }>;
};

/** The lane a call's tag implies when it names none. */
export function laneOfTag(tag: string): Lane {
  const head = tag.split(':', 1)[0];
  if (['writer', 'dead-letters', 'kafka', 'demo', 'import'].includes(head)) return 'ingest';
  if (head === 'rollups' && !tag.startsWith('rollups:read')) return 'background';
  if (head === 'sql') return 'adhoc';
  return 'interactive';
}

export class EngineLanes {
  private running: { lane: Lane; tag: string; since: number } | null = null;
  private readonly waiting = new Map<Lane, Waiting[]>(LANES.map((l) => [l, []]));

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `call` when the engine is free and it is this call's turn. */
  async run<T>(lane: Lane, tag: string, call: () => Promise<T>): Promise<T> {
    await this.turn(lane, tag);
    try {
      return await call();
    } finally {
      this.running = null;
      this.next()?.start();
    }
  }

  /** Milliseconds the oldest call of `lane` has waited (0: none waits). */
  waitedMs(lane: Lane): number {
    const first = this.waiting.get(lane)![0];
    return first ? this.now() - first.since : 0;
  }

  state(): LaneState {
    const now = this.now();
    const waiting = {} as LaneState['waiting'];
    for (const lane of LANES) {
      const calls = this.waiting.get(lane)!;
      waiting[lane] = { calls: calls.length, oldest_ms: calls.length ? now - calls[0].since : 0 };
    }
    const r = this.running;
    return { running: r ? { lane: r.lane, tag: r.tag, ms: now - r.since } : null, waiting };
  }

  private turn(lane: Lane, tag: string): Promise<void> {
    if (!this.running && LANES.every((l) => this.waiting.get(l)!.length === 0)) {
      this.running = { lane, tag, since: this.now() };
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.get(lane)!.push({
        lane,
        tag,
        since: this.now(),
        start: () => {
          this.running = { lane, tag, since: this.now() };
          resolve();
        },
      });
    });
  }

  /** The oldest call if it starved, else the first call of the highest lane with one. */
  private next(): Waiting | undefined {
    const now = this.now();
    let oldest: Waiting | undefined;
    for (const lane of LANES) {
      const first = this.waiting.get(lane)![0];
      if (first && (!oldest || first.since < oldest.since)) oldest = first;
    }
    if (!oldest) return undefined;
    const chosen =
      now - oldest.since >= STARVATION_MS
        ? oldest
        : LANES.map((l) => this.waiting.get(l)![0]).find((w) => w !== undefined)!;
    this.waiting.get(chosen.lane)!.shift();
    return chosen;
  }
}

/** A lane is saturated when its oldest call has waited this long. */
const SATURATED_MS = 2_000;
/** Readiness fails when ingest or interactive calls wait this long (an ad hoc or export backlog never fails it). */
const NOT_READY_MS = 10_000;

/**
 * The lanes as a readiness check: the call running, and per lane the calls
 * waiting and the oldest wait; `saturated` names the lanes whose oldest call
 * waited SATURATED_MS; not ok only when ingest or interactive calls stopped moving.
 */
export function lanesHealth(state: LaneState): LaneState & { ok: boolean; saturated: Lane[] } {
  const saturated = LANES.filter((lane) => state.waiting[lane].oldest_ms >= SATURATED_MS);
  const stuck = Math.max(state.waiting.ingest.oldest_ms, state.waiting.interactive.oldest_ms) >= NOT_READY_MS;
  return { ok: !stuck, saturated, ...state };
}
