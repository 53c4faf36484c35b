import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryService } from './delivery.service';
import { captureLogs, sampleContext, sampleFile, tempFolder } from './delivery-test-helpers';
import { safeFileName, versionedName } from './folder-delivery';

describe('DeliveryService: folder', () => {
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let source: string;
  // Every temporary folder is inside the delivery root here (target-confinement.spec.ts shows the refusals).
  const service = new DeliveryService({ attempts: 2, baseDelayMs: 1, folderRoots: [tmpdir()] });

  beforeAll(() => captureLogs());

  beforeEach(async () => {
    folder = await tempFolder();
    source = join(folder.path, 'runs');
    await mkdir(source);
  });

  afterEach(() => folder.remove());

  it('copies the file into a folder it creates, under the file name', async () => {
    const file = await sampleFile(source, 'account-usage-2026-10-01.csv', 'account,events\r\na,1\r\n');
    const out = join(folder.path, 'out', 'monthly');

    const result = await service.deliver({ type: 'folder', path: out }, file, sampleContext);

    const delivered = join(out, 'account-usage-2026-10-01.csv');
    expect(result).toEqual({ target: `folder ${out}`, ok: true, attempts: 1, mode: 'file', location: delivered });
    expect(await readFile(delivered, 'utf8')).toBe('account,events\r\na,1\r\n');
    expect(await readdir(out)).toEqual(['account-usage-2026-10-01.csv']);
  });

  it("never overwrites another run's file: the next ones become 'name (2).ext', 'name (3).ext'", async () => {
    const out = join(folder.path, 'out');
    const first = await sampleFile(source, 'usage.csv', 'first run\r\n');
    await service.deliver({ type: 'folder', path: out }, first, sampleContext);
    const second = { ...(await sampleFile(source, 'second.csv', 'second run\r\n')), fileName: 'usage.csv' };
    const third = { ...(await sampleFile(source, 'third.csv', 'third run\r\n')), fileName: 'usage.csv' };

    const results = [
      await service.deliver({ type: 'folder', path: out }, second, sampleContext),
      await service.deliver({ type: 'folder', path: out }, third, sampleContext),
    ];

    expect(results.map((r) => r.location)).toEqual([join(out, 'usage (2).csv'), join(out, 'usage (3).csv')]);
    expect(await readFile(join(out, 'usage.csv'), 'utf8')).toBe('first run\r\n');
    expect(await readFile(join(out, 'usage (2).csv'), 'utf8')).toBe('second run\r\n');
    expect(await readFile(join(out, 'usage (3).csv'), 'utf8')).toBe('third run\r\n');
    // No temporary file is left behind.
    expect((await readdir(out)).sort()).toEqual(['usage (2).csv', 'usage (3).csv', 'usage.csv']);
  });

  it('finds the same content already in place (an earlier attempt of this run) and copies nothing', async () => {
    const out = join(folder.path, 'out');
    await mkdir(out);
    await writeFile(join(out, 'usage.csv'), 'other run\r\n');
    const file = await sampleFile(source, 'usage.csv', 'this run\r\n');

    const once = await service.deliver({ type: 'folder', path: out }, file, sampleContext);
    const again = await service.deliver({ type: 'folder', path: out }, file, sampleContext);

    expect(once.location).toBe(join(out, 'usage (2).csv'));
    expect(again.location).toBe(join(out, 'usage (2).csv'));
    expect((await readdir(out)).sort()).toEqual(['usage (2).csv', 'usage.csv']);
  });

  it('fails after the configured attempts when the folder cannot be made, saying why', async () => {
    // A file where a folder should be: fails for root too, unlike mode bits.
    await writeFile(join(folder.path, 'blocker'), '');
    const out = join(folder.path, 'blocker', 'out');
    const file = await sampleFile(source, 'usage.csv', 'x\r\n');

    const result = await service.deliver({ type: 'folder', path: out }, file, sampleContext);

    expect(result).toMatchObject({ target: `folder ${out}`, ok: false, attempts: 2 });
    expect(result.error).toContain('ENOTDIR');
  });

  it('fails without trying when the file to deliver is missing', async () => {
    const file = await sampleFile(source, 'usage.csv', 'x\r\n');
    const missing = { ...file, path: join(source, 'gone.csv') };

    const result = await service.deliver({ type: 'folder', path: join(folder.path, 'out') }, missing, sampleContext);

    expect(result).toMatchObject({ ok: false, attempts: 0 });
    expect(result.error).toContain('the file to deliver cannot be read');
  });
});

describe('folder file names', () => {
  it("numbers versions before the extension: 'a.xlsx', 'a (2).xlsx'", () => {
    expect(versionedName('a.xlsx', 1)).toBe('a.xlsx');
    expect(versionedName('a.xlsx', 2)).toBe('a (2).xlsx');
    expect(versionedName('report', 3)).toBe('report (3)');
    expect(versionedName('a.b.csv', 2)).toBe('a.b (2).csv');
  });

  it('keeps a file name inside the folder', () => {
    expect(safeFileName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(safeFileName('a\\b\nc.csv')).toBe('a_b_c.csv');
    expect(safeFileName('..')).toBe('report');
  });
});
