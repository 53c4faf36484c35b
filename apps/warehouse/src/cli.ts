import 'reflect-metadata';
import { Command, CommanderError, Option } from 'commander';
import { ConfigValidationError, validateConfig } from '@tallyhouse/config';
import { demoCommand, importCommand, migrateCommand, rollupCommand } from './cli/commands';
import { UsageError } from './cli/context';
import { deadLettersListCommand, deadLettersReplayCommand, type ReplayOptions } from './cli/dead-letter-commands';
import { kafkaProduceDemoCommand } from './cli/kafka-commands';
import {
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  tenantsAddCommand,
  tenantsListCommand,
  type KeyCreateOptions,
} from './cli/auth-commands';
import { exportCommand, type ExportOptions } from './cli/export-commands';
import { reportCommand } from './cli/report-commands';
import {
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRunCommand,
  type ScheduleAddOptions,
} from './cli/schedule-commands';

/**
 * The warehouse CLI: `npm run cli -- <command>`. Each command boots only the
 * modules it needs (no HTTP server) on the same DATA_DIR / CLICKHOUSE_URL as
 * the app. Exit codes: 0 ok, 1 failure (rejected rows, bad config), 2 usage.
 * Only one process may own an embedded DATA_DIR: stop `npm start` first
 * (`kafka produce-demo` talks to Kafka only and runs beside it).
 */
// The CLI never loads demo data on start nor runs the scheduler.
process.env.DEMO_DATA = 'false';
process.env.ROLLUP_SCHEDULER = 'false';
process.env.SCHEDULES_ENABLED = 'false';

let exitCode = 0;
const run =
  <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
  async (...args: A) => {
    validateConfig(process.env);
    exitCode = await fn(...args);
  };

const program = new Command()
  .name('tallyhouse')
  .description('Tallyhouse warehouse: migrations, file import, demo data, rollups, dead letters, demo data into Kafka.')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');

program
  .command('migrate')
  .description('apply pending ClickHouse migrations (prints each one applied)')
  .option('--status', 'list migrations and whether each is applied; change nothing')
  .action(run((opts: { status?: boolean }) => migrateCommand(opts)));

program
  .command('import')
  .description('import NDJSON (.ndjson, .jsonl) or CSV (.csv) files of events')
  .argument('<file...>', 'files to import')
  .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['ndjson', 'csv']))
  .option('--max-errors <n>', 'rejected rows to list per file', '20')
  .option('--chunk-size <n>', 'rows per ingest call (default 50000; smaller uses less memory)')
  .option('--json', 'print the summary as JSON')
  .action(
    run((files: string[], opts: { format?: string; json?: boolean; maxErrors?: string; chunkSize?: string }) =>
      importCommand(files, opts),
    ),
  );

program
  .command('demo')
  .description('load demo events into the warehouse, or write them as NDJSON with --out')
  .option('--events <n>', 'number of events', '1000000')
  .option('--seed <s>', 'random seed (same seed, same events)')
  .option('--now <date>', 'the last instant of the data (default: now)')
  .option('--out <file>', 'write NDJSON to this file instead of loading')
  .action(run((opts: { events: string; seed?: string; out?: string; now?: string }) => demoCommand(opts)));

program
  .command('rollup')
  .description('build the daily/monthly summaries for closed periods (late events restate them)')
  .option('--from <date>', 'only periods from this date (YYYY-MM-DD or ISO 8601)')
  .option('--to <date>', 'only periods before this date')
  .option('--tenant <id>', 'only this tenant')
  .option('--force', 'rebuild periods in range even when up to date')
  .action(run((opts: { from?: string; to?: string; tenant?: string; force?: boolean }) => rollupCommand(opts)));

const deadLetters = program
  .command('dead-letters')
  .description('inspect and replay what could not be stored as events (the dead_letters table)');

deadLetters
  .command('list')
  .description('print the newest dead letters: when, source, Kafka position, field, reason, raw')
  .option('--source <source>', 'only letters from this source (http, file, kafka, ...)')
  .option('--since <date>', 'only letters received at or after this date (YYYY-MM-DD or ISO 8601)')
  .option('--limit <n>', 'most letters to print', '50')
  .action(run((opts: { source?: string; since?: string; limit?: string }) => deadLettersListCommand(opts)));

deadLetters
  .command('replay')
  .description('send matching dead letters through ingest again: valid ones are stored, the rest counted (exit 0)')
  .option('--source <source>', 'only letters from this source')
  .option('--since <date>', 'only letters received at or after this date')
  .option('--until <date>', 'only letters received before this date (default: now)')
  .option('--reason-like <pattern>', 'only letters whose "field reason" matches this LIKE pattern (case-insensitive)')
  .option('--dry-run', 'check the letters against the contract; store nothing')
  .option('--json', 'print the summary as JSON')
  .action(run((opts: ReplayOptions) => deadLettersReplayCommand(opts)));

program
  .command('report')
  .description(
    'run a report and print a table: report account-usage --tenant ID --from 2026-10-01 --to 2026-11-01 [--tz Europe/Berlin] [--interval month] [--csv|--json]; `report list` lists them',
  )
  .argument('[name]', 'report name (see `report list`)')
  .argument('[params...]', '--param value pairs, as in GET /v1/reports/NAME')
  .allowUnknownOption()
  .helpOption('-h, --help')
  .action(run((name: string | undefined, params: string[]) => reportCommand(name, params)));

