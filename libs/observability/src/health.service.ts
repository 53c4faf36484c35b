import { Injectable } from '@nestjs/common';

export type HealthCheck = () => Promise<{ ok: boolean; [detail: string]: unknown }>;

/** Modules register what /health reports about them (engine, migrations, rollups, consumer). */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
    const checks: Record<string, unknown> = {};
    let ok = true;
    for (const [name, check] of this.checks) {
      try {
        const result = await check();
        checks[name] = result;
        ok &&= result.ok;
      } catch (err) {
        checks[name] = { ok: false, error: err instanceof Error ? err.message : String(err) };
        ok = false;
      }
    }
    return { ok, checks };
  }
}
