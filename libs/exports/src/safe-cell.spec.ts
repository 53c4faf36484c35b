import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ValueType } from 'exceljs';
import type { ExportColumn, ExportValue } from './export-column';
import { memoryOutput, readXlsx, roundTrip } from './export-test-helpers';
import { INJECTION_PAYLOADS } from './injection-payloads';
import { XlsxExportWriter } from './xlsx-export-writer';
import { escapeFormula, toSafeCell } from './safe-cell';

describe('escapeFormula', () => {
  it.each(['=1+2', '+1', '-2+3+cmd|" /C calc"!A0', '@SUM(A1)', '\tx', '\rx'])('prefixes %j with a quote', (text) => {
    expect(escapeFormula(text)).toBe(`'${text}`);
  });

  it.each(['', 'plain', 'a=b', ' =1', "'=already", '2026-03-29', '1,5'])('leaves %j as it is', (text) => {
    expect(escapeFormula(text)).toBe(text);
  });
});

describe('toSafeCell', () => {
  it('writes objects as JSON text, never as the objects exceljs would turn into formulas or links', () => {
    expect(toSafeCell({ formula: 'A1' }, 'string')).toBe('{"formula":"A1"}');
    expect(toSafeCell({ sharedFormula: 'A1', result: 1 }, 'string')).toBe('{"sharedFormula":"A1","result":1}');
    expect(toSafeCell({ hyperlink: 'http://x', text: 'y' }, 'string')).toBe('{"hyperlink":"http://x","text":"y"}');
    expect(toSafeCell({ richText: [{ text: 'a' }] }, 'string')).toBe('{"richText":[{"text":"a"}]}');
    expect(toSafeCell(['=1', 2n], 'string')).toBe('["=1","2"]');
    // Objects in typed columns too.
    expect(toSafeCell({ formula: 'A1' }, 'integer')).toBe('{"formula":"A1"}');
    expect(toSafeCell({ formula: 'A1' }, 'datetime')).toBe('{"formula":"A1"}');
  });

  it('still writes a circular object as text', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toSafeCell(circular, 'string')).toBe('[object Object]');
  });

  it('writes booleans as text', () => {
    expect(toSafeCell(true, 'string')).toBe('true');
    expect(toSafeCell(false, 'integer')).toBe('false');
  });

  it('writes bigints as numbers when exact, else as text', () => {
    expect(toSafeCell(42n, 'integer')).toBe(42);
    expect(toSafeCell(-(2n ** 53n) + 1n, 'integer')).toBe(-(2 ** 53) + 1);
    expect(toSafeCell(2n ** 64n - 1n, 'integer')).toBe('18446744073709551615');
    expect(toSafeCell(-(2n ** 63n), 'integer')).toBe("'-9223372036854775808");
  });

  it('reads numbers of numeric columns from ClickHouse text', () => {
    expect(toSafeCell('123', 'integer')).toBe(123);
    expect(toSafeCell('-5', 'integer')).toBe(-5);
    expect(toSafeCell('0.1234', 'percent')).toBe(0.1234);
    expect(toSafeCell('1e-7', 'number')).toBe(1e-7);
    expect(toSafeCell('9007199254740993', 'integer')).toBe('9007199254740993');
    expect(toSafeCell('abc', 'number')).toBe('abc');
    expect(toSafeCell('=1+1', 'number')).toBe("'=1+1");
    expect(toSafeCell('-inf', 'number')).toBe("'-inf");
  });

  it('keeps a negative number a number; only text gets the prefix', () => {
    expect(toSafeCell(-5, 'integer')).toBe(-5);
    expect(toSafeCell(-5, 'string')).toBe(-5);
    expect(toSafeCell('-5', 'string')).toBe("'-5");
    expect(toSafeCell(-Infinity, 'number')).toBe("'-Infinity");
    expect(toSafeCell(NaN, 'number')).toBe('NaN');
  });

  it('leaves period text of string columns as text', () => {
    expect(toSafeCell('2026-03-29', 'string')).toBe('2026-03-29');
    expect(toSafeCell('2026-03-29 13:00', 'string')).toBe('2026-03-29 13:00');
  });

  it('reads calendar dates as UTC midnight, and only real ones', () => {
    expect(toSafeCell('2026-03-29', 'date')).toEqual(new Date('2026-03-29T00:00:00Z'));
    expect(toSafeCell(new Date('2026-03-29T23:30:00Z'), 'date')).toEqual(new Date('2026-03-29T00:00:00Z'));
    expect(toSafeCell('2026-02-30', 'date')).toBe('2026-02-30');
    expect(toSafeCell('29.03.2026', 'date')).toBe('29.03.2026');
  });

  it('reads instants from ISO and ClickHouse text (UTC)', () => {
    const instant = new Date('2026-03-29T01:30:00.000Z');
    expect(toSafeCell('2026-03-29T01:30:00.000Z', 'datetime')).toEqual(instant);
    expect(toSafeCell('2026-03-29 01:30:00.000', 'datetime')).toEqual(instant);
    expect(toSafeCell('2026-03-29 01:30:00', 'datetime')).toEqual(instant);
    expect(toSafeCell('2026-03-29T03:30:00+02:00', 'datetime')).toEqual(instant);
    expect(toSafeCell('2026-03-29 01:30:00.000000000', 'datetime')).toEqual(instant);
    expect(toSafeCell(instant, 'datetime')).toBe(instant);
    expect(toSafeCell('2026-02-30 01:30:00', 'datetime')).toBe('2026-02-30 01:30:00');
    expect(toSafeCell('-1 day', 'datetime')).toBe("'-1 day");
  });

  it('makes null, undefined and empty text empty cells', () => {
    for (const value of [null, undefined, '']) expect(toSafeCell(value, 'string')).toBeNull();
  });
});

