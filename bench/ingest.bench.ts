import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClickHouseModule,
  ClickHouseService,
  createEngineClient,
  MigrationRunner,
  type CallOptions,
} from '@tallyhouse/clickhouse';
import { AppConfigModule } from '@tallyhouse/config';
import { EVENT_COLUMNS, FileImportModule, FileImporter } from '@tallyhouse/ingest';
import { ObservabilityModule } from '@tallyhouse/observability';
import { createHttpApp, logLevels } from '@tallyhouse/http';
import {
  BENCH_DAYS,
  BENCH_TENANTS,
  contactsPerTenant,
  eventBlocks,
  eventsSelect,
  type GeneratorOptions,
} from './generator';
import {
  fmtInt,
  freshDir,
  loadLine,
  median,
  openEngine,
  parseArgs,
  parseCount,
  removeDir,
  seconds,
  table,
  writeResults,
} from './util';

/**
 * Ingest throughput, each path on a fresh data dir with the materialized views on:
 *   A  the engine alone: INSERT INTO events SELECT ... FROM numbers(N)
 *   B  raw client.insert (JSONEachRow) of the generated rows, 100k per insert
 *   HTTP  the real warehouse app, POST /v1/events, JSON arrays, concurrent clients
 *   file  FileImporter on an NDJSON file of the same events (when it exists)
 * then rollup_15m vs raw events for one tenant's daily counts and uniques.
 */

interface Result {
  path: string;
  events: number;
  seconds: number;
  note?: string;
}

interface Options {
  gen: GeneratorOptions;
  batch: number;
  concurrency: number;
  rawBlock: number;
  keep: boolean;
  only: Set<string> | null;
}

export async function run(args: string[]): Promise<void> {
  const a = parseArgs(args);
  const events = parseCount(a.get('events'), 2_000_000);
  const opts: Options = {
    gen: { events, seed: Number(a.get('seed') ?? 42) },
    batch: parseCount(a.get('batch'), 10_000),
    concurrency: parseCount(a.get('concurrency'), 4),
    rawBlock: parseCount(a.get('raw-block'), 100_000),
    keep: a.has('keep'),
    only: a.has('only') ? new Set(a.get('only')!.split(',')) : null,
  };
  const want = (p: string) => !opts.only || opts.only.has(p);
  console.log(
    `ingest bench: ${fmtInt(events)} events, ${BENCH_TENANTS.length} tenants × ${fmtInt(contactsPerTenant(opts.gen))} contacts, ` +
      `${BENCH_DAYS} days; HTTP: ${opts.concurrency} clients × ${fmtInt(opts.batch)} events/request; raw blocks ${fmtInt(opts.rawBlock)}\n`,
  );

  console.log(`${loadLine('at the start')}\n`);
  const results: Result[] = [];
  let queries: QueryResult[] = [];
  let profile: TagProfile | null = null;
  if (want('engine')) results.push(await engineBaseline(opts));
  if (want('raw')) {
    const r = await rawInsert(opts);
    results.push(r.result);
    queries = r.queries;
  }
  if (want('http')) {
    const r = await httpIngest(opts);
    results.push(r.result);
    profile = r.profile;
  }
  if (want('file')) results.push(await fileImport(opts));

  const engine = results.find((r) => r.path.startsWith('A '));
  const raw = results.find((r) => r.path.startsWith('B '));
  const rows: string[][] = [['path', 'events', 'seconds', 'events/s', 'vs A', 'vs B', 'note']];
  for (const r of results) {
    const rate = r.seconds > 0 ? r.events / r.seconds : 0;
    const ratio = (base?: Result) => (base && r.seconds > 0 ? `${(base.seconds / r.seconds).toFixed(2)}×` : '');
    rows.push([
      r.path,
      r.seconds > 0 ? fmtInt(r.events) : '-',
      r.seconds > 0 ? r.seconds.toFixed(2) : '-',
      r.seconds > 0 ? fmtInt(rate) : '-',
      ratio(engine),
      ratio(raw),
      r.note ?? '',
    ]);
  }
  console.log('\n' + table(rows));

  const http = results.find((r) => r.path.startsWith('HTTP'));
  if (http && raw && http.seconds > 0) {
    const ratio = raw.seconds / http.seconds;
    const rate = http.events / http.seconds;
    console.log(
      `\nHTTP / raw client.insert = ${ratio.toFixed(2)} (target ≥ 0.50: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ` +
        `HTTP = ${fmtInt(rate)} events/s (target ≥ 100,000: ${rate >= 100_000 ? 'met' : 'NOT met'})`,
    );
  }
  if (queries.length) {
    const q: string[][] = [
      ['query (one tenant, Asia/Kathmandu days)', 'rollup_15m ms', 'raw events ms', 'raw / rollup', 'same'],
    ];
    for (const r of queries) {
      q.push([
        r.name,
        r.rollupMs.toFixed(1),
        r.rawMs.toFixed(1),
        `${(r.rawMs / r.rollupMs).toFixed(1)}×`,
        r.same ? 'yes' : 'NO',
      ]);
    }
    console.log('\nwarm median of 5\n' + table(q));
  }
  if (profile) printProfile(profile);
  console.log(`\n${loadLine('at the end')}`);

  const file = writeResults('ingest', { events, options: { ...opts, only: undefined }, results, queries });
  console.log(`\nresults written to ${file}`);
}

