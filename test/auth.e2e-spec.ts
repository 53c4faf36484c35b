import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { KeyStore, type Role } from '@tallyhouse/auth';
import { DemoKeys } from '@tallyhouse/demo';
import { messageEvents } from './support/events';
import { waitFor } from './support/wait';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Every /v1 route, found in the app's router (so a new endpoint cannot be
 * left out), called without a key, with a revoked key, with an expired key,
 * with a key of another tenant and with a role too low: 401 or 403 (404 for
 * another tenant's job or schedule), and never any data.
 */
const A = 'tenant-a';
const B = 'tenant-b';
const RANGE = { from: '2026-10-01', to: '2026-10-03' };

/** The roles each route admits besides admin. A route missing here fails the test: decide, then add it. */
const ALLOWED: Record<string, readonly Role[]> = {
  'GET /v1/auth/me': ['manager', 'analyst', 'viewer', 'ingest'],
  'POST /v1/tenants': [],
  'GET /v1/tenants': [],
  'POST /v1/keys': ['manager'],
  'GET /v1/keys': ['manager'],
  'DELETE /v1/keys/:prefix': ['manager'],
  'POST /v1/events': ['ingest'],
  'GET /v1/events/schema': ['manager', 'analyst', 'viewer', 'ingest'],
  'GET /v1/stats': ['manager', 'analyst', 'viewer'],
  'GET /v1/dead-letters': ['manager'],
  'GET /v1/reports': ['manager', 'analyst', 'viewer'],
  'GET /v1/reports/:name': ['manager', 'analyst', 'viewer'],
  'POST /v1/exports': ['manager'],
  'GET /v1/exports/history': ['manager'],
  'GET /v1/exports/:id': ['manager'],
  'GET /v1/exports/:id/file': ['manager'],
  'POST /v1/schedules': ['manager'],
  'GET /v1/schedules': ['manager'],
  'GET /v1/schedules/:id': ['manager'],
  'DELETE /v1/schedules/:id': ['manager'],
  'POST /v1/schedules/:id/run': ['manager'],
  'GET /v1/schedules/:id/runs': ['manager'],
  'POST /v1/sql': ['manager', 'analyst'],
  'GET /v1/sql/tables': ['manager', 'analyst'],
  'GET /v1/sql/log': ['manager'],
};
/** Authorised by something else than a key. */
const PUBLIC = new Set(['GET /v1/schedules/runs/:runId/file']);

interface Route {
  method: string;
  path: string;
}

/** The routes Express knows, as "METHOD /path" with Nest's :params. */
function routesOf(wh: TestWarehouse): Route[] {
  const express = wh.app.getHttpAdapter().getInstance() as {
    router?: { stack: Layer[] };
    _router?: { stack: Layer[] };
  };
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
  }
  const stack = (express.router ?? express._router)?.stack ?? [];
  const routes: Route[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}

let wh: TestWarehouse;
const keys = {} as Record<
  'revoked' | 'expired' | 'managerA' | 'managerB' | 'viewerA' | 'analystB' | 'ingestA' | 'ingestB',
  string
>;
let exportOfA: string;
let scheduleOfA: string;
let keyOfA: string;

beforeAll(async () => {
  wh = await startTestWarehouse({ AUTH_MAX_FAILURES_PER_MINUTE: '100000' });
  for (const id of [A, B]) await wh.http().post('/v1/tenants').send({ id, name: id, time_zone: 'UTC' }).expect(201);
  const events = [...messageEvents(60, { tenant: A }), ...messageEvents(40, { tenant: B })];
  expect((await wh.http().post('/v1/events').send(events)).body.accepted).toBe(100);

  keys.managerA = await wh.createKey('manager', A);
  keys.managerB = await wh.createKey('manager', B);
  keys.viewerA = await wh.createKey('viewer', A);
  keys.analystB = await wh.createKey('analyst', B);
  keys.ingestA = await wh.createKey('ingest', A);
  keys.ingestB = await wh.createKey('ingest', B);
  keys.revoked = await wh.createKey('manager', A);
  await wh
    .http()
    .delete(`/v1/keys/${keys.revoked.slice(0, 11)}`)
    .expect(200);
  keys.expired = await wh.createKey('manager', A, { expiresDays: 1 });
  // Expiry as if the day had passed: a newer version of the row, expired a minute ago.
  await wh.ch.command(
    `INSERT INTO api_keys SELECT * REPLACE (now64(3) - INTERVAL 1 MINUTE AS expires_at, now64(3) AS updated_at)
     FROM api_keys FINAL WHERE prefix = {prefix:String}`,
    { tag: 'test:expire-key', params: { prefix: keys.expired.slice(0, 11) } },
  );
  // Written behind the key store's back, as another process would: read within KEY_CACHE_SECONDS, or now.
  await wh.app.get(KeyStore).reload();

  const job = await wh
    .http(keys.managerA)
    .post('/v1/exports')
    .send({ report: 'account-usage', format: 'csv', reason: 'fixture', params: RANGE })
    .expect(202);
  exportOfA = job.body.id;
  await waitFor(
    async () => (await wh.http().get(`/v1/exports/${exportOfA}`)).body.status === 'done',
    30_000,
    'the export of A',
  );
  const schedule = await wh
    .http(keys.managerA)
    .post('/v1/schedules')
    .send({
      name: 'A monthly',
      report: 'account-usage',
      params: {},
      range: 'last_full_month',
      cron: '0 6 1 * *',
      format: 'csv',
      targets: [{ type: 'folder', path: `${wh.dataDir}/deliveries/drop` }],
    })
    .expect(201);
  scheduleOfA = schedule.body.id;
  keyOfA = (await wh.http(keys.managerA).post('/v1/keys').send({ role: 'viewer' }).expect(201)).body.prefix;
}, 120_000);

afterAll(async () => wh?.close());

/** One call of a route, aimed at tenant A's things (ids, tenant parameter, body). */
function callOf(route: Route, key: string | null) {
  const path = route.path
    .replace(':name', 'account-usage')
    .replace(':prefix', keyOfA)
    .replace(':runId', randomUUID())
    .replace(':id', route.path.startsWith('/v1/exports') ? exportOfA : scheduleOfA);
  const query = { tenant: A, ...(route.path.startsWith('/v1/reports/') ? RANGE : {}) };
  const bodies: Record<string, unknown> = {
    '/v1/events': messageEvents(1, { tenant: A }),
    '/v1/exports': { report: 'account-usage', format: 'csv', reason: 'probe', params: { tenant: A, ...RANGE } },
    '/v1/schedules': {
      name: 'probe',
      report: 'account-usage',
      params: { tenant: A },
      range: 'yesterday',
      cron: '0 6 * * *',
      targets: [{ type: 'folder', path: `${wh.dataDir}/deliveries/probe` }],
    },
    '/v1/sql': { sql: 'SELECT count() FROM events', tenant: A },
    '/v1/keys': { role: 'viewer', tenant: A },
    '/v1/tenants': { id: 'probe', name: 'probe' },
  };
  const agent = key === null ? wh.anonymous() : wh.http(key);
  const method = route.method.toLowerCase() as 'get' | 'post' | 'delete';
  const req = agent[method](path).query(query);
  return route.method === 'POST' ? req.send((bodies[route.path] ?? {}) as object) : req;
}

/** A key of tenant B whose role the route admits, if the route admits any role but admin. */
function keyOfBAdmitted(allowed: readonly Role[]): string | undefined {
  const byRole: Partial<Record<Role, string>> = {
    manager: keys.managerB,
    analyst: keys.analystB,
    ingest: keys.ingestB,
  };
  return allowed.map((r) => byRole[r]).find((k) => k !== undefined);
}

/** A key of tenant A whose role the route does not admit (a role too low). */
function keyTooLow(allowed: readonly Role[]): string | undefined {
  const byRole: Partial<Record<Role, string>> = { ingest: keys.ingestA, viewer: keys.viewerA, manager: keys.managerA };
  return (['ingest', 'viewer', 'manager'] as Role[]).filter((r) => !allowed.includes(r)).map((r) => byRole[r])[0];
}

/** A route's path with A's ids in it. */
function concretePath(route: Route): string {
  return route.path
    .replace(':name', 'account-usage')
    .replace(':prefix', keyOfA)
    .replace(':runId', randomUUID())
    .replace(':id', route.path.startsWith('/v1/exports') ? exportOfA : scheduleOfA);
}

/** The ways an attacker spells one path: case, slashes, percent-encoding, dots, parameters. */
function spellings(path: string): string[] {
  const [, first, ...rest] = path.split('/');
  const tail = rest.join('/');
  const encodeLetter = (s: string) => s.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return [
    path.toUpperCase(),
    `/V1/${tail}`,
    `/${first}/${tail.charAt(0).toUpperCase()}${tail.slice(1)}`,
    `//${first}/${tail}`,
    `/${first}//${tail}`,
    `${path}/`,
    `${path}.`,
    `${path}%2e`,
    `${path};x=1`,
    `${path}%00`,
    `/${encodeLetter(first)}/${tail}`,
    `/${first}/${encodeLetter(tail)}`,
    `/${first}%2F${tail}`,
    `/${first}/./${tail}`,
    `/${first}/x/../${tail}`,
  ];
}

/** A request sent byte for byte as written (an HTTP client library would normalise `/./`, `/../` and case). */
async function rawRequest(method: string, path: string): Promise<{ status: number; type: string; text: string }> {
  const server = wh.app.getHttpServer() as import('node:http').Server;
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as import('node:net').AddressInfo;
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, type: (res.headers['content-type'] ?? '').split(';')[0], text }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

function expectNoData(body: unknown): void {
  expect(Object.keys(body as object).sort()).toEqual(expect.arrayContaining(['message', 'statusCode']));
  for (const k of Object.keys(body as object)) expect(['statusCode', 'message', 'error', 'field']).toContain(k);
}

describe('every /v1 endpoint', () => {
  it('is in the table of roles above (a new endpoint must be decided on)', () => {
    const found = routesOf(wh)
      .filter((r) => r.path.startsWith('/v1'))
      .map((r) => `${r.method} ${r.path}`);
    expect(found.length).toBeGreaterThan(15);
    expect(found.filter((r) => !(r in ALLOWED) && !PUBLIC.has(r))).toEqual([]);
    expect(Object.keys(ALLOWED).filter((r) => !found.includes(r))).toEqual([]);
  });

  it('answers 401 without a key, with a revoked key and with an expired key', async () => {
    const routes = routesOf(wh).filter((r) => r.path.startsWith('/v1') && !PUBLIC.has(`${r.method} ${r.path}`));
    for (const route of routes) {
      // One message for every key that does not work: an unknown, a revoked and an expired key look alike.
      for (const [name, key, message] of [
        ['no key', null, /^an API key is required/],
        ['revoked', keys.revoked, /^the API key is not valid \(unknown, revoked or expired\)$/],
        ['expired', keys.expired, /^the API key is not valid \(unknown, revoked or expired\)$/],
        [
          'garbage',
          'th_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          /^the API key is not valid \(unknown, revoked or expired\)$/,
        ],
        ['malformed', 'not-a-key', /^the API key is not valid \(unknown, revoked or expired\)$/],
      ] as const) {
        const res = await callOf(route, key);
        expect({ route: `${route.method} ${route.path}`, name, status: res.status }).toEqual({
          route: `${route.method} ${route.path}`,
          name,
          status: 401,
        });
        expect(res.body.message).toMatch(message);
        expectNoData(res.body);
      }
    }
  });

  it('answers 403 to a role too low, and 403/404 to a key of another tenant, never with data', async () => {
    const routes = routesOf(wh).filter((r) => `${r.method} ${r.path}` in ALLOWED);
    let tenantChecks = 0;
    for (const route of routes) {
      const id = `${route.method} ${route.path}`;
      const allowed = ALLOWED[id];
      const low = keyTooLow(allowed);
      if (low) {
        const res = await callOf(route, low);
        expect({ id, status: res.status }).toEqual({ id, status: 403 });
        expectNoData(res.body);
      }
      const other = keyOfBAdmitted(allowed);
      if (
        other &&
        !['GET /v1/auth/me', 'GET /v1/events/schema', 'GET /v1/reports', 'GET /v1/sql/tables'].includes(id)
      ) {
        tenantChecks++;
        const res = await callOf(route, other);
        expect({ id, status: [403, 404].includes(res.status) }).toEqual({ id, status: true });
        expectNoData(res.body);
      }
    }
    expect(tenantChecks).toBeGreaterThanOrEqual(14);
    // Nothing of A changed: the schedule is there, the key of A still active, no probe tenant.
    expect((await wh.http().get(`/v1/schedules/${scheduleOfA}`)).status).toBe(200);
    expect(
      (await wh.http().get('/v1/keys?tenant=' + A)).body.keys.find((k: { prefix: string }) => k.prefix === keyOfA),
    ).toMatchObject({ status: 'active' });
    expect((await wh.http().get('/v1/tenants')).body.tenants.map((t: { id: string }) => t.id)).toEqual([A, B]);
  });

  it('stays closed without a key however the path is spelled, with HEAD and OPTIONS too', async () => {
    const routes = routesOf(wh).filter((r) => r.path.startsWith('/v1') && !PUBLIC.has(`${r.method} ${r.path}`));
    let calls = 0;
    for (const route of routes) {
      const path = concretePath(route);
      const variants = spellings(path);
      const methods = [route.method, ...(route.method === 'GET' ? ['HEAD'] : []), 'OPTIONS'];
      for (const variant of variants) {
        for (const method of methods) {
          calls++;
          const res = await rawRequest(method, variant);
          const id = `${method} ${variant} (${route.method} ${route.path})`;
          // Closed (401), not a route (404), or OPTIONS refused (405): never an answer, never the web page.
          expect({ id, status: [401, 404, 405].includes(res.status) }).toEqual({ id, status: true });
          if (method !== 'HEAD') {
            expect({ id, type: res.type }).toEqual({ id, type: 'application/json' });
            expectNoData(JSON.parse(res.text));
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(routes.length * 12);
    // Nothing was made by any of them: still only the two tenants, the key of A still there.
    expect((await wh.http().get('/v1/tenants')).body.tenants.map((t: { id: string }) => t.id)).toEqual([A, B]);
  });

  it('leaves /health, /metrics and the signed-link download without a key', async () => {
    const server = wh.anonymous();
    expect([200, 503]).toContain((await server.get('/health')).status);
    const metrics = await server.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/tallyhouse_auth_failures_total\{reason="missing"\} \d+/);
    expect(metrics.text).toMatch(/tallyhouse_auth_failures_total\{reason="revoked"\} \d+/);
    const link = await server.get(`/v1/schedules/runs/${randomUUID()}/file?expires=1&signature=x`);
    expect(link.status).toBe(403);
    expect(link.body.message).toMatch(/link is not valid/);
  });
});

describe('tenant scoping', () => {
  it('takes a tenant key’s tenant when none is named, and makes an admin name one', async () => {
    const own = await wh
      .http(keys.viewerA)
      .get('/v1/reports/account-usage')
      .query({ ...RANGE, tz: 'UTC' })
      .expect(200);
    expect(own.body.params.tenant).toBe(A);
    const admin = await wh.http().get('/v1/reports/account-usage').query(RANGE).expect(403);
    expect(admin.body.message).toMatch(/name one with tenant/);
    const stats = await wh.http(keys.viewerA).get('/v1/stats?from=2026-09-01').expect(200);
    expect(new Set(stats.body.rows.map((r: { tenant_id: string }) => r.tenant_id))).toEqual(new Set([A]));
  });

  it('refuses an ingest key writing another tenant’s events, whole, storing nothing', async () => {
    const before = await countEvents();
    const mixed = [...messageEvents(2, { tenant: B }), ...messageEvents(1, { tenant: A })];
    const res = await wh.http(keys.ingestB).post('/v1/events').send(mixed).expect(403);
    expect(res.body.message).toMatch(/tenant tenant-b only; refused: \[2\] tenant_id "tenant-a"/);
    expect(await countEvents()).toBe(before);
    const ok = await wh
      .http(keys.ingestB)
      .post('/v1/events')
      .send(messageEvents(2, { tenant: B }))
      .expect(200);
    expect(ok.body.accepted).toBe(2);
    // An ingest key reads nothing.
    expect((await wh.http(keys.ingestB).get(`/v1/stats?tenant=${B}`)).status).toBe(403);
  });

  it('audits a refused download and a refused export start in export_audit', async () => {
    await wh.http(keys.viewerA).get(`/v1/exports/${exportOfA}/file`).expect(403);
    await wh.http(keys.managerB).get(`/v1/exports/${exportOfA}/file`).expect(404);
    await wh
      .http(keys.managerB)
      .post('/v1/exports')
      .send({ report: 'account-usage', format: 'csv', reason: 'steal', params: { tenant: A, ...RANGE } })
      .expect(403);
    const history = (await wh.http(keys.managerA).get('/v1/exports/history').expect(200)).body.entries as {
      action: string;
      outcome: string;
      actor: string;
      export_id: string;
      tenant_id: string;
    }[];
    const refused = history.filter((h) => h.outcome === 'refused');
    const viewer = keys.viewerA.slice(0, 11);
    const managerB = keys.managerB.slice(0, 11);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'download', export_id: exportOfA, actor: expect.stringContaining(viewer) }),
        expect.objectContaining({ action: 'download', export_id: exportOfA, actor: expect.stringContaining(managerB) }),
        expect.objectContaining({ action: 'export', tenant_id: A, actor: expect.stringContaining(managerB) }),
      ]),
    );
    expect(history.every((h) => h.tenant_id === A)).toBe(true);
    // The export's actor is the key (prefix and name), not "anonymous".
    expect(history.find((h) => h.action === 'export' && h.outcome === 'ok')?.actor).toMatch(/^th_[0-9a-f]{8} \(/);
  });
});

