import { KeyStore, type Role } from '@tallyhouse/auth';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { DemoLoader } from '@tallyhouse/demo';
import { RollupJob } from '@tallyhouse/rollups';
import { randomUUID } from 'node:crypto';
import { withBenchWarehouse } from './bench-warehouse';
import { CAMPAIGN_FUNNEL_COLUMNS, campaignFunnelSelects } from './generator';
import { fmtInt, loadLine, parseArgs, parseCount, table, writeResults } from './util';

/**
 * `npm run bench -- contention [--events 1M] [--seconds 30] [--export-rows 1M]`
 *
 * Whether analysts stall the warehouse: the warehouse (embedded engine) with
 * the demo data, its summaries built; three probes in a loop — a manager's
 * report, a one-event ingest, GET /health/live — first alone (idle), then
 * while (a) three tenants' analysts each run their heaviest allowed ad hoc
 * query (one that runs into SQL_MAX_EXECUTION_SECONDS) again and again, (b)
 * a 1,000,000-row XLSX export runs, (c) both. Percentiles per probe and
 * scenario, against the goals: report p95 ≤ 2 × idle p95 + 1 s, ingest p95
 * ≤ 1 s, /health/live always < 100 ms and never 503.
 */
const TENANTS = ['maple-valley-sd', 'nordlicht-moda', 'pulse-fitness'];
const HEAVY = 'SELECT sum(cityHash64(e.contact_id, n.number)) AS h FROM events AS e, numbers(100000) AS n';
const EXPORT_TENANT = 'bench-export';

interface Probe {
  name: string;
  run: () => Promise<number>;
  /** The goal under load, and whether `s` meets it (`idle`: the same probe's idle figures). */
  goal: (s: Stats, idle: Stats) => string;
}

interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  errors: number;
}

