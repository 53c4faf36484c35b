import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeliveryService } from './delivery.service';
import type { DeliveryFile, DeliveryTarget } from './delivery.types';
import {
  captureLogs,
  sampleContext,
  sampleFile,
  startHttpServer,
  tempFolder,
  type TestHttpServer,
} from './delivery-test-helpers';

/**
 * What a manager's target may not reach, tried as an attacker would: every
 * refused folder leaves no file anywhere, every refused webhook sends no
 * request to the listener on 127.0.0.1, and nothing is tried twice.
 */
describe('DeliveryService: targets outside what delivery may reach', () => {
  let place: Awaited<ReturnType<typeof tempFolder>>;
  let root: string;
  let dataDir: string;
  let outside: string;
  let file: DeliveryFile;
  let listener: TestHttpServer;
  let service: DeliveryService;

  beforeAll(async () => {
    captureLogs();
    place = await tempFolder();
    // The warehouse's data directory with the default delivery root inside it, and a folder outside both.
    dataDir = join(place.path, 'data');
    root = join(dataDir, 'deliveries');
    outside = join(place.path, 'outside');
    for (const dir of [root, outside, join(place.path, 'runs')]) await mkdir(dir, { recursive: true });
    await writeFile(join(dataDir, 'keys.txt'), 'admin key\n');
    await symlink(outside, join(root, 'link-out'));
    await symlink(dataDir, join(root, 'link-data'));
    await symlink('/etc', join(root, 'link-etc'));
    file = await sampleFile(join(place.path, 'runs'), 'usage.csv', 'a,b\r\n');
    listener = await startHttpServer((_req, res) => res.end('hello from inside'));
    service = new DeliveryService({ attempts: 3, baseDelayMs: 1, folderRoots: [root], protectedDirs: [dataDir] });
  });

  afterAll(async () => {
    await listener.close();
    await place.remove();
  });

  const deliver = (target: DeliveryTarget) => service.deliver(target, file, sampleContext);

  it.each([
    ['a system folder', () => '/etc'],
    ['a folder under a system folder', () => '/etc/tallyhouse-probe'],
    ['.. out of the root', () => `${root}/../escaped`],
    ['.. out of the root, deeper', () => `${root}/a/../../../outside`],
    ['the data directory', () => dataDir],
    ['a folder inside the data directory', () => join(dataDir, 'clickhouse')],
    ['a link in the root to a folder outside', () => join(root, 'link-out')],
    ['a folder under a link out of the root', () => join(root, 'link-out', 'new')],
    ['a link in the root to the data directory', () => join(root, 'link-data')],
    ['a link in the root to /etc', () => join(root, 'link-etc', 'tallyhouse-probe')],
    ['a relative path', () => 'deliveries/out'],
  ])('refuses a folder target: %s, writing nothing', async (_name, path) => {
    const before = await Promise.all([readdir(outside), readdir(dataDir)]);
    const result = await deliver({ type: 'folder', path: path() });
    expect(result).toMatchObject({ ok: false, attempts: 0 });
    expect(result.error).toMatch(/target\.path must be/);
    expect(await Promise.all([readdir(outside), readdir(dataDir)])).toEqual(before);
    expect(existsSync('/etc/tallyhouse-probe')).toBe(false);
    expect(existsSync(join(place.path, 'escaped'))).toBe(false);
  });

  it('delivers into the root and a folder it makes there, and says so when asked at creation', async () => {
    const result = await deliver({ type: 'folder', path: join(root, 'board', 'monthly') });
    expect(result).toMatchObject({ ok: true, location: join(root, 'board', 'monthly', 'usage.csv') });
    expect(await service.confinement.targetProblem({ type: 'folder', path: join(root, 'x') }, 'targets[0]')).toBeNull();
    expect(await service.confinement.targetProblem({ type: 'folder', path: '/etc' }, 'targets[2]')).toMatch(
      /^targets\[2\]\.path must be a folder inside a delivery root \(DELIVERY_FOLDER_ROOTS: .*deliveries\)/,
    );
  });

  const loopback = (host: string) => () => `http://${host}:${listener.port}/in`;
  it.each([
    ['127.0.0.1', loopback('127.0.0.1')],
    ['localhost', loopback('localhost')],
    ['localhost., a trailing dot', loopback('localhost.')],
    ['decimal 2130706433', loopback('2130706433')],
    ['hex 0x7f000001', loopback('0x7f000001')],
    ['octal 0177.0.0.1', loopback('0177.0.0.1')],
    ['short 127.1', loopback('127.1')],
    ['another loopback 127.9.9.9', loopback('127.9.9.9')],
    ['IPv6 ::1', loopback('[::1]')],
    ['IPv4-mapped ::ffff:127.0.0.1', loopback('[::ffff:127.0.0.1]')],
    ['IPv4-mapped in hex ::ffff:7f00:1', loopback('[::ffff:7f00:1]')],
    ['NAT64 64:ff9b::7f00:1', loopback('[64:ff9b::7f00:1]')],
    ['unspecified 0.0.0.0', loopback('0.0.0.0')],
    ['private 10.0.0.1', () => 'http://10.0.0.1/in'],
    ['private 192.168.1.1', () => 'http://192.168.1.1/in'],
    ['private 172.16.0.1', () => 'http://172.16.0.1/in'],
    ['cloud metadata 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
    ['cloud metadata over IPv6 fd00:ec2::254', () => 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['carrier-grade NAT metadata 100.100.100.200', () => 'http://100.100.100.200/latest/meta-data/'],
    ['https to loopback', () => `https://127.0.0.1:${listener.port}/in`],
    ['credentials in the URL', () => `http://user:pass@example.org/in`],
    ['a non-http scheme', () => `file:///etc/passwd`],
  ])('refuses a webhook target: %s, sending nothing', async (_name, url) => {
    const result = await deliver({ type: 'webhook', url: url() });
    expect(result).toMatchObject({ ok: false, attempts: 0 });
    expect(result.error).toMatch(/^target\.url (must|has a host that cannot be resolved)/);
    expect(listener.requests).toHaveLength(0);
  });

  it('reaches a non-public host only when WEBHOOK_ALLOW_HOSTS lists its name or address', async () => {
    const byName = new DeliveryService({ attempts: 1, webhookAllowHosts: ['localhost'] });
    const byBlock = new DeliveryService({ attempts: 1, webhookAllowHosts: ['127.0.0.0/8'] });
    const byOther = new DeliveryService({ attempts: 1, webhookAllowHosts: ['10.0.0.0/8', 'hooks.intranet'] });
    const target = (host: string): DeliveryTarget => ({ type: 'webhook', url: `http://${host}:${listener.port}/in` });
    expect(await byName.deliver(target('localhost'), file, sampleContext)).toMatchObject({ ok: true });
    expect(await byName.deliver(target('127.0.0.1'), file, sampleContext)).toMatchObject({ ok: false, attempts: 0 });
    expect(await byBlock.deliver(target('2130706433'), file, sampleContext)).toMatchObject({ ok: true });
    expect(await byOther.deliver(target('127.0.0.1'), file, sampleContext)).toMatchObject({ ok: false, attempts: 0 });
    expect(listener.requests).toHaveLength(2);
    // What the target answered is never kept: a 2xx is all that is said.
    listener.requests.length = 0;
  });
});
