import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ValueType } from 'exceljs';
import type { ExportColumn, ExportRow } from './export-column';
import { memoryOutput, readXlsx, roundTrip, sheetValues } from './export-test-helpers';
import { XlsxExportWriter, type XlsxExportOptions } from './xlsx-export-writer';

const utc = (iso: string) => new Date(iso);

/**
 * The garbage collector, exposed at run time when node was not started with
 * --expose-gc: without collecting first, dead buffers (tens of MB between
 * collections) would hide whether live ones grow.
 */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function writeBook(
  options: XlsxExportOptions,
  sheets: { name: string; columns: ExportColumn[]; rows: ExportRow[] }[],
): Promise<{ bytes: Buffer; summary: Awaited<ReturnType<XlsxExportWriter['finish']>> }> {
  const { out, bytes } = memoryOutput();
  const writer = new XlsxExportWriter(out, options);
  for (const s of sheets) await writer.writeRows(writer.addSheet(s.name, s.columns), s.rows);
  const summary = await writer.finish();
  return { bytes: await bytes(), summary };
}

describe('XlsxExportWriter: cells', () => {
  const columns: ExportColumn[] = [
    { name: 'users', type: 'integer' },
    { name: 'revenue', type: 'number' },
    { name: 'open_rate', type: 'percent' },
    { name: 'day', type: 'date' },
    { name: 'sent_at', type: 'datetime' },
    { name: 'period', type: 'string' },
  ];

  it('writes typed cells with their number formats', async () => {
    const { sheet } = await roundTrip(columns, [
      {
        users: '1234',
        revenue: 1234.5,
        open_rate: 0.1234,
        day: '2026-03-29',
        sent_at: '2026-03-29 01:30:00.000',
        period: '2026-03-29 13:00',
      },
      { users: 7, revenue: '10', open_rate: '1', day: null, sent_at: undefined, period: '2026-03-29' },
    ]);
    const a2 = (col: string) => sheet.getCell(`${col}2`);
    expect([a2('A').value, a2('A').type, a2('A').numFmt]).toEqual([1234, ValueType.Number, '#,##0']);
    expect([a2('B').value, a2('B').numFmt]).toEqual([1234.5, '#,##0.00']);
    expect([a2('C').value, a2('C').numFmt]).toEqual([0.1234, '0.00%']);
    expect([a2('D').value, a2('D').type, a2('D').numFmt]).toEqual([
      utc('2026-03-29T00:00:00Z'),
      ValueType.Date,
      'yyyy-mm-dd',
    ]);
    expect([a2('E').value, a2('E').numFmt]).toEqual([utc('2026-03-29T01:30:00Z'), 'yyyy-mm-dd hh:mm:ss']);
    expect([a2('F').value, a2('F').type]).toEqual(['2026-03-29 13:00', ValueType.String]);

    const a3 = (col: string) => sheet.getCell(`${col}3`);
    expect([a3('A').value, a3('B').value, a3('B').numFmt, a3('C').value]).toEqual([7, 10, '#,##0', 1]);
    expect([a3('D').type, a3('E').type]).toEqual([ValueType.Null, ValueType.Null]);
    expect(a3('F').value).toBe('2026-03-29');
  });

  it('shows instants in the time zone, across DST and in +05:45', async () => {
    const at = [
      '2026-03-29T00:59:59.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ];
    const rows = at.map((sent_at) => ({ sent_at }));
    const shown = async (timeZone: string) => {
      const { sheet } = await roundTrip([{ name: 'sent_at', type: 'datetime' }], rows, { timeZone });
      return sheetValues(sheet)
        .slice(1)
        .map(([v]) => (v as Date).toISOString().replace('.000Z', ''));
    };
    expect(await shown('Europe/Berlin')).toEqual([
      '2026-03-29T01:59:59',
      '2026-03-29T03:00:00', // 02:00-03:00 does not exist that night
      '2026-10-25T02:30:00', // CEST ...
      '2026-10-25T02:30:00', // ... and CET: the same wall clock twice
      '2026-03-29T03:30:00',
    ]);
    expect(await shown('Asia/Kathmandu')).toEqual([
      '2026-03-29T06:44:59',
      '2026-03-29T06:45:00',
      '2026-10-25T06:15:00',
      '2026-10-25T07:15:00',
      '2026-03-29T07:15:00',
    ]);
  });

  it('writes dates Excel cannot show as ISO text', async () => {
    const { sheet } = await roundTrip(
      [
        { name: 'day', type: 'date' },
        { name: 'at', type: 'datetime' },
      ],
      [{ day: '1899-12-31', at: '1800-01-01T00:00:00Z' }],
    );
    expect(sheetValues(sheet)[1]).toEqual(['1899-12-31', '1800-01-01T00:00:00.000Z']);
  });

  it('has a bold, frozen header with a filter, and column widths that fit', async () => {
    const { sheet } = await roundTrip(
      [
        { name: 'id', type: 'integer' },
        { name: 'a_rather_long_column_name', type: 'string' },
        { name: 'text', type: 'string' },
      ],
      [
        { id: 1, a_rather_long_column_name: 'x', text: 'short' },
        { id: 1234567, a_rather_long_column_name: 'y', text: 'z'.repeat(200) },
      ],
    );
    expect(sheet.getRow(1).values).toEqual([undefined, 'id', 'a_rather_long_column_name', 'text']);
    expect(sheet.getCell('A1').font).toMatchObject({ bold: true });
    expect(sheet.views).toEqual([expect.objectContaining({ state: 'frozen', ySplit: 1 })]);
    expect(sheet.autoFilter).toBe('A1:C3');
    expect(sheet.columns.map((c) => c.width)).toEqual([10, 28, 60]); // '1,234,567' + 1; header + 3; capped at 60
  });
});

describe('XlsxExportWriter: sheets', () => {
  const columns: ExportColumn[] = [
    { name: 'n', type: 'integer', description: 'the row number' },
    { name: 'label', type: 'string' },
  ];
  const rows = (count: number) => Array.from({ length: count }, (_, i) => ({ n: i + 1, label: `row ${i + 1}` }));

  it('continues a sheet past maxRowsPerSheet on Name (2), Name (3) with the header repeated', async () => {
    const { bytes, summary } = await writeBook({ timeZone: 'UTC', maxRowsPerSheet: 5 }, [
      { name: 'CampaignUser', columns, rows: rows(12) },
    ]);
    expect(summary).toEqual({
      sheets: [
        { name: 'CampaignUser', rows: 4 },
        { name: 'CampaignUser (2)', rows: 4 },
        { name: 'CampaignUser (3)', rows: 4 },
      ],
      rows: 12,
    });
    const book = await readXlsx(bytes);
    expect(book.worksheets.map((ws) => ws.name)).toEqual(['CampaignUser', 'CampaignUser (2)', 'CampaignUser (3)']);
    const all = book.worksheets.map(sheetValues);
    for (const values of all) {
      expect(values).toHaveLength(5);
      expect(values[0]).toEqual(['n', 'label']);
    }
    expect(all.flatMap((values) => values.slice(1).map(([n]) => n))).toEqual(rows(12).map((r) => r.n));
  });

  it('writes a valid file with only the header for an empty result', async () => {
    const { bytes, summary } = await writeBook({ timeZone: 'UTC' }, [{ name: 'Empty', columns, rows: [] }]);
    expect(summary).toEqual({ sheets: [{ name: 'Empty', rows: 0 }], rows: 0 });
    const sheet = (await readXlsx(bytes)).getWorksheet('Empty')!;
    expect(sheetValues(sheet)).toEqual([['n', 'label']]);
  });

  it('puts the About sheet first, with the report, parameters, zone, times and rows of every tab', async () => {
    const { bytes } = await writeBook(
      {
        timeZone: 'Europe/Berlin',
        maxRowsPerSheet: 5,
        about: {
          reportName: 'campaign-performance',
          title: 'Campaign performance',
          parameters: { from: '2026-03-01', to: '2026-03-31', tenant: '=evil()' },
          generatedAt: utc('2026-03-29T01:30:00Z'),
          dataCompleteAsOf: '2026-03-29 01:00:00.000',
        },
      },
      [
        { name: 'CampaignUser', columns, rows: rows(6) },
        { name: 'Totals', columns, rows: rows(1) },
      ],
    );
    const book = await readXlsx(bytes);
    expect(book.worksheets.map((ws) => ws.name)).toEqual(['About', 'CampaignUser', 'CampaignUser (2)', 'Totals']);
    expect(sheetValues(book.getWorksheet('About')!)).toEqual([
      ['Report', 'campaign-performance', null],
      ['Title', 'Campaign performance', null],
      ['Parameters', null, null],
      ['from', '2026-03-01', null],
      ['to', '2026-03-31', null],
      ['tenant', "'=evil()", null],
      ['Time zone', 'Europe/Berlin (all date-times are shown in it)', null],
      ['Generated at', utc('2026-03-29T03:30:00Z'), null],
      ['Data complete as of', utc('2026-03-29T03:00:00Z'), null],
      [null, null, null],
      ['Sheet', 'Rows', 'Note'],
      ['CampaignUser', 4, "continues on 'CampaignUser (2)'"],
      ['CampaignUser (2)', 2, "continued from 'CampaignUser'"],
      ['Totals', 1, null],
      ['Total', 7, null],
      ['Note', 'A sheet holds at most 5 rows (header included); more continue on the next.', null],
      [null, null, null],
      ['Sheet', 'Column', 'Description'],
      ['CampaignUser', 'n', 'the row number'],
      ['Totals', 'n', 'the row number'],
    ]);
  });

  it('makes sheet names valid for Excel and unique', async () => {
    const { summary } = await writeBook(
      { timeZone: 'UTC', maxRowsPerSheet: 2, about: { reportName: 'r', title: 't' } },
      [
        { name: 'Campaign/User: by [channel] and *everything* else?', columns, rows: rows(2) },
        { name: 'about', columns, rows: rows(1) },
      ],
    );
    expect(summary.sheets.map((s) => s.name)).toEqual([
      'Campaign_User_ by _channel_ and',
      'Campaign_User_ by _channel_ (2)',
      'about (2)',
    ]);
  });

  it('writes sheets one after another', async () => {
    const writer = new XlsxExportWriter(memoryOutput().out, { timeZone: 'UTC' });
    const first = writer.addSheet('First', columns);
    const second = writer.addSheet('Second', columns);
    await first.addRow({ n: 1 });
    await second.addRow({ n: 2 });
    await expect(first.addRow({ n: 3 })).rejects.toThrow(/closed/);
    await writer.finish();
    await expect(second.addRow({ n: 4 })).rejects.toThrow(/finished/);
  });

  it('reports progress every 10,000 rows and at the end', async () => {
    const progress: number[] = [];
    await writeBook({ timeZone: 'UTC', onProgress: (n) => progress.push(n) }, [
      { name: 'A', columns, rows: rows(15_000) },
      { name: 'B', columns, rows: rows(10_001) },
    ]);
    expect(progress).toEqual([10_000, 20_000, 25_001]);
  });

  it('fails rather than waits when the output goes away', async () => {
    const { out } = memoryOutput();
    const writer = new XlsxExportWriter(out, { timeZone: 'UTC' });
    const sheet = writer.addSheet('A', columns);
    await sheet.addRow({ n: 1 });
    out.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sheet.addRow({ n: 2 })).rejects.toThrow(/closed before/);
  });
});

