import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventIngestService, FileImporter } from '@tallyhouse/ingest';
import { messageEvents } from './support/events';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

const ROOT = join(__dirname, '..');
const CLI = [
  '-r',
  'ts-node/register/transpile-only',
  '-r',
  'tsconfig-paths/register',
  join(ROOT, 'apps/warehouse/src/cli.ts'),
];

describe('file import', () => {
  let wh: TestWarehouse;
  let dir: string;
  const count = async (sql: string) => Number((await wh.ch.query<{ n: string }>(sql, { tag: 'test' }))[0].n);

  beforeAll(async () => {
    wh = await startTestWarehouse();
    dir = mkdtempSync(join(tmpdir(), 'tallyhouse-import-'));
  });
  afterAll(async () => {
    await wh.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports NDJSON: good rows stored, bad rows dead-lettered with their line; re-import stores nothing new', async () => {
    const good = messageEvents(300, { tenant: 'nd', start: Date.UTC(2026, 9, 1) });
    const lines = good.map((e) => JSON.stringify(e));
    lines.splice(10, 0, '{"event_id": "oops", "tenant_id": "nd"'); // line 11: not JSON
    lines.splice(50, 0, JSON.stringify({ ...good[0], event_id: 'not-a-uuid' })); // line 51
    lines.splice(100, 0, ''); // line 101: blank, skipped
    lines.splice(200, 0, JSON.stringify({ ...good[1], type: 'message.teleported' })); // line 201
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, lines.join('\r\n') + '\n');

    const progress: number[] = [];
    const importer = new FileImporter(wh.app.get(EventIngestService));
    const summary = await importer.importFile(file, { chunkSize: 64, onProgress: (p) => progress.push(p.bytes) });
    expect(summary).toMatchObject({ format: 'ndjson', rows: 303, accepted: 300, duplicates: 0, rejected: 3 });
    expect(summary.errors.map((e) => [e.line, e.field])).toEqual([
      [11, ''],
      [51, 'event_id'],
      [201, 'type'],
    ]);
    expect(summary.errors[0].reason).toMatch(/invalid JSON/);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress[progress.length - 1]).toBe(summary.bytes);
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'nd' AND source = 'file'`)).toBe(300);
    const letters = await wh.ch.query<{ field: string; raw: string; source: string }>(
      `SELECT field, raw, source FROM dead_letters WHERE source = 'file' ORDER BY received_at, field`,
      { tag: 'test' },
    );
    expect(letters.map((l) => l.raw).sort()).toEqual([lines[10], lines[50], lines[200]].sort());

    const again = await importer.importFile(file);
    expect(again).toMatchObject({ rows: 303, accepted: 0, duplicates: 300, rejected: 3 });
    expect(await count(`SELECT count() AS n FROM events WHERE tenant_id = 'nd'`)).toBe(300);
  });

  it('imports CSV: header fields, properties.* columns, numeric value; bad rows dead-lettered with their line', async () => {
    const events = messageEvents(100, { tenant: 'csv', start: Date.UTC(2026, 9, 2) });
    const header =
      'event_id,tenant_id,occurred_at,type,contact_id,channel,platform,campaign_id,value,properties.subject';
    const rows = events.map(
      (e, i) =>
        `${e.event_id},${e.tenant_id},${e.occurred_at},${e.type},${e.contact_id},${e.channel},${e.platform},${e.campaign_id},${i % 10 === 0 ? '12.5' : ''},"Hello, ""${i}"""`,
    );
    rows.splice(
      4,
      0,
      `${events[0].event_id.replace(/-/g, '')}x,csv,2026-10-02T00:00:00Z,message.sent,c1,email,ios,camp,,s`,
    ); // line 6: bad uuid
    rows.splice(20, 0, 'only,three,fields'); // line 22
    rows.splice(
      30,
      0,
      `${events[5].event_id.slice(0, -1)}0,csv,2026-10-02T00:00:00Z,purchase,c1,email,ios,camp,twelve,s`,
    ); // line 32: bad value
    const file = join(dir, 'events.csv');
    writeFileSync(file, [header, ...rows].join('\n') + '\n');

    const summary = await new FileImporter(wh.app.get(EventIngestService)).importFile(file);
    expect(summary).toMatchObject({ format: 'csv', rows: 103, accepted: 100, rejected: 3 });
    expect(summary.errors.map((e) => [e.line, e.field])).toEqual([
      [6, 'event_id'],
      [22, ''],
      [32, 'value'],
    ]);
    expect(summary.errors[1].reason).toMatch(/3 fields; the header has 10/);
    const stored = await wh.ch.query<{ value: string; subject: string }>(
      `SELECT toString(value) AS value, properties['subject'] AS subject FROM events
       WHERE tenant_id = 'csv' AND event_id = {id:UUID}`,
      { tag: 'test', params: { id: events[10].event_id } },
    );
    expect(stored).toEqual([{ value: '12.5', subject: 'Hello, "10"' }]);
    const raw = await wh.ch.query<{ raw: string }>(`SELECT raw FROM dead_letters WHERE raw LIKE 'only,three%'`, {
      tag: 'test',
    });
    expect(raw).toEqual([{ raw: 'only,three,fields' }]);

    const again = await new FileImporter(wh.app.get(EventIngestService)).importFile(file);
    expect(again).toMatchObject({ accepted: 0, duplicates: 100, rejected: 3 });
  });

  it('refuses a missing file and an unknown format before reading anything', () => {
    expect(() => FileImporter.check(join(dir, 'nope.ndjson'))).toThrow(/file not found/);
    writeFileSync(join(dir, 'x.xml'), '<x/>');
    expect(() => FileImporter.check(join(dir, 'x.xml'))).toThrow(/--format ndjson\|csv/);
  });

  it('imports 1,000,000 NDJSON rows through the CLI with flat memory, every row counted', async () => {
    const file = join(dir, 'million.ndjson');
    await writeMillion(file);
    const dataDir = mkdtempSync(join(tmpdir(), 'tallyhouse-import-1m-'));
    try {
      // A V8 heap cap makes the garbage collector keep the JS heap near its live set, so a leak would fail the run.
      const child = spawn(
        process.execPath,
        ['--max-old-space-size=256', ...CLI, 'import', file, '--json', '--chunk-size', '25000'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            DATA_DIR: dataDir,
            DEMO_DATA: 'false',
            ROLLUP_SCHEDULER: 'false',
            TALLYHOUSE_REPORT_RSS: '1',
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      let peakKb = 0;
      const sampler = setInterval(() => {
        try {
          const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
          peakKb = Math.max(peakKb, kb);
        } catch {
          /* exited */
        }
      }, 200);
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      clearInterval(sampler);
      if (code !== 0) throw new Error(`cli exited ${code}: ${stderr}\n${stdout}`);
      const summary = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!);
      const js = /base_rss_mb=([\d.]+) peak_rss_mb=([\d.]+) peak_js_mb=([\d.]+)/.exec(stdout)!;
      console.log(stdout.split('\n').find((l) => l.startsWith('base_rss')));
      const rssMb = peakKb / 1024;
      const baseMb = Number(js[1]);
      const jsMb = Number(js[3]);
      console.log(
        `1M import: ${summary.rowsPerSecond} rows/s, ${summary.seconds.toFixed(1)} s; peak RSS ${rssMb.toFixed(0)} MB ` +
          `(sampled), ${js[2]} MB (self-reported), ${baseMb} MB with the engine open and idle; peak JS heap+buffers ${jsMb.toFixed(0)} MB`,
      );
      expect(summary).toMatchObject({ rows: 1_000_000, accepted: 1_000_000, rejected: 0 });
      // What the importer holds stays flat: chunks are read, stored and released.
      expect(jsMb).toBeLessThan(300);
      // The process also holds the embedded ClickHouse engine: ~250 MB resident with no data at all
      // (its 540 MB library is mapped in). What the import adds on top of that stays under 300 MB.
      expect(rssMb - baseMb).toBeLessThan(300);
      // Counted in events: read the child's data directory in another process (one engine path per process).
      expect(await countEvents(dataDir)).toBe(1_000_000);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});

function countEvents(dataDir: string): Promise<number> {
  const code = `
    const { createClient } = require('@clickhouse/client');
    const { createChdbConnection } = require('chdb/connection');
    const client = createClient({ connection: createChdbConnection({ path: require('path').join(process.argv[1], 'clickhouse') }) });
    client.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' })
      .then((r) => r.json()).then((rows) => { process.stdout.write(String(rows[0].n)); process.exit(0); })
      .catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (c) => (c === 0 ? resolve(Number(out)) : reject(new Error(`count failed: ${c}`))));
  });
}

/** 1,000,000 valid events, two tenants, written as a stream. */
async function writeMillion(file: string): Promise<void> {
  const out = createWriteStream(file);
  const start = Date.UTC(2026, 9, 1);
  let buf = '';
  for (let i = 0; i < 1_000_000; i++) {
    const hex = i.toString(16).padStart(12, '0');
    buf +=
      `{"event_id":"00000000-0000-4000-8000-${hex}","tenant_id":"t${i % 2}","occurred_at":${start + i * 1000},` +
      `"type":"${i % 3 ? 'message.sent' : 'message.viewed'}","contact_id":"c${i % 50_000}","channel":"push","platform":"${i % 2 ? 'ios' : 'android'}"}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.end(buf);
  await new Promise<void>((r) => out.once('finish', () => r()));
}
