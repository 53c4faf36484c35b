import 'reflect-metadata';
import { ConfigValidationError, validateConfig } from '@tallyhouse/config';
import { addReportPaths } from '@tallyhouse/reports';
import { createHttpApp, giveUpRoot, listen, RunAsUserError } from '@tallyhouse/http';
import { WarehouseModule } from './warehouse.module';

async function main(): Promise<void> {
  // Before anything opens: a server started as root runs as RUN_AS_USER (README, Security).
  giveUpRoot(validateConfig(process.env));
  const app = await createHttpApp(WarehouseModule, 'Tallyhouse warehouse', { document: addReportPaths });
  await listen(app);
}

main().catch((err: unknown) => {
  // Configuration errors are for people: print the message, not a stack.
  console.error(err instanceof ConfigValidationError || err instanceof RunAsUserError ? err.message : err);
  process.exit(1);
});