program
  .command('export')
  .description(
    'write a report to a file with a progress bar: export campaign-performance --tenant ID --from 2026-10-01 --to 2026-11-01 --format xlsx --out file.xlsx --reason "why" [--password P]',
  )
  .argument('<name>', 'report name (see `report list`)')
  .argument('[params...]', '--param value pairs, as in GET /v1/reports/NAME')
  .option('--format <format>', 'xlsx or csv', 'xlsx')
  .option('--out <file>', 'file to write')
  .option('--reason <text>', 'why the data is exported (kept in the audit trail)')
  .option('--password <password>', 'encrypt the xlsx: Excel and LibreOffice ask for it')
  .option('--key <key>', 'act as this API key (default TALLYHOUSE_KEY; none: the data directory owner)')
  .allowUnknownOption()
  .action(run((name: string, params: string[], opts: ExportOptions) => exportCommand(name, opts, params)));

const schedule = program.command('schedule').description('scheduled report delivery: list, add, run');
schedule
  .command('list')
  .description('schedules with their next run')
  .option('--tenant <id>', 'only this tenant')
  .option('--key <key>', 'act as this API key (default TALLYHOUSE_KEY)')
  .action(run((opts: { tenant?: string; key?: string }) => scheduleListCommand(opts)));
schedule
  .command('add')
  .description(
    'add a schedule: schedule add --name "Monthly usage" --report account-usage --param tenant=district-a --range last_full_month --cron "0 6 1 * *" --tz Europe/Berlin --email board@x.org',
  )
  .requiredOption('--name <name>', 'what the schedule is called')
  .requiredOption('--report <name>', 'report name (see `report list`)')
  .requiredOption('--range <range>', 'yesterday, last_7_days, last_full_week, last_full_month, ...')
  .requiredOption('--cron <expr>', 'cron expression, e.g. "0 6 1 * *"')
  .option('--param <name=value...>', 'report parameters (tenant=ID required)')
  .option('--tz <zone>', 'zone of the cron and the range (default UTC)')
  .option('--format <format>', 'xlsx or csv', 'xlsx')
  .option('--folder <path>', 'deliver into this folder')
  .option('--email <addresses>', 'deliver by email (comma-separated)')
  .option('--webhook <url>', 'deliver to this URL')
  .option('--webhook-secret <secret>', 'HMAC secret for the webhook signature')
  .option('--owner <email>', 'told by email when a run fails')
  .option('--key <key>', 'act as this API key (default TALLYHOUSE_KEY)')
  .action(run((opts: ScheduleAddOptions) => scheduleAddCommand(opts)));
schedule
  .command('run')
  .description('run a schedule now and deliver it; exit 1 when a delivery failed')
  .argument('<id>', 'schedule id (see `schedule list`)')
  .option('--key <key>', 'act as this API key (default TALLYHOUSE_KEY)')
  .action(run((id: string, opts: { key?: string }) => scheduleRunCommand(id, opts)));

const keys = program
  .command('keys')
  .description('API keys: create (shown once), list, revoke. Runs as the data directory owner (no key needed)');
keys
  .command('create')
  .description('create a key and print it once: keys create --role admin | --role manager --tenant T')
  .requiredOption('--role <role>', 'admin, manager, analyst, viewer or ingest')
  .option('--tenant <id>', 'the tenant (every role but admin)')
  .option('--name <name>', 'who or what uses the key')
  .option('--expires-days <days>', 'the key stops working after this many days')
  .action(run((opts: KeyCreateOptions) => keysCreateCommand(opts)));
keys
  .command('list')
  .description('keys: prefix, role, tenant, status, expiry, name (never the key)')
  .option('--tenant <id>', 'only this tenant')
  .action(run((opts: { tenant?: string }) => keysListCommand(opts)));
keys
  .command('revoke')
  .description('revoke a key at once (other processes within KEY_CACHE_SECONDS)')
  .argument('<prefix>', 'the key prefix, th_xxxxxxxx')
  .action(run((prefix: string) => keysRevokeCommand(prefix)));

const tenants = program.command('tenants').description('tenants: add (or rename / re-zone), list');
tenants
  .command('add')
  .description('add a tenant: tenants add ID --name "Name" --tz Europe/Berlin')
  .argument('<id>', 'tenant id')
  .option('--name <name>', 'display name (default: the id)')
  .option('--tz <zone>', 'home time zone (default UTC)')
  .action(run((id: string, opts: { name?: string; tz?: string }) => tenantsAddCommand(id, opts)));
tenants
  .command('list')
  .description('every tenant with its home zone')
  .action(run(() => tenantsListCommand()));

program
  .command('kafka')
  .description('Kafka tools (they talk to Kafka only; the engine stays closed)')
  .command('produce-demo')
  .description('produce the demo data set into a Kafka topic, one JSON event per message keyed by tenant:contact')
  .option('--events <n>', 'number of events', '100000')
  .option('--seed <s>', 'random seed (same seed, same events)')
  .option('--now <date>', 'the last instant of the data (default: now)')
  .option('--topic <topic>', 'topic (default: KAFKA_TOPIC)')
  .option('--brokers <list>', 'host:port[,host:port...] (default: KAFKA_BROKERS)')
  .option('--partitions <n>', 'partitions when the topic has to be created (default: KAFKA_TOPIC_PARTITIONS)')
  .action(
    run(
      (opts: { events: string; seed?: string; now?: string; topic?: string; brokers?: string; partitions?: string }) =>
        kafkaProduceDemoCommand(opts),
    ),
  );

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; anything else commander rejects is a usage error.
      exitCode =
        err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
    } else if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      exitCode = 2;
    } else if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      exitCode = 1;
    } else {
      process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      exitCode = 1;
    }
  }
  // The embedded engine keeps native threads alive; leave explicitly.
  process.exit(exitCode);
}

void main();
