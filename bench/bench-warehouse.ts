import type { INestApplication } from '@nestjs/common';
import { createHttpApp } from '@tallyhouse/http';
import { WarehouseModule } from '../apps/warehouse/src/warehouse.module';
import { freshDir, loadLine, removeDir } from './util';

/**
 * Runs `work` against the warehouse on the embedded engine in this process,
 * on a fresh data directory (no demo data, no scheduler, no Kafka, `env` on
 * top), listening on a free port of 127.0.0.1; closes it and removes the
 * directory afterwards.
 */
export async function withBenchWarehouse(
  label: string,
  env: Record<string, string>,
  work: (app: INestApplication, base: string) => Promise<void>,
): Promise<void> {
  const dataDir = freshDir(label);
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    DEMO_DATA: 'false',
    ROLLUP_SCHEDULER: 'false',
    SCHEDULES_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: '',
    ...env,
  });
  let app: INestApplication | undefined;
  try {
    app = await createHttpApp(WarehouseModule, 'bench');
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    console.log(loadLine('start'));
    await work(app, base);
  } finally {
    await app?.close();
    removeDir(dataDir);
  }
}
