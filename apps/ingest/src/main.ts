import 'reflect-metadata';
import { ConfigValidationError, validateConfig } from '@tallyhouse/config';
import { createHttpApp, listen } from '@tallyhouse/http';
import { IngestAppModule } from './ingest-app.module';

async function main(): Promise<void> {
  const config = validateConfig(process.env);
  if (!config.CLICKHOUSE_URL) {
    // One process owns an embedded data directory, so a separate ingest
    // process only makes sense against a ClickHouse server.
    console.error(
      'The ingest app needs a ClickHouse server: set CLICKHOUSE_URL (e.g. http://localhost:8123).\n' +
        'Without a server, run the all-in-one warehouse instead (npm start), which ingests, ' +
        'builds rollups and serves reports on the embedded engine in DATA_DIR.',
    );
    process.exit(1);
  }
  const app = await createHttpApp(IngestAppModule, 'Tallyhouse ingest');
  await listen(app);
}

main().catch((err: unknown) => {
  // Configuration errors are for people: print the message, not a stack.
  console.error(err instanceof ConfigValidationError ? err.message : err);
  process.exit(1);
});