// ---------------------------------------------------------------------------
// A: the engine on its own

async function engineBaseline(opts: Options): Promise<Result> {
  const n = opts.gen.events;
  const contacts = contactsPerTenant(opts.gen);
  const dir = freshDir('engine');
  const ch = await openEngine(dir);
  try {
    const select = eventsSelect(n, contacts);
    const started = process.hrtime.bigint();
    await ch.insertSelect('events', EVENT_COLUMNS, select, { tag: 'bench:engine' });
    const s = seconds(started);
    await expectCount(ch, n, 'A');
    log(`A engine INSERT ... SELECT: ${s.toFixed(2)} s`);
    return { path: 'A engine INSERT…SELECT numbers(N)', events: n, seconds: s };
  } finally {
    await ch.close();
    if (!opts.keep) removeDir(dir);
  }
}

// ---------------------------------------------------------------------------
// B: what a hand-rolled pipeline gets with the client

async function rawInsert(opts: Options): Promise<{ result: Result; queries: QueryResult[] }> {
  const n = opts.gen.events;
  const dir = freshDir('raw');
  // The raw client for the inserts, the wrapper (same client) for everything else.
  const { client, kind } = createEngineClient({ dataDir: dir });
  const ch = new ClickHouseService(client, kind);
  await new MigrationRunner(ch).migrate();
  try {
    let total = 0;
    for (const block of eventBlocks(opts.gen, opts.rawBlock)) {
      const values = block.map(([, row]) => row);
      const started = process.hrtime.bigint();
      await client.insert({
        table: 'events',
        values,
        format: 'JSONEachRow',
        columns: [...EVENT_COLUMNS],
      });
      total += seconds(started);
    }
    await expectCount(ch, n, 'B');
    log(`B raw client.insert: ${total.toFixed(2)} s (generation excluded)`);
    const queries = await rollupVsRaw(ch);
    return {
      result: { path: `B raw client.insert ${fmtInt(opts.rawBlock)}/block`, events: n, seconds: total },
      queries,
    };
  } finally {
    await ch.close();
    if (!opts.keep) removeDir(dir);
  }
}

// ---------------------------------------------------------------------------
// HTTP: the warehouse app in-process

type TagProfile = { wallMs: number; tags: Map<string, { calls: number; ms: number }> };