describe('keys', () => {
  it('shows a key once, stores only its salted hash, and GET /v1/auth/me names it', async () => {
    const made = await wh.http().post('/v1/keys').send({ role: 'analyst', tenant: A, name: 'data team' }).expect(201);
    expect(made.body).toMatchObject({ role: 'analyst', tenant: A, name: 'data team', status: 'active' });
    const key: string = made.body.key;
    const me = await wh.http(key).get('/v1/auth/me').expect(200);
    expect(me.body).toEqual({ key_prefix: key.slice(0, 11), role: 'analyst', tenant: A, name: 'data team' });
    const listed = await wh.http().get('/v1/keys').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(JSON.stringify(listed.body)).not.toMatch(/"hash"|"salt"/);
    const stored = await wh.ch.query<Record<string, string>>('SELECT * FROM api_keys', { tag: 'test:keys' });
    expect(stored.length).toBeGreaterThan(5);
    expect(JSON.stringify(stored)).not.toContain(key.slice(12));
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.hash) && /^[0-9a-f]{32}$/.test(r.salt))).toBe(true);
  });

  it('revokes at once, even a key this process just used (cached)', async () => {
    const key = await wh.createKey('viewer', A);
    await wh.http(key).get('/v1/auth/me').expect(200);
    await wh
      .http(keys.managerA)
      .delete(`/v1/keys/${key.slice(0, 11)}`)
      .expect(200);
    const res = await wh.http(key).get('/v1/auth/me').expect(401);
    expect(res.body).toEqual({ statusCode: 401, message: 'the API key is not valid (unknown, revoked or expired)' });
  });

  it('lets a manager make lower keys of its own tenant only', async () => {
    const m = wh.http(keys.managerA);
    expect((await m.post('/v1/keys').send({ role: 'ingest' })).body).toMatchObject({ role: 'ingest', tenant: A });
    expect((await m.post('/v1/keys').send({ role: 'manager' })).status).toBe(403);
    expect((await m.post('/v1/keys').send({ role: 'admin' })).status).toBe(403);
    expect((await m.post('/v1/keys').send({ role: 'viewer', tenant: B })).status).toBe(403);
    expect((await m.post('/v1/keys').send({ role: 'viewer', expires_days: 0 })).status).toBe(400);
  });

  it('writes the demo keys once to DATA_DIR/keys.txt, readable by the owner only', async () => {
    const path = await wh.app.get(DemoKeys).createIfNone();
    expect(path).toBe(`${wh.dataDir}/keys.txt`);
    expect(existsSync(path!)).toBe(true);
    expect(statSync(path!).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path!, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('admin') || l.startsWith('manager'));
    expect(lines).toHaveLength(4);
    const managerKey = lines.find((l) => l.includes('nordlicht-moda'))!.split(/\s+/)[2];
    expect((await wh.http(managerKey).get('/v1/auth/me').expect(200)).body).toMatchObject({
      role: 'manager',
      tenant: 'nordlicht-moda',
    });
    expect(await wh.app.get(DemoKeys).createIfNone()).toBeNull();
  });
});

async function countEvents(): Promise<number> {
  const rows = await wh.ch.query<{ n: string }>('SELECT count() AS n FROM events', { tag: 'test:count' });
  return Number(rows[0].n);
}
