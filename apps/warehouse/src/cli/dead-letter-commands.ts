import { ClickHouseService, type QueryParams } from '@tallyhouse/clickhouse';
import { EventIngestService, type IncomingItem } from '@tallyhouse/ingest';
import { out, parseDate, UsageError, withContext } from './context';
import { CliDeadLettersModule } from './modules';
import { fmt, progressBar } from './progress';

/** The source events replayed from dead letters are stored under. */
export const REPLAY_SOURCE = 'replay';
/** Letters per ingest call. */
const REPLAY_CHUNK = 10_000;
/** Letters read per query (a page ends after all letters of its last received_at, so may be larger). */
const PAGE = 10_000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One row of dead_letters as the commands read it (DateTime64 as 'YYYY-MM-DD hh:mm:ss.mmm', UTC). */
interface LetterRow {
  received_at: string;
  source: string;
  field: string;
  reason: string;
  raw: string;
  raw_encoding: string;
  topic: string;
  partition: number;
  offset: string | number;
}

interface LetterFilter {
  source?: string;
  since?: Date;
  until?: Date;
  reasonLike?: string;
}

export interface ListOptions {
  source?: string;
  since?: string;
  limit?: string;
}

export interface ReplayOptions {
  source?: string;
  since?: string;
  until?: string;
  reasonLike?: string;
  dryRun?: boolean;
  json?: boolean;
}

export interface ReplaySummary {
  matched: number;
  /** Letters that pass the event contract now. */
  valid: number;
  stored: number;
  duplicates: number;
  /** Valid now, but the engine refused them (the writer dead-letters those, source 'replay'). */
  refused: number;
  stillInvalid: number;
  /** Why the rest are still invalid, most common first. */
  reasons: { reason: string; count: number }[];
  dryRun: boolean;
  seconds: number;
}