describe('safe cells in a written XLSX', () => {
  const dangerous: [ExportValue, string][] = [
    ['=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'],
    ['+1', "'+1"],
    ['-1+1', "'-1+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    // XML reads a raw CR as LF (exceljs does not write Excel's _x000D_); still text, still prefixed.
    ['\rcmd', "'\ncmd"],
    [{ formula: 'A1*2', result: 7 }, '{"formula":"A1*2","result":7}'],
    [{ sharedFormula: 'A2' }, '{"sharedFormula":"A2"}'],
    [{ hyperlink: 'http://evil', text: 'click' }, '{"hyperlink":"http://evil","text":"click"}'],
    [{ richText: [{ text: 'bold', font: { bold: true } }] }, '{"richText":[{"text":"bold","font":{"bold":true}}]}'],
    [{ error: '#REF!' }, '{"error":"#REF!"}'],
    [['=1', 2], '["=1",2]'],
    [true, 'true'],
  ];

  it('has no formula, link or rich text anywhere, and the text as expected', async () => {
    const columns: ExportColumn[] = [
      { name: 'text', type: 'string' },
      { name: 'count', type: 'integer' },
      { name: '=header', type: 'string' },
    ];
    const rows = dangerous.map(([value]) => ({ text: value, count: value, '=header': value }));
    const { sheet } = await roundTrip(columns, rows);

    expect(sheet.getRow(1).values).toEqual([undefined, 'text', 'count', "'=header"]);
    dangerous.forEach(([, expected], i) => {
      const row = sheet.getRow(i + 2);
      for (const col of [1, 2, 3]) {
        const cell = row.getCell(col);
        expect(cell.type).toBe(ValueType.String);
        expect(cell.formula).toBeUndefined();
        expect(cell.hyperlink).toBeUndefined();
        expect(cell.value).toBe(expected);
      }
    });
  });

  it('writes every injection payload as text that two independent readers see as text', async () => {
    const rows = INJECTION_PAYLOADS.map((v) => ({ v }));
    const { out, bytes } = memoryOutput();
    const writer = new XlsxExportWriter(out, { timeZone: 'UTC' });
    await writer.writeRows(writer.addSheet('Data', [{ name: 'v', type: 'string' }]), rows);
    await writer.finish();
    const file = await bytes();

    const sheet = (await readXlsx(file)).getWorksheet('Data')!;
    INJECTION_PAYLOADS.forEach((payload, i) => {
      const cell = sheet.getCell(i + 2, 1);
      expect({ payload, type: cell.type, formula: cell.formula }).toEqual({
        payload,
        type: ValueType.String,
        formula: undefined,
      });
      // XML reads a raw CR as LF.
      expect(cell.value).toBe(`'${payload}`.replace('\r', '\n'));
    });

    // Python's zip and XML parsers: no <f> element, no hyperlink relation, every row there.
    const dir = mkdtempSync(join(tmpdir(), 'tallyhouse-injection-'));
    try {
      writeFileSync(join(dir, 'payloads.xlsx'), file);
      const census = join(__dirname, '..', '..', '..', 'test', 'support', 'xlsx_census.py');
      const { stdout } = await promisify(execFile)('python3', [census, join(dir, 'payloads.xlsx')]);
      const [data] = JSON.parse(stdout) as { rows: number; formulas: string[]; hyperlinks: number }[];
      expect(data).toMatchObject({ rows: INJECTION_PAYLOADS.length + 1, formulas: [], hyperlinks: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a negative number a number cell', async () => {
    const { sheet } = await roundTrip([{ name: 'n', type: 'integer' }], [{ n: -5 }, { n: '-7' }]);
    expect(sheet.getCell('A2').value).toBe(-5);
    expect(sheet.getCell('A3').value).toBe(-7);
    expect(sheet.getCell('A2').type).toBe(ValueType.Number);
  });
});