describe('XlsxExportWriter: memory', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tallyhouse-xlsx-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /*
   * 300,000 rows × 6 columns (~90 MB of sheet XML, a 13 MB file), sampled
   * after a full collection every 50,000 rows. Measured on the dev box, peak
   * growth over the start: heap +1.2..1.4 MB, buffers +0.2..3.6 MB. With the
   * wait on the sheet's backlog switched off: heap +3.1 MB, buffers +90.5 MB
   * (the XML archiver has not deflated yet), and this test fails; an About
   * sheet added first would do the same to every later sheet (with the wait:
   * never drain). Buffering shows in arrayBuffers, not in the JS heap.
   */
  it('stays flat while writing 300,000 rows', async () => {
    const gc = collector();
    gc();
    const base = process.memoryUsage();
    let heap = 0;
    let buffers = 0;
    // A full collection in jest takes ~0.3 s: every 50,000 rows (growth would be linear).
    const sample = (rows: number) => {
      if (rows % 50_000 !== 0) return;
      gc();
      const now = process.memoryUsage();
      heap = Math.max(heap, now.heapUsed - base.heapUsed);
      buffers = Math.max(buffers, now.arrayBuffers - base.arrayBuffers);
    };
    const file = join(dir, 'big.xlsx');
    const writer = new XlsxExportWriter(createWriteStream(file), {
      timeZone: 'Europe/Berlin',
      about: { reportName: 'memory', title: 'Memory test' },
      onProgress: sample,
    });
    const start = Date.UTC(2026, 0, 1);
    async function* rows() {
      for (let i = 0; i < 300_000; i++) {
        yield {
          id: String(i),
          name: `contact ${i}`,
          revenue: i * 1.25,
          rate: (i % 100) / 100,
          day: '2026-03-29',
          at: new Date(start + i * 1000),
        };
      }
    }
    const sheet = writer.addSheet('Data', [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'revenue', type: 'number' },
      { name: 'rate', type: 'percent' },
      { name: 'day', type: 'date' },
      { name: 'at', type: 'datetime' },
    ]);
    await writer.writeRows(sheet, rows());
    const summary = await writer.finish();

    console.log(
      `300k rows: heap +${(heap / 1e6).toFixed(1)} MB, buffers +${(buffers / 1e6).toFixed(1)} MB, ` +
        `file ${(statSync(file).size / 1e6).toFixed(1)} MB`,
    );
    expect(summary.rows).toBe(300_000);
    expect(buffers).toBeLessThan(16e6);
    expect(heap).toBeLessThan(32e6);
    expect(readFileSync(file).subarray(0, 2).toString()).toBe('PK');
  }, 60_000);
});
