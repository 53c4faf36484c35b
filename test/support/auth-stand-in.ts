import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { ClickHouseService } from '@tallyhouse/clickhouse';

/**
 * STAND-IN for issue 7 (keys and ad hoc SQL), for the web tests only: until this branch has
 * `GET /v1/auth/me`, `POST /v1/sql` and `GET /v1/sql/tables`, these answer them with the same
 * contracts, for two fixed keys. Each stand-in is switched off by itself when the app has the
 * real route, so after auth is merged the real endpoints answer (see `realRoutes`).
 * It is not a security boundary: no tenant sealing, no limits.
 */
export const STAND_IN_KEYS = {
  admin: 'stand-in-admin-key',
  viewer: 'stand-in-viewer-key',
} as const;

const ROUTES = ['/v1/auth/me', '/v1/sql', '/v1/sql/tables'];

export interface StandIn {
  /** Which of the routes the app serves itself (filled in after app.init()). */
  realRoutes: Set<string>;
  /** Call after app.init(): from now on a stand-in answers only what the app does not. */
  activate(app: INestApplication): void;
}

/** Install before app.init(), so the stand-in sits in front of the router. */
export function installAuthStandIn(app: INestApplication, ch: () => ClickHouseService): StandIn {
  const state: StandIn = {
    realRoutes: new Set(ROUTES),
    activate(a) {
      const express = a.getHttpAdapter().getInstance() as { router?: { stack: Layer[] } };
      const paths = new Set((express.router?.stack ?? []).map((l: Layer) => l.route?.path).filter(Boolean));
      state.realRoutes = new Set(ROUTES.filter((r) => paths.has(r)));
    },
  };
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    if (state.realRoutes.has(req.path) || !ROUTES.includes(req.path)) return next();
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const role = key === STAND_IN_KEYS.admin ? 'admin' : key === STAND_IN_KEYS.viewer ? 'viewer' : null;
    if (!role) return void res.status(401).json({ statusCode: 401, message: 'unknown or revoked API key' });
    if (req.path === '/v1/auth/me') {
      return void res.json({ key_prefix: key!.slice(0, 8), role, tenant: null, name: `stand-in ${role}` });
    }
    if (role === 'viewer') return void res.status(403).json({ statusCode: 403, message: 'SQL needs an analyst key' });
    if (req.path === '/v1/sql/tables') {
      return void res.json({
        tables: [{ name: 'events', description: 'one row per event', columns: [{ name: 'type', type: 'String' }] }],
      });
    }
    const body = JSON.parse(typeof req.body === 'string' ? req.body : '{}') as { sql: string };
    const started = Date.now();
    try {
      const rows = await ch().query<Record<string, string | number>>(body.sql, { tag: 'web-test:sql-stand-in' });
      const meta = Object.entries(rows[0] ?? {}).map(([name, v]) => ({
        name,
        type: typeof v === 'number' ? 'UInt64' : 'String',
      }));
      res.json({ meta, rows, rows_count: rows.length, elapsed_ms: Date.now() - started, truncated: false });
    } catch (err) {
      res.status(400).json({ statusCode: 400, message: (err as Error).message, code: 'ENGINE_ERROR' });
    }
  });
  return state;
}

interface Layer {
  route?: { path?: string };
}