async function httpIngest(opts: Options): Promise<{ result: Result; profile: TagProfile }> {
  const n = opts.gen.events;
  const dir = freshDir('http');
  Object.assign(process.env, {
    DATA_DIR: dir,
    DEMO_DATA: 'false',
    ROLLUP_SCHEDULER: 'false',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    INGEST_MAX_EVENTS: String(Math.max(50_000, opts.batch)),
  });
  delete process.env.CLICKHOUSE_URL;
  // Loaded here so that the module reads the environment set above.
  const { WarehouseModule } = await import('../apps/warehouse/src/warehouse.module');
  const app: INestApplication = await createHttpApp(WarehouseModule, 'Tallyhouse bench');
  const profile: TagProfile = { wallMs: 0, tags: new Map() };
  try {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/v1/events`;
    const ch = app.get(ClickHouseService);
    profileCalls(ch, profile);

    // Request bodies are built before the clock starts: the server's work is what is measured.
    const bodies: Buffer[] = [];
    for (const block of eventBlocks(opts.gen, opts.batch)) {
      bodies.push(Buffer.from(JSON.stringify(block.map(([event]) => event))));
    }
    profile.tags.clear();
    let next = 0;
    let accepted = 0;
    let rejected = 0;
    let duplicates = 0;
    const started = process.hrtime.bigint();
    const client = async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        if (!res.ok) throw new Error(`POST /v1/events: ${res.status} ${text.slice(0, 500)}`);
        const report = JSON.parse(text) as { accepted: number; rejected: number; duplicates: number };
        accepted += report.accepted;
        rejected += report.rejected;
        duplicates += report.duplicates;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, client));
    const s = seconds(started);
    profile.wallMs = s * 1000;
    bodies.length = 0;
    await expectCount(ch, n, 'HTTP');
    if (rejected || duplicates) throw new Error(`HTTP: ${rejected} rejected, ${duplicates} duplicates (expected none)`);
    log(`HTTP ingest: ${s.toFixed(2)} s, ${fmtInt(accepted)} accepted`);
    return {
      result: { path: `HTTP POST ${opts.concurrency}×${fmtInt(opts.batch)}`, events: n, seconds: s },
      profile,
    };
  } finally {
    await app.close();
    if (!opts.keep) removeDir(dir);
  }
}

/** Times every engine call by its tag (the wrapper's methods, patched on this instance). */
function profileCalls(ch: ClickHouseService, profile: TagProfile): void {
  const target = ch as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['query', 'command', 'insertSelect', 'insertJson', 'insertCompact'] as const) {
    const original = target[method].bind(ch);
    target[method] = async (...args: unknown[]) => {
      const options = args[args.length - 1] as CallOptions;
      const started = process.hrtime.bigint();
      try {
        return await original(...args);
      } finally {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const entry = profile.tags.get(options.tag) ?? { calls: 0, ms: 0 };
        entry.calls++;
        entry.ms += ms;
        profile.tags.set(options.tag, entry);
      }
    };
  }
}

function printProfile(profile: TagProfile): void {
  const rows: string[][] = [['HTTP run: engine calls by tag', 'calls', 'total ms', '% of wall']];
  let sum = 0;
  for (const [tag, e] of [...profile.tags].sort((x, y) => y[1].ms - x[1].ms)) {
    sum += e.ms;
    rows.push([tag, String(e.calls), fmtInt(e.ms), `${((100 * e.ms) / profile.wallMs).toFixed(1)}%`]);
  }
  rows.push(['all engine calls', '', fmtInt(sum), `${((100 * sum) / profile.wallMs).toFixed(1)}%`]);
  rows.push(['wall', '', fmtInt(profile.wallMs), '100.0%']);
  console.log('\n' + table(rows));
}

// ---------------------------------------------------------------------------
// file import: FileImporter from libs/ingest, in an app context like the CLI's

@Module({ imports: [AppConfigModule, ObservabilityModule, ClickHouseModule, FileImportModule] })
class BenchFileImportModule {}

async function fileImport(opts: Options): Promise<Result> {
  const n = opts.gen.events;
  const dir = freshDir('file');
  const file = join(dir, 'events.ndjson');
  await writeNdjson(file, opts);
  Object.assign(process.env, { DATA_DIR: join(dir, 'data'), DEMO_DATA: 'false', ROLLUP_SCHEDULER: 'false' });
  delete process.env.CLICKHOUSE_URL;
  const app = await NestFactory.createApplicationContext(BenchFileImportModule, {
    logger: logLevels(process.env.BENCH_LOG_LEVEL ?? 'warn'),
    abortOnError: false,
  });
  try {
    const importer = app.get(FileImporter);
    const started = process.hrtime.bigint();
    const summary = await importer.importFile(file, { format: 'ndjson' });
    const s = seconds(started);
    if (summary.accepted !== n) throw new Error(`file import accepted ${summary.accepted} of ${n}`);
    await expectCount(app.get(ClickHouseService), n, 'file');
    log(`file import: ${s.toFixed(2)} s`);
    return { path: 'file import NDJSON (FileImporter)', events: n, seconds: s };
  } finally {
    await app.close();
    if (!opts.keep) removeDir(dir);
  }
}

async function writeNdjson(file: string, opts: Options): Promise<void> {
  const out = createWriteStream(file);
  for (const block of eventBlocks(opts.gen, 10_000)) {
    const text = block.map(([event]) => JSON.stringify(event)).join('\n') + '\n';
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

// ---------------------------------------------------------------------------
// rollup_15m vs raw events

interface QueryResult {
  name: string;
  rollupMs: number;
  rawMs: number;
  same: boolean;
}

async function rollupVsRaw(ch: ClickHouseService): Promise<QueryResult[]> {
  const tenant = BENCH_TENANTS[0];
  const params = { tenant };
  const pairs: [string, string, string][] = [
    [
      'daily events + daily unique contacts',
      `SELECT toDate(bucket, 'Asia/Kathmandu') AS day, sum(events) AS events, bitmapCardinality(groupBitmapMergeState(contacts)) AS contacts
       FROM rollup_15m WHERE tenant_id = {tenant:String} GROUP BY day ORDER BY day`,
      `SELECT toDate(occurred_at, 'Asia/Kathmandu') AS day, count() AS events, uniqExactIf(contact_id, contact_id != '') AS contacts
       FROM events WHERE tenant_id = {tenant:String} GROUP BY day ORDER BY day`,
    ],
    [
      'unique contacts, whole range',
      `SELECT groupBitmapMerge(contacts) AS contacts FROM rollup_15m WHERE tenant_id = {tenant:String}`,
      `SELECT uniqExact(contact_id) AS contacts FROM events WHERE tenant_id = {tenant:String} AND contact_id != ''`,
    ],
  ];
  const out: QueryResult[] = [];
  for (const [name, rollupSql, rawSql] of pairs) {
    const time = async (sql: string, tag: string) => {
      const first = await ch.query<Record<string, unknown>>(sql, { tag, params }); // warm-up
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = process.hrtime.bigint();
        await ch.query(sql, { tag, params });
        ms.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      return { ms: median(ms), rows: JSON.stringify(first.map((r) => Object.values(r).map(String))) };
    };
    const rollup = await time(rollupSql, 'bench:rollup-query');
    const raw = await time(rawSql, 'bench:raw-query');
    out.push({ name, rollupMs: rollup.ms, rawMs: raw.ms, same: rollup.rows === raw.rows });
  }
  return out;
}

// ---------------------------------------------------------------------------

async function expectCount(ch: ClickHouseService, n: number, path: string): Promise<void> {
  const [row] = await ch.query<{ n: string }>('SELECT count() AS n FROM events', { tag: 'bench:count' });
  if (Number(row.n) !== n) throw new Error(`${path}: events holds ${row.n} rows, expected ${n}`);
}

function log(line: string): void {
  console.log(`  ${line}`);
}
