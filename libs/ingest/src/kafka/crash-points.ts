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
