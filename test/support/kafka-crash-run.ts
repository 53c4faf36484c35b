import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createClickHouseService } from '@tallyhouse/clickhouse';
import { validateConfig } from '@tallyhouse/config';
import { type TestEvent } from './events';

const ROOT = join(__dirname, '../..');

/** What was produced, and what the warehouse must hold afterwards. */
export interface ProducedSet {
  /** Distinct valid events (the duplicates among the messages are copies of some of these). */
  valid: TestEvent[];
  messages: number;
  bad: number;
}

const BAD_MESSAGES: ((i: number) => Buffer | string | null)[] = [
  (i) => `{"event_id": "cut-${i}`,
  () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
  (i) => Buffer.from(`{"n":${i}}\u0000`),
  () => null,
  (i) => JSON.stringify({ n: i, pad: 'x'.repeat(70_000) }),
  (i) => JSON.stringify({ ...event(i, 'bad'), type: 'message.teleported' }),
  (i) => JSON.stringify({ ...event(i, 'bad'), contact_id: undefined }),
  (i) => JSON.stringify({ ...event(i, 'bad'), value: 1e20 }),
  (i) => JSON.stringify({ ...event(i, 'bad'), occurred_at: '2026-02-30T12:00:00Z' }),
  (i) => JSON.stringify({ ...event(i, 'bad'), occurred_at: '1970-01-01T00:00:00Z' }),
];

/** A deterministic event: three tenants, 2,000 contacts each, spread over October 2026. */
function event(i: number, salt = ''): TestEvent {
  const h = createHash('md5').update(`${salt}${i}`).digest();
  const hex = h.toString('hex');
  const types = ['message.sent', 'message.delivered', 'message.viewed', 'message.clicked', 'user.login'];
  return {
    event_id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    tenant_id: ['crash-a', 'crash-b', 'crash-c'][h[0] % 3],
    occurred_at: new Date(Date.UTC(2026, 9, 1) + (h.readUInt32BE(4) % (31 * 86_400)) * 1000).toISOString(),
    type: types[h[1] % types.length],
    contact_id: `c${h.readUInt16BE(8) % 2000}`,
    channel: ['email', 'sms', 'push'][h[2] % 3],
    platform: ['ios', 'android', 'web'][h[3] % 3],
    campaign_id: `camp-${h[10] % 7}`,
  };
}

/**
 * Produces `n` valid events, 2% of them a second time (a producer retry), and
 * 1% bad messages of every kind, keyed by contact, into `topic`.
 */
export async function produceCrashSet(brokers: string, topic: string, n: number): Promise<ProducedSet> {
  const kafka = new Kafka({ clientId: 'crash-producer', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const valid: TestEvent[] = [];
  let messages = 0;
  let bad = 0;
  let batch: { key: string; value: Buffer | string | null }[] = [];
  const flush = async () => {
    if (batch.length) await producer.send({ topic, messages: batch });
    messages += batch.length;
    batch = [];
  };
  for (let i = 0; i < n; i++) {
    const e = event(i);
    valid.push(e);
    batch.push({ key: `${e.tenant_id}:${e.contact_id}`, value: JSON.stringify(e) });
    if (i % 50 === 7) batch.push({ key: `${e.tenant_id}:${e.contact_id}`, value: JSON.stringify(valid[i - 7]) });
    if (i % 100 === 42) {
      batch.push({ key: `bad-${i}`, value: BAD_MESSAGES[bad % BAD_MESSAGES.length](i) });
      bad++;
    }
    if (batch.length >= 5000) await flush();
  }
  await flush();
  await producer.disconnect();
  return { valid, messages, bad };
}

/** The warehouse (`npm start`) as a consumer process on `dataDir`. */
export function startConsumerProcess(
  dataDir: string,
  env: Record<string, string>,
  output: (line: string) => void,
): ChildProcess {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/warehouse/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        DEMO_DATA: 'false',
        ROLLUP_SCHEDULER: 'false',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d: Buffer) => output(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output(d.toString()));
  return child;
}

export const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

/** Total committed lag of the group on the topic, from the broker (retried while the broker moves things about). */
export async function groupLag(brokers: string, groupId: string, topic: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchGroupLag(brokers, groupId, topic);
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function fetchGroupLag(brokers: string, groupId: string, topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'lag', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [ends, done] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committed = new Map(done[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    return ends.reduce(
      (s, e) => s + Math.max(0, Number(e.high) - Math.max(committed.get(e.partition) ?? 0, Number(e.low))),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

export interface Mismatch {
  what: string;
  expected: number;
  actual: number;
}

/**
 * Opens the data directory (no other process may hold it) and compares events,
 * every view-fed rollup and dead_letters with a recomputation from the produced set.
 */
export async function compareWithProduced(dataDir: string, produced: ProducedSet): Promise<Mismatch[]> {
  const ch = createClickHouseService(validateConfig({ DATA_DIR: dataDir }));
  const mismatches: Mismatch[] = [];
  const check = (what: string, expected: number, actual: number) => {
    if (expected !== actual) mismatches.push({ what, expected, actual });
  };
  try {
    const groups = new Map<string, { events: number; contacts: Set<string> }>();
    for (const e of produced.valid) {
      const key = `${e.tenant_id}|${e.type}`;
      const g = groups.get(key) ?? { events: 0, contacts: new Set() };
      g.events++;
      g.contacts.add(e.contact_id!);
      groups.set(key, g);
    }
    const q = <T>(sql: string) => ch.query<T>(sql, { tag: 'test:compare' });
    const [stored] = await q<{ n: number; ids: number }>(
      `SELECT count() AS n, uniqExact(event_id) AS ids FROM events WHERE tenant_id LIKE 'crash-%'`,
    );
    check('events rows', produced.valid.length, Number(stored.n));
    check('distinct event_id', produced.valid.length, Number(stored.ids));
    const rollup = await q<{ tenant_id: string; type: string; events: number; contacts: number }>(
      `SELECT tenant_id, type, sum(events) AS events, bitmapCardinality(groupBitmapMergeState(contacts)) AS contacts
       FROM rollup_15m WHERE tenant_id LIKE 'crash-%' GROUP BY tenant_id, type`,
    );
    const seen = new Set<string>();
    for (const r of rollup) {
      const key = `${r.tenant_id}|${r.type}`;
      seen.add(key);
      check(`rollup_15m events ${key}`, groups.get(key)?.events ?? 0, Number(r.events));
      check(`rollup_15m unique contacts ${key}`, groups.get(key)?.contacts.size ?? 0, Number(r.contacts));
    }
    for (const [key, g] of groups) if (!seen.has(key)) check(`rollup_15m events ${key}`, g.events, 0);
    const [arrivals] = await q<{ n: number }>(
      `SELECT sum(events) AS n FROM event_arrivals WHERE tenant_id LIKE 'crash-%'`,
    );
    check('event_arrivals events', produced.valid.length, Number(arrivals.n));
    const [letters] = await q<{ n: number; places: number }>(
      `SELECT count() AS n, uniqExact(partition, offset) AS places FROM dead_letters WHERE source = 'kafka'`,
    );
    check('dead_letters rows', produced.bad, Number(letters.n));
    check('dead_letters distinct offsets', produced.bad, Number(letters.places));
  } finally {
    await ch.close();
  }
  return mismatches;
}
