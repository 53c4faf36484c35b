import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { messageEvents } from './support/events';

const ROOT = join(__dirname, '..');
const NODE_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];
const CLI = [...NODE_ARGS, join(ROOT, 'apps/warehouse/src/cli.ts')];

/**
 * Runs statements on DATA_DIR's engine in a child process of its own, like the
 * CLI: the embedded engine stays closed in this process, so every CLI run can
 * open the directory. Prints one JSON array of results (rows, or null).
 */
const SQL_CHILD = `
const { createEngineClient } = require('@tallyhouse/clickhouse');
(async () => {
  const { client } = createEngineClient({ dataDir: process.env.DATA_DIR });
  const results = [];
  for (const { sql, params } of JSON.parse(process.env.STATEMENTS)) {
    if (/^\\s*SELECT/i.test(sql)) {
      results.push(await (await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })).json());
    } else {
      await client.command({ query: sql, query_params: params });
      results.push(null);
    }
  }
  await client.close();
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

describe('cli: dead letters and kafka produce-demo', () => {
  let dir: string;
  let dataDir: string;
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    DATA_DIR: dataDir,
    DEMO_DATA: 'false',
    ROLLUP_SCHEDULER: 'false',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const cli = (args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [...CLI, ...args], {
      cwd: ROOT,
      env: env(extra),
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const sql = (statements: { sql: string; params?: Record<string, unknown> }[]): unknown[] => {
    const r = spawnSync(process.execPath, [...NODE_ARGS, '-e', SQL_CHILD], {
      cwd: ROOT,
      env: env({ STATEMENTS: JSON.stringify(statements) }),
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`sql child failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown[];
  };
  const COUNTS = {
    sql: `SELECT (SELECT count() FROM events) AS events,
                 (SELECT count() FROM events WHERE source = 'replay') AS replayed,
                 (SELECT count() FROM dead_letters) AS letters`,
  };
  const counts = (rows: unknown) => {
    const [row] = rows as { events: string; replayed: string; letters: string }[];
    return { events: Number(row.events), replayed: Number(row.replayed), letters: Number(row.letters) };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tallyhouse-cli-dl-'));
    dataDir = join(dir, 'data');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists dead letters, replays those valid now once, and never dead-letters the rest again', () => {
    // An import with three bad rows: an unknown type, a line that is not JSON,
    // and an event 3 h ahead while only 1 h of clock skew is allowed.
    const good = messageEvents(20, { tenant: 'dl' });
    const future = {
      ...messageEvents(1, { tenant: 'dl' })[0],
      occurred_at: new Date(Date.now() + 3 * 3_600_000).toISOString(),
    };
    const lines = good.map((e) => JSON.stringify(e));
    lines.push(JSON.stringify({ ...messageEvents(1, { tenant: 'dl' })[0], type: 'message.teleported' }));
    lines.push('{"event_id": "oops", "tenant_id": "dl"');
    lines.push(JSON.stringify(future));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const imported = cli(['import', file], { EVENT_MAX_FUTURE_HOURS: '1' });
    expect(imported.code).toBe(1);
    expect(imported.out).toMatch(/23 rows · 20 accepted · 0 duplicates · 3 rejected/);

    // A letter from Kafka whose bytes were kept as base64, and whose event is valid as it stands.
    const fromKafka = { ...messageEvents(1, { tenant: 'dl', start: Date.UTC(2026, 9, 5) })[0], event_id: randomUUID() };
    const [, before] = sql([
      {
        sql: `INSERT INTO dead_letters (source, tenant_id, event_id, field, reason, raw, raw_encoding, topic, partition, offset)
              VALUES ('kafka', 'dl', {id:String}, 'type', 'must be one of (an old contract)', {raw:String}, 'base64',
                      'tallyhouse.events', 1, 42)`,
        params: { id: fromKafka.event_id, raw: Buffer.from(JSON.stringify(fromKafka)).toString('base64') },
      },
      COUNTS,
    ]);
    expect(counts(before)).toEqual({ events: 20, replayed: 0, letters: 4 });

    const list = cli(['dead-letters', 'list']);
    expect(list.code).toBe(0);
    const table = list.out.split('\n');
    expect(table[0]).toMatch(/^received_at\s+source\s+topic\/partition\/offset\s+field\s+reason\s+raw$/);
    expect(list.out).toMatch(/kafka\s+tallyhouse\.events\/1\/42\s+type\s+must be one of \(an old contract\)\s+base64:/);
    expect(list.out).toMatch(/file\s+-\s+type\s+must be one of message\.sent/);
    expect(list.out).toMatch(/file\s+-\s+-\s+invalid JSON: .*\{"event_id": "oops", "tenant_id": "dl"/);
    expect(list.out).toMatch(/file\s+-\s+occurred_at\s+is more than 1 h in the future/);
    expect(list.out).toMatch(/4 of 4 dead letters, newest first/);
    const fileOnly = cli(['dead-letters', 'list', '--source', 'file', '--limit', '2']);
    expect(fileOnly.out).toMatch(/2 of 3 dead letters/);
    expect(fileOnly.out).not.toMatch(/tallyhouse\.events/);

    // Filters, on a dry run (nothing stored): only the Kafka letter, by source and by reason.
    const dry = cli([
      'dead-letters',
      'replay',
      '--source',
      'kafka',
      '--reason-like',
      '%OLD contract%',
      '--dry-run',
      '--json',
    ]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out)).toMatchObject({ matched: 1, valid: 1, stored: 0, stillInvalid: 0, dryRun: true });

    // With the default clock skew allowance (24 h) the future event is valid now, and so is the Kafka letter.
    const first = cli(['dead-letters', 'replay']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/replayed 4 matched dead letters: 2 stored · 0 duplicates · 2 still invalid/);
    expect(first.out).toMatch(/still invalid, most common reasons:\n\s+1\s+(type must be one of|invalid JSON)/);
    expect(first.out).toMatch(/invalid JSON: Expected ',' or '}' after property value\n/);

    const second = cli(['dead-letters', 'replay', '--json']);
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.out);
    expect(summary).toMatchObject({ matched: 4, valid: 2, stored: 0, duplicates: 2, stillInvalid: 2 });
    expect(summary.reasons.map((r: { reason: string }) => r.reason).sort()).toEqual([
      expect.stringMatching(/^invalid JSON: /),
      expect.stringMatching(/^type must be one of /),
    ]);

    // Two events more, none twice, and no new dead letters.
    expect(counts(sql([COUNTS])[0])).toEqual({ events: 22, replayed: 2, letters: 4 });
  });

  it('replay with --since after --until exits 2', () => {
    const r = cli(['dead-letters', 'replay', '--since', '2026-02-01', '--until', '2026-01-01']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--since must be before --until/);
  });

  it('kafka produce-demo without brokers exits 2 and names KAFKA_BROKERS', () => {
    const r = cli(['kafka', 'produce-demo', '--events', '10'], { KAFKA_BROKERS: '' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/KAFKA_BROKERS/);
  });

  const brokers = process.env.KAFKA_BROKERS;
  (brokers ? it : it.skip)('kafka produce-demo produces the demo events, keyed by tenant:contact', async () => {
    const topic = `cli-demo-${randomUUID()}`;
    // It talks to Kafka only: the engine is never opened (DATA_DIR is not even created).
    const untouched = join(dir, 'no-engine-here');
    const r = cli(['kafka', 'produce-demo', '--events', '2000', '--topic', topic, '--partitions', '3', '--seed', '7'], {
      DATA_DIR: untouched,
    });
    expect(existsSync(untouched)).toBe(false);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(`created topic ${topic} with 3 partitions`);
    expect(r.out).toMatch(new RegExp(`produced 2,000 events to ${topic} in [\\d.]+ s \\([\\d,]+ events/s\\)`));

    const kafka = new Kafka({ clientId: 'cli-test', brokers: brokers!.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets).toHaveLength(3);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(2000);

    const consumer = kafka.consumer({ groupId: `cli-test-${randomUUID()}` });
    const ids = new Set<string>();
    const partitionOfContact = new Map<string, Set<number>>();
    let badKeys = 0;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${ids.size} messages within 30 s`)), 30_000);
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            const event = JSON.parse(message.value!.toString()) as {
              event_id: string;
              tenant_id: string;
              contact_id?: string;
            };
            ids.add(event.event_id);
            const key = message.key?.toString();
            if (key !== `${event.tenant_id}:${event.contact_id ?? ''}`) badKeys++;
            if (!partitionOfContact.has(key!)) partitionOfContact.set(key!, new Set());
            partitionOfContact.get(key!)!.add(partition);
            if (ids.size >= 2000) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    expect(ids.size).toBe(2000);
    expect([...ids].every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    expect(badKeys).toBe(0);
    // A contact's events all sit in one partition, in the order they were produced.
    expect([...partitionOfContact.values()].every((p) => p.size === 1)).toBe(true);
  });
});
