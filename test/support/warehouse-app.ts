import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { createHttpApp } from '@tallyhouse/http';
import { addReportPaths } from '@tallyhouse/reports';
import { WarehouseModule } from '../../apps/warehouse/src/warehouse.module';

export interface TestWarehouse {
  app: INestApplication;
  ch: ClickHouseService;
  dataDir: string;
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
  return {
    app,
    ch: app.get(ClickHouseService),
    dataDir,
    async close() {
      await app.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
