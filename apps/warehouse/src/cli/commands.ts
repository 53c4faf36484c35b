import { MigrationRunner } from '@tallyhouse/clickhouse';
import { DemoLoader, DEFAULT_DEMO_SEED, generateDemoNdjson } from '@tallyhouse/demo';
import { FileImporter, type ImportFormat, type ImportSummary } from '@tallyhouse/ingest';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { out, parseDate, UsageError, withContext } from './context';
import { CliDemoModule, CliImportModule, CliMigrateModule, CliRollupModule } from './modules';
import { fmt, progressBar, RssTracker } from './progress';

export async function migrateCommand(opts: { status?: boolean }): Promise<number> {
  return withContext(CliMigrateModule, async (app) => {
    const runner = app.get(MigrationRunner);
    if (opts.status) {
      for (const m of await runner.status()) {
        out(`${m.applied ? 'applied' : 'pending'}  ${String(m.version).padStart(4, '0')}_${m.name}`);
      }
      return 0;
    }
    const applied = await runner.migrate((line) => out(line));
    if (applied.length === 0) out('schema is up to date');
    return 0;
  });
}

export async function importCommand(
  files: string[],
  opts: { format?: string; json?: boolean; maxErrors?: string; chunkSize?: string },
): Promise<number> {
  const chunkSize = opts.chunkSize === undefined ? undefined : Number(opts.chunkSize);
  if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0))
    throw new UsageError(`--chunk-size must be a positive whole number, got "${opts.chunkSize}"`);
  // Check every file before anything is stored: a typo in the second name should not half-import.
  const checked = files.map((file) => {
    try {
      return { file, ...FileImporter.check(file, opts.format) };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const rss = process.env.TALLYHOUSE_REPORT_RSS === '1' ? new RssTracker() : null;
  const summaries = await withContext(CliImportModule, async (app) => {
    const importer = app.get(FileImporter);
    rss?.markBase();
    const done: ImportSummary[] = [];
    for (const { file, format, bytes } of checked) {
      const bar = progressBar(file, 'rows');
      bar.start(Math.max(bytes, 1), 0, { done: '0', rate: '0' });
      const summary = await importer.importFile(file, {
        format: format as ImportFormat,
        maxErrors: opts.maxErrors ? Number(opts.maxErrors) : 20,
        chunkSize,
        onProgress: (p) => {
          rss?.sample();
          bar.update(p.bytes, { done: fmt(p.rows), rate: fmt(p.seconds > 0 ? p.rows / p.seconds : 0) });
        },
      });
      bar.update(Math.max(bytes, 1));
      bar.stop();
      done.push(summary);
      if (!opts.json) printImportSummary(summary);
    }
    return done;
  });
  const peak = rss?.stop();
  if (opts.json) out(JSON.stringify(summaries.length === 1 ? summaries[0] : summaries));
  if (peak !== undefined)
    out(
      `base_rss_mb=${(rss!.base / 1048576).toFixed(1)} peak_rss_mb=${(peak / 1048576).toFixed(1)} peak_js_mb=${(rss!.peakJs / 1048576).toFixed(1)} peak_heap_mb=${(rss!.peakHeap / 1048576).toFixed(1)} peak_external_mb=${(rss!.peakExternal / 1048576).toFixed(1)}`,
    );
  return summaries.some((s) => s.rejected > 0) ? 1 : 0;
}

function printImportSummary(s: ImportSummary): void {
  out(
    `${s.file}: ${fmt(s.rows)} rows · ${fmt(s.accepted)} accepted · ${fmt(s.duplicates)} duplicates · ` +
      `${fmt(s.rejected)} rejected · ${s.seconds.toFixed(1)} s · ${fmt(s.rowsPerSecond)} rows/s`,
  );
  if (s.rejected > 0) {
    out(`rejected rows (stored in dead_letters)${s.errors.length < s.rejected ? `, first ${s.errors.length}` : ''}:`);
    for (const e of s.errors) out(`  line ${e.line}: ${e.field || '(row)'} ${e.reason}`);
  }
}

export async function demoCommand(opts: {
  events: string;
  seed?: string;
  out?: string;
  now?: string;
}): Promise<number> {
  const events = Number(opts.events);
  if (!Number.isInteger(events) || events < 0)
    throw new UsageError(`--events must be a whole number, got "${opts.events}"`);
  const seed = opts.seed === undefined ? DEFAULT_DEMO_SEED : Number(opts.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got "${opts.seed}"`);
  const now = opts.now === undefined ? new Date() : new Date(opts.now);
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be a date, got "${opts.now}"`);

  if (opts.out) {
    const file = resolve(opts.out);
    mkdirSync(dirname(file), { recursive: true });
    const started = Date.now();
    const bar = progressBar('demo', 'events');
    bar.start(events, 0, { done: '0', rate: '0' });
    const stream = createWriteStream(file);
    let buf = '';
    let n = 0;
    for (const line of generateDemoNdjson({ events, seed, now })) {
      buf += line + '\n';
      if (++n % 20_000 === 0) {
        if (!stream.write(buf)) await new Promise<void>((r) => stream.once('drain', () => r()));
        buf = '';
        bar.update(n, { done: fmt(n), rate: fmt(n / Math.max(0.001, (Date.now() - started) / 1000)) });
      }
    }
    stream.end(buf);
    await new Promise<void>((r, j) => stream.once('finish', () => r()).once('error', j));
    bar.update(n);
    bar.stop();
    const s = (Date.now() - started) / 1000;
    out(
      `wrote ${fmt(n)} demo events to ${opts.out} in ${s.toFixed(1)} s (${fmt(n / Math.max(s, 0.001))} events/s, seed ${seed})`,
    );
    return 0;
  }

  return withContext(CliDemoModule, async (app) => {
    const loader = app.get(DemoLoader);
    const bar = progressBar('demo', 'events');
    bar.start(events, 0, { done: '0', rate: '0' });
    const result = await loader.load({
      events,
      seed,
      now,
      onProgress: (p) => bar.update(p.done, { done: fmt(p.done), rate: fmt(p.done / Math.max(p.seconds, 0.001)) }),
    });
    bar.stop();
    out(
      `loaded ${fmt(result.accepted)} demo events (${fmt(result.duplicates)} duplicates, ${fmt(result.rejected)} rejected) ` +
        `in ${result.seconds.toFixed(1)} s (${fmt(result.events / Math.max(result.seconds, 0.001))} events/s, seed ${seed})`,
    );
    for (const e of result.errors) out(`  rejected: ${e.field} ${e.reason}`);
    return result.rejected > 0 ? 1 : 0;
  });
}

export async function rollupCommand(opts: {
  from?: string;
  to?: string;
  tenant?: string;
  force?: boolean;
}): Promise<number> {
  const from = parseDate('from', opts.from);
  const to = parseDate('to', opts.to);
  if (from && to && from >= to) throw new UsageError('--from must be before --to');
  // Loaded here so the other commands work while the rollups library changes.
  const { RollupJob } = await import('@tallyhouse/rollups');
  return withContext(CliRollupModule, async (app) => {
    const job = app.get(RollupJob);
    const summary = await job.runRange({ from, to, tenant: opts.tenant, force: opts.force });
    out(`rollup run ${summary.started_at} → ${summary.finished_at} (closed as of ${summary.now})`);
    if (summary.tenants.length === 0) out('  no tenants with events in range');
    for (const t of summary.tenants) {
      out(`  ${t.tenant_id} (${t.time_zone}): ${t.days.length} days, ${t.months.length} months rebuilt`);
      for (const [table, until] of Object.entries(t.watermarks)) out(`    ${table} complete until ${until}`);
    }
    return 0;
  });
}
