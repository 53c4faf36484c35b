import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { KeyStore, type Role } from '@tallyhouse/auth';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { createHttpApp } from '@tallyhouse/http';
import { addReportPaths } from '@tallyhouse/reports';
import { WarehouseModule } from '../../apps/warehouse/src/warehouse.module';

export interface TestWarehouse {
  app: INestApplication;
  ch: ClickHouseService;
  dataDir: string;
  /** An admin key made at start (every /v1 call needs a key). */
  adminKey: string;
  /** A new key of `role` (for `tenant`; admin keys have none). */
  createKey(role: Role, tenant?: string, opts?: { expiresDays?: number; name?: string }): Promise<string>;
  /** A supertest agent whose requests carry `Authorization: Bearer key` (the admin key by default). */
  http(key?: string): ReturnType<typeof request.agent>;
  /** Requests without any Authorization header. */
  anonymous(): ReturnType<typeof request.agent>;
  close(): Promise<void>;
}

/**
 * The all-in-one warehouse on a fresh embedded data directory, as `npm start`
 * builds it (no demo data, no scheduler). Only one embedded engine path can be
 * open per process, so close it in afterAll.
 */
export async function startTestWarehouse(env: Record<string, string> = {}): Promise<TestWarehouse> {
  // A DATA_DIR the test names is the test's to remove (it may reopen it, or hand it to a child process).
  const ownDir = !env.DATA_DIR;
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'tallyhouse-test-'));
  Object.assign(
    process.env,
    // No Kafka consumer unless the test asks for one (jest's global setup exports KAFKA_BROKERS for the tests that do).
    {
      DATA_DIR: dataDir,
      DEMO_DATA: 'false',
      ROLLUP_SCHEDULER: 'false',
      SCHEDULES_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: '',
    },
    env,
  );
  const app = await createHttpApp(WarehouseModule, 'test', { document: addReportPaths });
  await app.init();
  const keys = app.get(KeyStore);
  const createKey: TestWarehouse['createKey'] = async (role, tenant, opts = {}) =>
    (
      await keys.create({
        role,
        tenant: role === 'admin' ? null : (tenant ?? null),
        name: opts.name ?? `test ${role}${tenant ? ` of ${tenant}` : ''}`,
        expiresDays: opts.expiresDays,
        createdBy: 'test',
      })
    ).key;
  const adminKey = await createKey('admin');
  return {
    app,
    ch: app.get(ClickHouseService),
    dataDir,
    adminKey,
    createKey,
    http: (key = adminKey) => request.agent(app.getHttpServer()).set('Authorization', `Bearer ${key}`),
    anonymous: () => request.agent(app.getHttpServer()),
    async close() {
      await app.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
