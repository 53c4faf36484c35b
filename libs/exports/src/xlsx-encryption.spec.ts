import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import officeCrypto from 'officecrypto-tool';
import { readXlsx, sheetValues } from './export-test-helpers';
import { encryptXlsx, encryptXlsxFile } from './xlsx-encryption';
import { XlsxExportWriter } from './xlsx-export-writer';

/** The signature of an OLE compound file (CFB), the container of encrypted Office files. */
const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

describe('encryptXlsxFile', () => {
  let dir: string;
  let plainPath: string;
  const expected = [
    ['contact', 'sent'],
    ['ada@example.com', 3],
    ["'=1+1", 4],
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tallyhouse-encrypt-'));
    plainPath = join(dir, 'plain.xlsx');
    const out = createWriteStream(plainPath);
    const writer = new XlsxExportWriter(out, { timeZone: 'UTC' });
    const sheet = writer.addSheet('Data', [
      { name: 'contact', type: 'string' },
      { name: 'sent', type: 'integer' },
    ]);
    await writer.writeRows(sheet, [
      { contact: 'ada@example.com', sent: '3' },
      { contact: '=1+1', sent: 4 },
    ]);
    await writer.finish();
    await finished(out);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an encrypted OLE container that only the right password opens', async () => {
    const encryptedPath = join(dir, 'encrypted.xlsx');
    await encryptXlsxFile(plainPath, encryptedPath, 'correct horse');
    const encrypted = readFileSync(encryptedPath);

    expect(encrypted.subarray(0, 8)).toEqual(CFB_MAGIC);
    expect(officeCrypto.isEncrypted(encrypted)).toBe(true);
    await expect(readXlsx(encrypted)).rejects.toThrow();
    await expect(officeCrypto.decrypt(encrypted, { password: 'wrong horse' })).rejects.toThrow(/password/);

    const decrypted = await officeCrypto.decrypt(encrypted, { password: 'correct horse' });
    const sheet = (await readXlsx(decrypted)).getWorksheet('Data')!;
    expect(sheetValues(sheet)).toEqual(expected);
  });

  it('refuses an empty password', () => {
    expect(() => encryptXlsx(readFileSync(plainPath), '')).toThrow(/empty/);
  });
});
