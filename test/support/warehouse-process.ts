import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * `npm start` as a real process on a given data directory and port (no demo data, no Kafka unless env
 * says): through scripts/run-as-user.sh as npm start is, which execs (same pid) as RUN_AS_USER when the
 * tests run as root.
 */
export function startWarehouseProcess(dataDir: string, port: number, env: Record<string, string> = {}): ChildProcess {
  return spawn(
    'bash',
    [
      'scripts/run-as-user.sh',
      process.execPath,
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      'apps/warehouse/src/main.ts',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        DEMO_DATA: 'false',
        ROLLUP_SCHEDULER: 'false',
        SCHEDULES_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: '',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

export async function waitHealthy(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`warehouse exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('warehouse did not become healthy');
}

/** Sends `signal` and resolves when the process is gone (at once if it already is). */
export const stopProcess = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

export const isRunning = (child: ChildProcess | undefined): child is ChildProcess =>
  !!child && child.exitCode === null && child.signalCode === null;

/** The first admin key of a data directory, made by the CLI as its owner (before a warehouse owns it). */
export function createAdminKey(dataDir: string): string {
  return execFileSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      'apps/warehouse/src/cli.ts',
      'keys',
      'create',
      '--role',
      'admin',
    ],
    { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', KAFKA_BROKERS: '' }, encoding: 'utf8' },
  ).trim();
}

/** The user id a process runs as (from /proc). */
export function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}