/** `dead-letters list`: the newest letters as a table. */
export async function deadLettersListCommand(opts: ListOptions): Promise<number> {
  const filter: LetterFilter = { source: opts.source, since: parseDate('since', opts.since) };
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number, got "${opts.limit}"`);
  return withContext(CliDeadLettersModule, async (app) => {
    const ch = app.get(ClickHouseService);
    const { where, params } = whereClause(filter);
    const total = await countLetters(ch, where, params);
    const rows = await ch.query<LetterRow>(
      `SELECT received_at, source, field, reason, raw, raw_encoding, topic, partition, offset
       FROM dead_letters ${where}
       ORDER BY received_at DESC
       LIMIT {limit:UInt32}`,
      { tag: 'cli:dead-letters:list', params: { ...params, limit }, idempotent: true },
    );
    if (rows.length === 0) {
      out('no dead letters match');
      return 0;
    }
    printTable(
      ['received_at', 'source', 'topic/partition/offset', 'field', 'reason', 'raw'],
      rows.map((r) => [
        r.received_at,
        r.source,
        r.topic ? `${r.topic}/${r.partition}/${r.offset}` : '-',
        r.field || '-',
        clip(r.reason, 60),
        (r.raw_encoding === 'base64' ? 'base64:' : '') + clip(r.raw, 60),
      ]),
    );
    out(`${fmt(rows.length)} of ${fmt(total)} dead letters, newest first`);
    return 0;
  });
}

/**
 * `dead-letters replay`: sends matching letters through the ingest path again
 * (after a fix to the contract, the config or the producer). Letters valid now
 * are stored (source 'replay'; an event already stored is a duplicate, so
 * replaying twice stores nothing twice); letters still invalid are counted,
 * never dead-lettered again. The letters stay in dead_letters.
 */
export async function deadLettersReplayCommand(opts: ReplayOptions): Promise<number> {
  const since = parseDate('since', opts.since);
  const until = parseDate('until', opts.until);
  if (since && until && since >= until) throw new UsageError('--since must be before --until');
  const filter: LetterFilter = {
    source: opts.source,
    since,
    // Letters written while we replay (by another process on a server) wait for the next replay.
    until: until ?? new Date(),
    reasonLike: opts.reasonLike,
  };
  const summary = await withContext(CliDeadLettersModule, async (app) => {
    const ch = app.get(ClickHouseService);
    const ingest = app.get(EventIngestService);
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    const { where, params } = whereClause(filter);
    const matched = await countLetters(ch, where, params);
    const s: ReplaySummary = {
      matched,
      valid: 0,
      stored: 0,
      duplicates: 0,
      refused: 0,
      stillInvalid: 0,
      reasons: [],
      dryRun: Boolean(opts.dryRun),
      seconds: 0,
    };
    const reasons = new Map<string, number>();
    const invalid = (reason: string) => {
      s.stillInvalid++;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    };
    let pending: IncomingItem[] = [];
    const flush = async () => {
      const items = pending;
      pending = [];
      if (items.length === 0 || opts.dryRun) return;
      const report = await ingest.ingest(items, REPLAY_SOURCE);
      s.stored += report.accepted;
      s.duplicates += report.duplicates;
      // Only the engine can still refuse one (validated above); the writer dead-letters those.
      s.refused += report.rejected;
      for (const e of report.errors) invalid(`${e.field ? e.field + ' ' : ''}${e.reason}`);
    };

    const bar = progressBar('replay', 'letters');
    bar.start(Math.max(matched, 1), 0, { done: '0', rate: '0' });
    let done = 0;
    for await (const page of pages(ch, where, params)) {
      for (const letter of page) {
        const item = replayItem(letter, ingest);
        if ('invalid' in item) {
          invalid(item.invalid);
          continue;
        }
        s.valid++;
        pending.push(item);
        if (pending.length >= REPLAY_CHUNK) await flush();
      }
      done += page.length;
      bar.update(Math.min(done, Math.max(matched, 1)), {
        done: fmt(done),
        rate: fmt(done / Math.max(seconds(), 0.001)),
      });
    }
    await flush();
    bar.update(Math.max(matched, 1));
    bar.stop();
    // Letters can arrive between the count and the last page (a server with other writers).
    s.matched = Math.max(matched, done);
    s.reasons = [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
    s.seconds = seconds();
    return s;
  });
  if (opts.json) out(JSON.stringify(summary));
  else printReplaySummary(summary);
  return 0;
}

/**
 * A letter back into an ingest item: raw decoded (base64 → bytes → UTF-8),
 * parsed as JSON and checked against the contract here, so only valid events
 * go to ingest and nothing is dead-lettered twice.
 */
function replayItem(letter: LetterRow, ingest: EventIngestService): IncomingItem | { invalid: string } {
  let text = letter.raw;
  if (letter.raw_encoding === 'base64') {
    try {
      text = utf8.decode(Buffer.from(letter.raw, 'base64'));
    } catch {
      return { invalid: 'raw is not valid UTF-8' };
    }
  }
  if (text.trim() === '') return { invalid: 'raw is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Positions differ from letter to letter; the kind of mistake is what groups them.
    const why = (err as Error).message
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/\s*\(?(in JSON )?at position \d+.*$/s, '');
    return { invalid: `invalid JSON: ${why}` };
  }
  const result = ingest.contract.validate(value);
  if (!result.ok) return { invalid: `${result.error.field ? result.error.field + ' ' : ''}${result.error.reason}` };
  return { value, raw: text };
}

/**
 * Matching letters in received_at order, PAGE at a time. Each page ends with
 * every letter of its last received_at (WITH TIES: a batch's letters share
 * one), so the next page starts strictly after it and no letter is read twice
 * or skipped, with no OFFSET to rescan.
 */
async function* pages(ch: ClickHouseService, where: string, params: QueryParams): AsyncGenerator<LetterRow[]> {
  let after: string | null = null;
  for (;;) {
    const cond: string =
      after === null ? where : `${where ? `${where} AND` : 'WHERE'} received_at > {after:DateTime64(3, 'UTC')}`;
    const rows: LetterRow[] = await ch.query<LetterRow>(
      `SELECT received_at, source, field, reason, raw, raw_encoding, topic, partition, offset
       FROM dead_letters ${cond}
       ORDER BY received_at
       LIMIT {page:UInt32} WITH TIES`,
      { tag: 'cli:dead-letters:replay-read', params: { ...params, after, page: PAGE }, idempotent: true },
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].received_at;
  }
}

/** The WHERE clause for a filter: fixed text, every value a query parameter. */
function whereClause(f: LetterFilter): { where: string; params: QueryParams } {
  const clauses: string[] = [];
  const params: QueryParams = {};
  if (f.source !== undefined) {
    clauses.push('source = {source:String}');
    params.source = f.source;
  }
  if (f.since) {
    clauses.push("received_at >= {since:DateTime64(3, 'UTC')}");
    params.since = utcText(f.since);
  }
  if (f.until) {
    clauses.push("received_at < {until:DateTime64(3, 'UTC')}");
    params.until = utcText(f.until);
  }
  if (f.reasonLike !== undefined) {
    // Against "field reason", as list and import print them: '%type must be one of%'.
    clauses.push("concat(field, ' ', reason) ILIKE {reasonLike:String}");
    params.reasonLike = f.reasonLike;
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

async function countLetters(ch: ClickHouseService, where: string, params: QueryParams): Promise<number> {
  const rows = await ch.query<{ n: string }>(`SELECT count() AS n FROM dead_letters ${where}`, {
    tag: 'cli:dead-letters:count',
    params,
    idempotent: true,
  });
  return Number(rows[0]?.n ?? 0);
}

function printReplaySummary(s: ReplaySummary): void {
  const stored = s.dryRun
    ? `${fmt(s.valid)} valid now (not stored: --dry-run)`
    : `${fmt(s.stored)} stored · ${fmt(s.duplicates)} duplicates` +
      (s.refused ? ` · ${fmt(s.refused)} refused by the engine` : '');
  out(
    `replayed ${fmt(s.matched)} matched dead letters: ${stored} · ${fmt(s.stillInvalid)} still invalid · ${s.seconds.toFixed(1)} s`,
  );
  if (s.reasons.length === 0) return;
  out('still invalid, most common reasons:');
  const shown = s.reasons.slice(0, 10);
  const width = Math.max(...shown.map((r) => fmt(r.count).length));
  for (const r of shown) out(`  ${fmt(r.count).padStart(width)}  ${clip(r.reason, 160)}`);
  if (s.reasons.length > shown.length) out(`  … and ${fmt(s.reasons.length - shown.length)} other reasons`);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  out(line(header));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) out(line(r));
}

/** The first `max` characters on one line (control characters shown escaped). */
function clip(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function utcText(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
