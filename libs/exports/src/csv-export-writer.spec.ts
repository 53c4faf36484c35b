import { parse as parseCsv } from 'csv-parse/sync';
import { INJECTION_PAYLOADS } from './injection-payloads';
import { Writable } from 'node:stream';
import type { ExportColumn, ExportRow } from './export-column';
import { memoryOutput } from './export-test-helpers';
import { writeCsv } from './csv-export-writer';

async function csv(columns: ExportColumn[], rows: ExportRow[], bom = false): Promise<string> {
  const { out, bytes } = memoryOutput();
  const summary = await writeCsv(columns, rows, out, { bom, end: true });
  const written = await bytes();
  expect(summary).toEqual({ rows: rows.length, bytes: written.length });
  return written.toString('utf8');
}

describe('writeCsv', () => {
  it('writes RFC 4180: header, CRLF, quotes around ", comma, CR and LF', async () => {
    const text = await csv(
      [
        { name: 'name', type: 'string' },
        { name: 'note, with comma', type: 'string' },
      ],
      [
        { name: 'plain', note: 'x' },
        { name: 'say "hi"', 'note, with comma': 'a,b' },
        { name: 'two\nlines', 'note, with comma': 'cr\rhere' },
      ],
    );
    expect(text).toBe(
      'name,"note, with comma"\r\n' + 'plain,\r\n' + '"say ""hi""","a,b"\r\n' + '"two\nlines","cr\rhere"\r\n',
    );
  });

  it('prefixes every injection payload with a quote, so a spreadsheet reads text', async () => {
    const text = await csv(
      [{ name: 'v', type: 'string' }],
      INJECTION_PAYLOADS.map((v) => ({ v })),
    );
    const fields = parseCsv(text, { relax_quotes: true }) as string[][];
    expect(fields.slice(1).map(([v]) => v)).toEqual(INJECTION_PAYLOADS.map((v) => `'${v}`));
  });

  it('prefixes formula text with a quote, and writes objects as JSON text', async () => {
    const text = await csv(
      [{ name: 'v', type: 'string' }],
      [
        { v: '=SUM(A1:A9)' },
        { v: '+1' },
        { v: '-2+3' },
        { v: '@x' },
        { v: '\tx' },
        { v: '\rx' },
        { v: { formula: 'A1' } },
        { v: { hyperlink: 'http://x', text: 'y' } },
        { v: true },
        { v: false },
      ],
    );
    expect(text.split('\r\n').slice(1, -1)).toEqual([
      "'=SUM(A1:A9)",
      "'+1",
      "'-2+3",
      "'@x",
      "'\tx",
      // A lone CR is quoted (RFC 4180), and the field starts with the quote's quote.
      `"'\rx"`,
      '"{""formula"":""A1""}"',
      '"{""hyperlink"":""http://x"",""text"":""y""}"',
      'true',
      'false',
    ]);
  });

  it('writes numbers as numbers: negative ones, numeric text and 64-bit integers digit for digit', async () => {
    const text = await csv(
      [
        { name: 'i', type: 'integer' },
        { name: 'n', type: 'number' },
        { name: 'p', type: 'percent' },
      ],
      [
        { i: -5, n: -1.25, p: 0.1234 },
        { i: '-7', n: '2.50', p: '0.5' },
        { i: '18446744073709551615', n: 2n ** 64n, p: null },
        { i: 'n/a', n: '=1', p: undefined },
      ],
    );
    expect(text).toBe(
      'i,n,p\r\n' +
        '-5,-1.25,0.1234\r\n' +
        '-7,2.50,0.5\r\n' +
        '18446744073709551615,18446744073709551616,\r\n' +
        "n/a,'=1,\r\n",
    );
  });

  it('writes datetimes as ISO-8601 UTC and dates and periods as they are', async () => {
    const text = await csv(
      [
        { name: 'at', type: 'datetime' },
        { name: 'day', type: 'date' },
        { name: 'period', type: 'string' },
      ],
      [
        { at: '2026-03-29 01:30:00.000', day: '2026-03-29', period: '2026-03-29 13:00' },
        { at: '2026-03-29T03:30:00+02:00', day: new Date('2026-03-29T00:00:00Z'), period: '2026-03-29' },
        { at: new Date('2026-03-29T01:30:00Z'), day: 'soon', period: null },
      ],
    );
    expect(text).toBe(
      'at,day,period\r\n' +
        '2026-03-29T01:30:00.000Z,2026-03-29,2026-03-29 13:00\r\n' +
        '2026-03-29T01:30:00.000Z,2026-03-29,2026-03-29\r\n' +
        '2026-03-29T01:30:00.000Z,soon,\r\n',
    );
  });

  it('starts with a BOM when asked, and counts its bytes', async () => {
    const text = await csv([{ name: 'ä', type: 'string' }], [{ ä: 'ö' }], true);
    expect(text).toBe('\uFEFFä\r\nö\r\n');
  });

  it('writes only the header for no rows', async () => {
    expect(await csv([{ name: 'a', type: 'string' }], [])).toBe('a\r\n');
  });

  it('leaves the output open unless asked to end it', async () => {
    const { out } = memoryOutput();
    await writeCsv([{ name: 'a', type: 'string' }], [{ a: 1 }], out);
    expect(out.writableEnded).toBe(false);
    out.end();
  });

  it('reads rows from an async source and reports progress every 10,000 rows', async () => {
    async function* rows() {
      for (let i = 0; i < 25_000; i++) yield { i };
    }
    const progress: number[] = [];
    const { out, bytes } = memoryOutput();
    const summary = await writeCsv([{ name: 'i', type: 'integer' }], rows(), out, {
      end: true,
      onProgress: (n) => progress.push(n),
    });
    expect(summary.rows).toBe(25_000);
    expect(progress).toEqual([10_000, 20_000, 25_000]);
    expect((await bytes()).toString().split('\r\n')[25_000]).toBe('24999');
  });

  it('waits for a slow output instead of buffering the rows', async () => {
    let maxBuffered = 0;
    let written = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        maxBuffered = Math.max(maxBuffered, slow.writableLength);
        written += chunk.length;
        setTimeout(done, 1);
      },
    });
    const row = { a: 'x'.repeat(100), b: 12345 };
    const summary = await writeCsv(
      [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'integer' },
      ],
      Array.from({ length: 20_000 }, () => row),
      slow,
      { end: true },
    );
    expect(written).toBe(summary.bytes);
    expect(summary.bytes).toBeGreaterThan(2_000_000);
    // One chunk (~64 KiB) at most is waiting, not the 2 MB written.
    expect(maxBuffered).toBeLessThan(100 * 1024);
  });

  it('fails rather than waits when the output goes away', async () => {
    const gone = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, _done) {
        // Never completes: a client that stopped reading, then disconnects.
        setTimeout(() => gone.destroy(), 10);
      },
    });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ a: `row ${i} ${'x'.repeat(50)}` }));
    await expect(writeCsv([{ name: 'a', type: 'string' }], rows, gone)).rejects.toThrow(/closed before/);
  });
});
