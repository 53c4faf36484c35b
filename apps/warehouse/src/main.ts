import 'reflect-metadata';
import { ConfigValidationError } from '@tallyhouse/config';
import { addReportPaths } from '@tallyhouse/reports';
import { createHttpApp, listen } from '@tallyhouse/http';
import { WarehouseModule } from './warehouse.module';

async function main(): Promise<void> {
  const app = await createHttpApp(WarehouseModule, 'Tallyhouse warehouse', { document: addReportPaths });
  await listen(app);
}

main().catch((err: unknown) => {
  // Configuration errors are for people: print the message, not a stack.
  console.error(err instanceof ConfigValidationError ? err.message : err);
  process.exit(1);
});
