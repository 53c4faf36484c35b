import { Injectable } from '@nestjs/common';

export type HealthCheck = () => Promise<{ ok: boolean; [detail: string]: unknown }>;

type CheckResult = { ok: boolean; [detail: string]: unknown };

/**
 * How long /health waits for a check that answered before. The embedded engine
 * runs one query at a time, so while an ad hoc query runs into its time limit
 * a check's query waits behind it; /health then answers at once with that
 * check's last result (marked `stale_ms`) instead of hanging with the engine.
 */
const ANSWER_WITHIN_MS = 50;
/** A last result older than this no longer counts as ok. */
const STALE_LIMIT_MS = 30_000;

/** Modules register what /health reports about them (engine, migrations, rollups, consumer). */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly last = new Map<string, { result: CheckResult; at: number }>();
  private readonly running = new Map<string, Promise<CheckResult>>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
    const names = [...this.checks.keys()];
    const results = await Promise.all(names.map((name) => this.answer(name)));
    const checks: Record<string, unknown> = {};
    let ok = true;
    names.forEach((name, i) => {
      checks[name] = results[i];
      ok &&= results[i].ok;
    });
    return { ok, checks };
  }

  private async answer(name: string): Promise<CheckResult> {
    const fresh = this.run(name);
    const known = this.last.get(name);
    if (!known) return fresh;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        const stale = Date.now() - known.at;
        // A check that has not answered for long is a failure, not a busy engine.
        resolve({ ...known.result, ok: known.result.ok && stale < STALE_LIMIT_MS, stale_ms: stale });
      }, ANSWER_WITHIN_MS);
    });
    try {
      return await Promise.race([fresh, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One run of a check at a time; a slow one keeps running and updates the last result when it answers. */
  private run(name: string): Promise<CheckResult> {
    const inFlight = this.running.get(name);
    if (inFlight) return inFlight;
    const check = this.checks.get(name)!;
    const run = (async (): Promise<CheckResult> => {
      try {
        return await check();
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    })().then((result) => {
      this.last.set(name, { result, at: Date.now() });
      this.running.delete(name);
      return result;
    });
    this.running.set(name, run);
    return run;
  }
}