export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const events = parseCount(opts.get('events'), 1_000_000);
  const seconds = parseCount(opts.get('seconds'), 30);
  const exportRows = parseCount(opts.get('export-rows'), 1_000_000);
  await withBenchWarehouse('contention', {}, async (app, base) => {
    console.log(`loading ${fmtInt(events)} demo events and ${fmtInt(exportRows)} campaign rows to export…`);
    await app.get(DemoLoader).load({ events, seed: 7, now: new Date('2026-11-30T00:00:00Z') });
    const ch = app.get(ClickHouseService);
    const campaigns = 20;
    for (const select of campaignFunnelSelects(
      EXPORT_TENANT,
      Math.ceil(exportRows / campaigns),
      campaigns,
      Date.UTC(2026, 9, 1),
    )) {
      await ch.insertSelect('events', CAMPAIGN_FUNNEL_COLUMNS, select, { tag: 'bench:load' });
    }
    const job = app.get(RollupJob);
    job.settleMs = 0;
    await job.runRange();
    const keys = app.get(KeyStore);
    const key = async (role: Role, tenant: string | null) =>
      (await keys.create({ role, tenant, name: `bench ${role}`, createdBy: 'bench' })).key;
    const manager = await key('manager', TENANTS[1]);
    const exporter = await key('manager', EXPORT_TENANT);
    const analysts = await Promise.all(TENANTS.map((t) => key('analyst', t)));
    const ingester = await key('ingest', TENANTS[1]);

    const timed = async (send: () => Promise<Response>, ok = 200): Promise<number> => {
      const t0 = performance.now();
      const res = await send();
      await res.arrayBuffer();
      if (res.status !== ok) throw new Error(`${res.status}`);
      return performance.now() - t0;
    };
    const auth = (k: string) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });
    const probes: Probe[] = [
      {
        name: 'report (account-usage, 90 days by day)',
        run: () =>
          timed(() =>
            fetch(`${base}/v1/reports/account-usage?from=2026-09-01&to=2026-11-30&interval=day`, {
              headers: auth(manager),
            }),
          ),
        goal: (s, idle) => `p95 ≤ ${fmt(2 * idle.p95 + 1000)}: ${met(s.p95 <= 2 * idle.p95 + 1000)}`,
      },
      {
        name: 'ingest (one event)',
        run: () =>
          timed(() =>
            fetch(`${base}/v1/events`, {
              method: 'POST',
              headers: auth(ingester),
              body: JSON.stringify([
                {
                  event_id: randomUUID(),
                  tenant_id: TENANTS[1],
                  occurred_at: new Date().toISOString(),
                  type: 'user.login',
                  contact_id: 'bench-probe',
                },
              ]),
            }),
          ),
        goal: (s) => `p95 ≤ 1,000: ${met(s.p95 <= 1000)}`,
      },
      {
        name: 'GET /health/live',
        run: () => timed(() => fetch(`${base}/health/live`)),
        goal: (s) => `max < 100, no error: ${met(s.max < 100 && s.errors === 0)}`,
      },
    ];

    /** Each probe in turn, a pause between, until `ms` pass. */
    const measure = async (ms: number) => {
      const samples = new Map<string, number[]>(probes.map((p) => [p.name, []]));
      const errors = new Map<string, number>(probes.map((p) => [p.name, 0]));
      const until = Date.now() + ms;
      while (Date.now() < until) {
        for (const probe of probes) {
          try {
            samples.get(probe.name)!.push(await probe.run());
          } catch {
            errors.set(probe.name, errors.get(probe.name)! + 1);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return new Map(probes.map((p) => [p.name, stats(samples.get(p.name)!, errors.get(p.name)!)]));
    };

    const analystOutcomes = new Map<number, number>();
    const exportRuns: { ms: number; bytes: number }[] = [];
    /** Load that runs until `stop` is set: analysts' heavy queries, or exports one after another. */
    const analystLoad = (stop: { done: boolean }) =>
      analysts.map(async (k) => {
        let queries = 0;
        while (!stop.done) {
          const res = await fetch(`${base}/v1/sql`, {
            method: 'POST',
            headers: auth(k),
            body: JSON.stringify({ sql: HEAVY }),
          });
          await res.arrayBuffer();
          analystOutcomes.set(res.status, (analystOutcomes.get(res.status) ?? 0) + 1);
          queries++;
          if (res.status === 429)
            await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
        }
        return queries;
      });
    const exportLoad = (stop: { done: boolean }) => [
      (async () => {
        let exports = 0;
        while (!stop.done) {
          const t0 = performance.now();
          const res = await fetch(`${base}/v1/exports?delivery=stream`, {
            method: 'POST',
            headers: auth(exporter),
            body: JSON.stringify({
              report: 'campaign-performance',
              format: 'xlsx',
              reason: 'bench',
              params: { from: '2026-10-01', to: '2026-11-01', view: 'contacts', kind: 'campaign' },
            }),
          });
          const bytes = (await res.arrayBuffer()).byteLength;
          if (res.status !== 200) throw new Error(`the export answered ${res.status}`);
          exportRuns.push({ ms: performance.now() - t0, bytes });
          exports++;
        }
        return exports;
      })(),
    ];

    const scenarios: [string, ((stop: { done: boolean }) => Promise<number>[])[]][] = [
      ['idle', []],
      ['(a) 3 analysts, heaviest ad hoc query', [analystLoad]],
      [`(b) a ${fmtInt(exportRows)}-row XLSX export`, [exportLoad]],
      ['(c) both', [analystLoad, exportLoad]],
    ];
    const results: Record<string, Record<string, Stats>> = {};
    for (const [name, loads] of scenarios) {
      const stop = { done: false };
      const running = loads.flatMap((l) => l(stop));
      await new Promise((r) => setTimeout(r, loads.length ? 2000 : 0)); // the load under way
      results[name] = Object.fromEntries(await measure(seconds * 1000));
      stop.done = true;
      await Promise.all(running);
      console.log(`${name}: measured ${seconds} s`);
    }

    const rows: string[][] = [['scenario', 'probe', 'n', 'p50 ms', 'p95 ms', 'max ms', 'errors', 'goal']];
    for (const [scenario, byProbe] of Object.entries(results)) {
      for (const probe of probes) {
        const s = byProbe[probe.name];
        const goal = probe.goal(s, results.idle[probe.name]);
        rows.push([scenario, probe.name, String(s.n), fmt(s.p50), fmt(s.p95), fmt(s.max), String(s.errors), goal]);
      }
    }
    console.log(`\n${table(rows)}\n`);
    const outcomes = [...analystOutcomes].map(([status, n]) => `${fmtInt(n)} × ${status}`).join(', ');
    console.log(`analysts' queries: ${outcomes || 'none'} (408: ran into the time limit, as meant)`);
    const exportMs = exportRuns.map((r) => r.ms);
    console.log(
      `exports of ${fmtInt(exportRows)} rows: ${exportRuns.length} done, ` +
        `${fmt(Math.min(...exportMs) / 1000)}–${fmt(Math.max(...exportMs) / 1000)} s each, ` +
        `${fmt(Math.max(...exportRuns.map((r) => r.bytes)) / 1e6)} MB`,
    );
    console.log(loadLine('end'));
    console.log(
      `results written to ${writeResults('contention', { events, seconds, exportRows, results, analystOutcomes: Object.fromEntries(analystOutcomes), exportRuns })}`,
    );
  });
}

function stats(xs: number[], errors: number): Stats {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: xs.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN, errors };
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toLocaleString('en-US', { maximumFractionDigits: ms < 100 ? 1 : 0 }) : '–';
}

function met(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}
