import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : ['1', 'true', 'yes', 'on'].includes(String(value).toLowerCase())
      ? true
      : ['0', 'false', 'no', 'off'].includes(String(value).toLowerCase())
        ? false
        : value;

/**
 * Every setting the apps read, from the environment, validated once at start.
 * Defaults run the warehouse on the embedded engine with nothing set.
 */
export class AppConfig {
  /** A ClickHouse server (http://host:8123). Unset: the embedded engine on DATA_DIR. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  CLICKHOUSE_URL?: string;

  @IsString() CLICKHOUSE_USER = 'default';
  @IsString() CLICKHOUSE_PASSWORD = '';
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'CLICKHOUSE_DATABASE must be a plain identifier' })
  CLICKHOUSE_DATABASE = 'default';
  /** Cluster name for ON CLUSTER migrations with Replicated engines; unset on one node. */
  @IsOptional()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'CLICKHOUSE_CLUSTER must be a plain identifier' })
  CLICKHOUSE_CLUSTER?: string;

  /** Where the embedded engine keeps its data (one process owns it). */
  @IsString() DATA_DIR = './data';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '127.0.0.1';

  /** Most events one POST /v1/events may carry. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) INGEST_MAX_EVENTS = 50_000;
  /** Largest request body, bytes. */
  @Transform(toInt) @IsInt() @Min(1024) INGEST_MAX_BODY_BYTES = 64 * 1024 * 1024;
  /** Largest block the writer inserts at once; concurrent requests are coalesced up to it. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) INGEST_FLUSH_ROWS = 100_000;
  /** How long after the original a repeated event_id is still caught (0 = always). */
  @Transform(toInt) @IsInt() @Min(0) @Max(3650) DEDUP_WINDOW_DAYS = 7;
  /**
   * Insert deduplication tokens on every events insert (what makes a retried
   * Kafka range count once). Off only to show, in a test, what breaks without them.
   */
  @Transform(toBool) @IsBoolean() INGEST_DEDUP_TOKENS = true;
  /** Events further in the future than this are rejected (clock skew allowance). */
  @Transform(toInt) @IsInt() @Min(0) @Max(24 * 365) EVENT_MAX_FUTURE_HOURS = 24;

  /** Load the demo data set into an empty warehouse on start. */
  @Transform(toBool) @IsBoolean() DEMO_DATA = true;
  @Transform(toInt) @IsInt() @Min(0) DEMO_EVENTS = 1_000_000;

  /** Cron expression for the daily/monthly rollup job. */
  @IsString() ROLLUP_CRON = '*/5 * * * *';
  /** A local day counts as closed this long after it ends (late events after that restate it). */
  @Transform(toInt) @IsInt() @Min(0) ROLLUP_GRACE_MINUTES = 30;
  /** Run the rollup job on a schedule in this process. */
  @Transform(toBool) @IsBoolean() ROLLUP_SCHEDULER = true;

  /** Longest range a report may cover, days. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3660) REPORT_MAX_DAYS = 731;

  /** Where export files are written (default: DATA_DIR/exports). */
  @IsOptional() @IsString() EXPORT_DIR?: string;

  /** Hours an export file can be downloaded before it is deleted. */
  @Transform(toInt) @IsInt() @Min(1) @Max(24 * 90) EXPORT_TTL_HOURS = 24;

  /** Export jobs run at once by this process; more wait in line. */
  @Transform(toInt) @IsInt() @Min(1) @Max(16) EXPORT_CONCURRENCY = 1;

  /** Runs scheduled reports in this process (checks due schedules every 30 s). */
  @Transform(toBool) @IsBoolean() SCHEDULES_ENABLED = true;

  /** SMTP server for email delivery, e.g. smtp://user:pass@mail.example.org:587 (unset: email targets fail, said in the run). */
  @IsOptional() @IsString() SMTP_URL?: string;

  /** Sender of scheduled reports and failure notices. */
  @IsString() SMTP_FROM = 'Tallyhouse <reports@localhost>';

  /** Base URL of this service as recipients reach it, for signed download links. */
  @IsString() PUBLIC_URL = 'http://localhost:3000';

  /** Secret for signed download links (default: generated once into DATA_DIR/link-signing.key). */
  @IsOptional() @IsString() LINK_SIGNING_SECRET?: string;

  /** Files larger than this go by signed link instead of attachment or webhook body, bytes. */
  @Transform(toInt) @IsInt() @Min(0) DELIVERY_MAX_INLINE_BYTES = 10 * 1024 * 1024;

  /** Attempts per delivery target before a run is marked failed (exponential backoff between). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10) DELIVERY_ATTEMPTS = 4;

  /** First retry delay of a delivery, ms (then doubled). */
  @Transform(toInt) @IsInt() @Min(1) DELIVERY_BASE_DELAY_MS = 1000;

  /**
   * Folders scheduled reports may be delivered into, comma-separated absolute paths (default:
   * DATA_DIR/deliveries). A folder target must lie inside one, links resolved, and never inside
   * DATA_DIR or EXPORT_DIR unless its root does.
   */
  @IsOptional()
  @Matches(/^\s*\/[^,]*(,\s*\/[^,]*)*$/, { message: 'DELIVERY_FOLDER_ROOTS must be absolute paths, comma-separated' })
  DELIVERY_FOLDER_ROOTS?: string;

  /**
   * Hosts webhooks may reach although they are not public addresses (loopback, private, link-local):
   * comma-separated names, addresses or CIDR blocks, e.g. `hooks.intranet,10.2.0.0/16`. Default none.
   */
  @IsString() WEBHOOK_ALLOW_HOSTS = '';

  /** Schedules one tenant may have (deleted ones not counted). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000) SCHEDULES_MAX_PER_TENANT = 100;

  /** A full garbage collection every this many exported rows keeps memory flat in large exports (0 = never). */
  @Transform(toInt) @IsInt() @Min(0) EXPORT_GC_EVERY_ROWS = 200_000;

  /** Rows per XLSX sheet, header included, before it continues on "Name (2)" (Excel's maximum by default). */
  @Transform(toInt) @IsInt() @Min(2) @Max(1_048_576) EXPORT_MAX_ROWS_PER_SHEET = 1_048_576;

  /** Kafka brokers (host:port,host:port). Set: this process consumes KAFKA_TOPIC. */
  @IsOptional()
  @Matches(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS?: string;
  @Matches(/^[A-Za-z0-9._-]{1,249}$/, { message: 'KAFKA_TOPIC must be a valid Kafka topic name' })
  KAFKA_TOPIC = 'tallyhouse.events';
  @IsString() KAFKA_GROUP = 'tallyhouse-ingest';
  @IsString() KAFKA_CLIENT_ID = 'tallyhouse';
  /** Partitions of the topic when the consumer has to create it. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) KAFKA_TOPIC_PARTITIONS = 3;
  /** Most messages of one partition stored (and committed) as one offset range. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) KAFKA_MAX_BATCH_EVENTS = 50_000;
  /** Larger messages are dead-lettered (their first 64 KiB kept). */
  @Transform(toInt) @IsInt() @Min(1024) KAFKA_MAX_MESSAGE_BYTES = 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(3000) KAFKA_SESSION_TIMEOUT_MS = 30_000;
  /** A partition with messages that stores none for this long is stalled: /health says which, with its offsets. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) KAFKA_STALL_SECONDS = 60;

  /** How long a process trusts a looked-up API key before reading it again (revocations elsewhere lag this much), s. */
  @Transform(toInt) @IsInt() @Min(0) @Max(300) KEY_CACHE_SECONDS = 5;
  /** Bad keys presented per client address and minute before it gets 429 (requests without a key do not count). */
  @Transform(toInt) @IsInt() @Min(1) AUTH_MAX_FAILURES_PER_MINUTE = 20;

  /** Ad hoc SQL (POST /v1/sql): longest run before the engine cancels it, s. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) SQL_MAX_EXECUTION_SECONDS = 10;
  /** Most rows a query may return (more is an error, never a silent cut). */
  @Transform(toInt) @IsInt() @Min(1) SQL_MAX_RESULT_ROWS = 100_000;
  /** Most bytes of result a query may return. */
  @Transform(toInt) @IsInt() @Min(1024) SQL_MAX_RESULT_BYTES = 100 * 1024 * 1024;
  /** Most memory one query may use, bytes. */
  @Transform(toInt) @IsInt() @Min(1024 * 1024) SQL_MAX_MEMORY_BYTES = 1024 * 1024 * 1024;
  /** Most rows one query may read from tables. */
  @Transform(toInt) @IsInt() @Min(1) SQL_MAX_ROWS_TO_READ = 200_000_000;
  /** Longest query text, characters. */
  @Transform(toInt) @IsInt() @Min(100) @Max(1_000_000) SQL_MAX_QUERY_CHARS = 100_000;
  /** Queries one tenant may run at once (more get 429). */
  @Transform(toInt) @IsInt() @Min(1) @Max(64) SQL_MAX_CONCURRENT_PER_TENANT = 2;
  /**
   * Ad hoc queries admitted at once over all tenants, running or waiting their turn (more get 429 with
   * Retry-After). The time limit counts the wait.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(256) SQL_MAX_QUEUED = 4;
  /**
   * Embedded engine: ad hoc SQL runs in a read replica process over a snapshot of the tables, so it never
   * holds back ingest, reports or /health. Off: it waits its turn on the one engine, last of all work.
   */
  @Transform(toBool) @IsBoolean() SQL_REPLICA = true;
  /** How long the replica's snapshot may lag the tables, seconds (0: a new one whenever they changed). */
  @Transform(toInt) @IsInt() @Min(0) @Max(3600) SQL_SNAPSHOT_SECONDS = 5;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL = 'log';
}

export class ConfigValidationError extends Error {}

/** Validates the environment; throws one message listing every bad variable. */
export function validateConfig(env: Record<string, unknown>): AppConfig {
  const known = Object.keys(new AppConfig());
  const picked: Record<string, unknown> = {};
  for (const key of [...known, 'CLICKHOUSE_URL', 'CLICKHOUSE_CLUSTER', 'KAFKA_BROKERS']) {
    if (env[key] !== undefined && env[key] !== '') picked[key] = env[key];
  }
  const config = plainToInstance(AppConfig, picked, { exposeDefaultValues: true });
  const errors = validateSync(config, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const reasons = Object.values(e.constraints ?? {}).join('; ');
      return `  ${e.property}=${JSON.stringify(picked[e.property] ?? e.value)}: ${reasons}`;
    });
    throw new ConfigValidationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}
