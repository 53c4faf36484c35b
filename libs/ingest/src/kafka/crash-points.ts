/**
 * Where the crash tests kill the consumer process for real (SIGKILL, no
 * cleanup), named so a test can aim at each step of storing a range.
 * Armed only by TALLYHOUSE_CRASH_POINTS, e.g. "after-insert:0.2,during-insert:0.1":
 * at each point the process dies with that probability. Never set in production.
 */
export type CrashPoint = 'before-insert' | 'during-insert' | 'after-insert' | 'after-dead-letters';

const armed = parse(process.env.TALLYHOUSE_CRASH_POINTS ?? '');

function parse(spec: string): Map<string, number> {
  const points = new Map<string, number>();
  for (const part of spec.split(',').filter(Boolean)) {
    const [name, p] = part.split(':');
    points.set(name.trim(), Number(p ?? 1));
  }
  return points;
}

function die(point: CrashPoint): never {
  process.stderr.write(`crash point ${point}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

export function crashPoint(point: CrashPoint): void {
  const p = armed.get(point);
  if (p !== undefined && Math.random() < p) die(point);
}

/** While `work` runs, maybe die after a random delay: a kill in the middle of an engine insert. */
export async function crashDuring<T>(point: CrashPoint, work: () => Promise<T>): Promise<T> {
  const p = armed.get(point);
  const timer = p !== undefined && Math.random() < p ? setTimeout(() => die(point), Math.random() * 40) : null;
  try {
    return await work();
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Test only: the consumer fails to store ranges of the partitions listed in
 * TALLYHOUSE_FAULT_PARTITIONS (read at each call, so a test can lift it), as
 * an engine refusing them would: the stall detection and the other partitions'
 * progress are shown with it. Never set in production.
 */
export function partitionFault(partition: number): void {
  const listed = (process.env.TALLYHOUSE_FAULT_PARTITIONS ?? '').split(',').filter(Boolean).map(Number);
  if (listed.includes(partition)) {
    throw new Error(`partition ${partition} refused by a test fault (TALLYHOUSE_FAULT_PARTITIONS)`);
  }
}
