import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseService, createEngineClient, MigrationRunner } from '@tallyhouse/clickhouse';

/** `--name value` options; numbers accept 200k, 2M, 2_000_000. */
export function parseArgs(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument: ${a}`);
    const [key, inline] = a.slice(2).split('=', 2);
    if (inline !== undefined) out.set(key, inline);
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) out.set(key, args[++i]);
    else out.set(key, 'true');
  }
  return out;
}

export function parseCount(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(value.replace(/_/g, ''));
  if (!m) throw new Error(`not a count: ${value}`);
  const mult = m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1_000 : 1_000_000;
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`not a positive count: ${value}`);
  return n;
}

export function freshDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `tallyhouse-bench-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** An embedded engine on its own data dir, with the schema migrated. */
export async function openEngine(dataDir: string): Promise<ClickHouseService> {
  const { client, kind } = createEngineClient({ dataDir });
  const ch = new ClickHouseService(client, kind);
  await new MigrationRunner(ch).migrate();
  return ch;
}

export function seconds(fromNs: bigint): number {
  return Number(process.hrtime.bigint() - fromNs) / 1e9;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A plain text table: first row is the header, numbers right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (/^[-\d.,×x%s ]+$/.test(cell) && c > 0 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The machine's load, printed with every figure: a busy machine explains a slow run. */
export function loadLine(when: string): string {
  return `${cpus().length} CPUs; load average ${when}: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;
}

/** Writes a run's figures to bench/out/<name>-<time>.json and returns the path. */
export function writeResults(name: string, payload: unknown): string {
  const outDir = join(__dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(payload, null, 2));
  return file;
}
