import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DemoKeys, DemoLoader } from '@tallyhouse/demo';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/** The first start with demo data, as `npm start` makes it: keys printed once and kept for the owner only. */
let wh: TestWarehouse;

beforeAll(async () => {
  wh = await startTestWarehouse({ DEMO_DATA: 'true', DEMO_EVENTS: '3000' });
  await wh.app.get(DemoLoader).whenDone();
}, 120_000);
afterAll(async () => wh?.close());

it('writes a local admin key and a manager key per demo tenant to DATA_DIR/keys.txt (0600), once', async () => {
  const path = join(wh.dataDir, 'keys.txt');
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const keys = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => /^(admin|manager) /.test(l))
    .map((l) => l.split(/\s+/));
  expect(keys.map(([role, tenant]) => `${role} ${tenant}`)).toEqual([
    'admin *',
    'manager maple-valley-sd',
    'manager nordlicht-moda',
    'manager himal-mobile',
  ]);
  const admin = keys[0][2];
  expect((await wh.http(admin).get('/v1/auth/me').expect(200)).body).toMatchObject({ role: 'admin', tenant: null });
  const himal = keys[3][2];
  // A demo manager reads its own tenant's report without naming it, and not another's.
  const report = await wh
    .http(himal)
    .get('/v1/reports/account-usage')
    .query({ from: new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10), interval: 'month' })
    .query({ to: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) })
    .expect(200);
  expect(report.body.params.tenant).toBe('himal-mobile');
  expect((await wh.http(himal).get('/v1/stats?tenant=nordlicht-moda')).status).toBe(403);
  // Later starts (and this one, asked again) make no more keys.
  expect(await wh.app.get(DemoKeys).createIfNone()).toBeNull();
});
