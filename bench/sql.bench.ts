import { KeyStore } from '@tallyhouse/auth';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { DemoLoader } from '@tallyhouse/demo';
import { withBenchWarehouse } from './bench-warehouse';
import { fmtInt, loadLine, median, parseArgs, parseCount, table, writeResults } from './util';

/**
 * `npm run bench -- sql [--events 200k] [--runs 30]`
 *
 * 1. Overhead of POST /v1/sql over the raw engine for the same query: the
 *    endpoint (HTTP, key check, EXPLAIN AST, EXPLAIN QUERY TREE, sealed run,
 *    JSON) against the wrapper running the same SELECT with the tenant
 *    condition written in. Interleaved, median of --runs each.
 * 2. /health latency while an ad hoc query runs into its time limit and is
 *    cancelled by the engine.
 */
const TENANT = 'nordlicht-moda';
const QUERIES: Record<string, string> = {
  count: 'SELECT count() AS n FROM events',
  'group by type, exact uniques':
    'SELECT type, count() AS n, uniqExact(contact_id) AS contacts FROM events GROUP BY type ORDER BY type',
  '100 rows': 'SELECT event_id, occurred_at, type, contact_id FROM events ORDER BY occurred_at LIMIT 100',
};
const SLOW = 'SELECT count() FROM numbers(100000) a, numbers(100000) b';

export async function run(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const events = parseCount(opts.get('events'), 200_000);
  const runs = parseCount(opts.get('runs'), 30);
  await withBenchWarehouse('sql', { SQL_MAX_EXECUTION_SECONDS: '3' }, async (app, base) => {
    console.log(`loading ${fmtInt(events)} demo events…`);
    await app.get(DemoLoader).load({ events, seed: 7, now: new Date('2026-11-30T00:00:00Z') });
    const key = (await app.get(KeyStore).create({ role: 'analyst', tenant: TENANT, name: 'bench', createdBy: 'bench' }))
      .key;
    const ch = app.get(ClickHouseService);
    const post = async (sql: string) => {
      const res = await fetch(`${base}/v1/sql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      });
      const body = (await res.json()) as { rows_count?: number; message?: string };
      if (res.status !== 200) throw new Error(`${res.status}: ${body.message}`);
      return body.rows_count ?? 0;
    };
    const raw = async (sql: string) => {
      // The same SELECT with the tenant written in, straight through the wrapper (no HTTP, no checks).
      const own = sql.replace('FROM events', `FROM events WHERE tenant_id = '${TENANT}'`);
      return (await ch.queryWithMeta(own, { tag: 'bench:raw' })).rows;
    };

    const rows: string[][] = [
      ['query', 'rows', 'raw engine ms', 'POST /v1/sql ms', 'overhead ms', 'overhead %', 'goal'],
    ];
    const results: Record<string, unknown>[] = [];
    // "new text": a fresh comment every run, so both checks (two EXPLAINs) run every time;
    // "repeated": the same text, whose approval the service remembers.
    for (const mode of ['new text', 'repeated'] as const) {
      for (const [name, sql] of Object.entries(QUERIES)) {
        const n = await post(sql);
        if (n !== (await raw(sql))) throw new Error(`${name}: the endpoint and the engine disagree`);
        const a: number[] = [];
        const b: number[] = [];
        for (let i = 0; i < runs; i++) {
          let t = performance.now();
          await raw(sql);
          a.push(performance.now() - t);
          const text = mode === 'new text' ? `${sql} /* run ${i} */` : sql;
          t = performance.now();
          await post(text);
          b.push(performance.now() - t);
        }
        const [ra, rb] = [median(a), median(b)];
        const over = rb - ra;
        const pct = (over / ra) * 100;
        const met = over <= Math.max(5, ra * 0.05);
        const line = [ra.toFixed(2), rb.toFixed(2), over.toFixed(2), pct.toFixed(1), met ? 'met' : 'NOT met'];
        rows.push([`${name} (${mode})`, fmtInt(n), ...line]);
        results.push({ name, mode, rows: n, rawMs: ra, endpointMs: rb, overheadMs: over, overheadPct: pct, met });
      }
    }
    console.log(
      `\noverhead of POST /v1/sql over the raw engine, ${fmtInt(events)} events, median of ${runs} (goal: ≤ 5 ms or ≤ 5 %, whichever is larger)`,
    );
    console.log(table(rows));

    await fetch(`${base}/health`); // /health answers a busy engine from its checks' last results
    const started = performance.now();
    const slow = fetch(`${base}/v1/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: SLOW }),
    });
    let done = false;
    const slowStatus = slow.then(async (r) => {
      done = true;
      return { status: r.status, body: (await r.json()) as { code?: string } };
    });
    const latencies: number[] = [];
    await new Promise((r) => setTimeout(r, 200));
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${base}/health`);
      await res.text();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancelled = await slowStatus;
    const slowMs = performance.now() - started;
    const max = Math.max(...latencies);
    console.log(
      `\n/health while a query runs into SQL_MAX_EXECUTION_SECONDS=3 (answered ${cancelled.status} ${cancelled.body.code} after ${(slowMs / 1000).toFixed(1)} s):`,
    );
    console.log(
      table([
        ['samples', 'median ms', 'max ms', 'goal'],
        [
          String(latencies.length),
          median(latencies).toFixed(1),
          max.toFixed(1),
          max < 100 ? 'met (< 100 ms)' : 'NOT met',
        ],
      ]),
    );
    console.log(loadLine('end'));
    const file = writeResults('sql', { events, runs, overhead: results, health: { latencies, cancelled, slowMs } });
    console.log(`results: ${file}`);
  });
}
