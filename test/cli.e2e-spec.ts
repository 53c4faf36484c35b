import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageEvents } from './support/events';

const ROOT = join(__dirname, '..');
const CLI = [
  '-r',
  'ts-node/register/transpile-only',
  '-r',
  'tsconfig-paths/register',
  join(ROOT, 'apps/warehouse/src/cli.ts'),
];

describe('cli', () => {
  let dir: string;
  let dataDir: string;
  const cli = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [...CLI, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        DEMO_DATA: 'false',
        ROLLUP_SCHEDULER: 'false',
        LOG_LEVEL: 'warn',
        ...env,
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tallyhouse-cli-'));
    dataDir = join(dir, 'data');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate applies the migrations, then reports them applied', () => {
    const first = cli(['migrate']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/applied 0001_events/);
    const again = cli(['migrate']);
    expect(again.out).toMatch(/schema is up to date/);
    const status = cli(['migrate', '--status']);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/applied\s+0001_events/);
    expect(status.out).not.toMatch(/pending/);
  });

  it('import of a file with a bad row exits 1 and prints the line, field and reason', () => {
    const lines = messageEvents(20, { tenant: 'cli' }).map((e) => JSON.stringify(e));
    lines[6] = JSON.stringify({ ...JSON.parse(lines[6]), type: 'message.teleported' });
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, lines.join('\n'));
    const r = cli(['import', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/20 rows · 19 accepted · 0 duplicates · 1 rejected/);
    expect(r.out).toMatch(/line 7: type must be one of/);
  });

  it('a missing file exits 2 with a clear message, and nothing is imported', () => {
    const r = cli(['import', join(dir, 'missing.ndjson')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/file not found: .*missing\.ndjson/);
  });

  it('a bad --format or unknown command exits 2', () => {
    const file = join(dir, 'ok.ndjson');
    writeFileSync(file, '');
    expect(cli(['import', file, '--format', 'xml']).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
  });

  it('PORT=abc prints the configuration error and exits 1', () => {
    const r = cli(['migrate', '--status'], { PORT: 'abc' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Invalid configuration:[\s\S]*PORT="abc"/);
  });

  it('demo --out writes the same NDJSON for the same seed', () => {
    const a = join(dir, 'a.ndjson');
    const r = cli(['demo', '--events', '1000', '--seed', '3', '--now', '2026-11-01T00:00:00Z', '--out', a]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote 1,000 demo events/);
    const b = join(dir, 'b.ndjson');
    cli(['demo', '--events', '1000', '--seed', '3', '--now', '2026-11-01T00:00:00Z', '--out', b]);
    const read = (f: string) => readFileSync(f, 'utf8');
    expect(read(b)).toBe(read(a));
    expect(read(a).trim().split('\n')).toHaveLength(1000);
  });

  it('report prints the same figures as the API, as a table or CSV, and exits 2 naming a bad parameter', () => {
    // The import above stored 19 message events for tenant "cli" on 2026-10-01 (UTC).
    const day = ['report', 'account-usage', '--tenant', 'cli', '--from', '2026-10-01', '--to', '2026-10-02'];
    const csv = cli([...day, '--tz', 'UTC', '--csv']);
    expect(csv.code).toBe(0);
    expect(csv.out.split('\r\n')[0]).toBe(
      'period,unique_contacts,resolved_conversations,active_agents,channels,proactive_messages',
    );
    expect(csv.out.split('\r\n')[1]).toBe('2026-10-01,0,0,0,1,0');
    const table = cli(['report', 'account-usage', '--tenant=cli', '--from=2026-10-01', '--to=2026-10-02', '--tz=UTC']);
    expect(table.out).toMatch(/Account usage · UTC[\s\S]*1 rows/);
    const bad = cli([...day, '--tz', 'Nowhere/Land']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--tz: tz must be an IANA time zone/);
    expect(cli(['report', 'list']).out).toMatch(/account-usage/);
  });

  it('export writes the report to a file, encrypted when asked, and exits 2 without a reason', () => {
    const file = join(dataDir, 'usage.xlsx');
    const args = ['export', 'account-usage', '--tenant', 'cli', '--from', '2026-10-01', '--to', '2026-10-02'];
    const made = cli([
      ...args,
      '--format',
      'xlsx',
      '--out',
      file,
      '--reason',
      'monthly pack',
      '--password',
      'pw-123456',
    ]);
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/1 rows → .*usage\.xlsx \([\d,]+ bytes, encrypted\)/);
    expect(readFileSync(file).subarray(0, 4).toString('hex')).toBe('d0cf11e0');
    const csv = join(dataDir, 'usage.csv');
    expect(cli([...args, '--tz', 'UTC', '--format', 'csv', '--out', csv, '--reason', 'check']).code).toBe(0);
    expect(
      readFileSync(csv, 'utf8')
        .replace(/^\uFEFF/, '')
        .split('\r\n')[1],
    ).toBe('2026-10-01,0,0,0,1,0');
    const noReason = cli([...args, '--format', 'csv', '--out', csv]);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/--reason is required/);
    const badParam = cli([...args, '--interval', 'fortnight', '--out', csv, '--reason', 'check']);
    expect(badParam.code).toBe(2);
    expect(badParam.err).toMatch(/--interval: interval must be one of/);
  });

  it('schedule add, list and run deliver a report to a folder, and a bad cron exits 2 naming it', () => {
    // Inside the default delivery root, DATA_DIR/deliveries (a folder anywhere else is refused).
    const folder = join(dataDir, 'deliveries', 'board');
    const add = cli([
      'schedule',
      'add',
      '--name',
      'Weekly usage',
      '--report',
      'account-usage',
      '--param',
      'tenant=cli',
      '--range',
      'last_full_week',
      '--cron',
      '0 7 * * 1',
      '--tz',
      'Europe/Berlin',
      '--format',
      'csv',
      '--folder',
      folder,
    ]);
    expect(add.code).toBe(0);
    const id = /schedule (\S+) created; next run \d{4}-\d{2}-\d{2}T0[56]:00:00.000Z/.exec(add.out)?.[1];
    expect(id).toBeDefined();
    const list = cli(['schedule', 'list']);
    expect(list.out).toContain(`${id}  cli  Weekly usage  account-usage last_full_week  "0 7 * * 1" Europe/Berlin`);
    const run = cli(['schedule', 'run', id!]);
    expect(run.code).toBe(0);
    expect(readdirSync(folder)).toEqual([expect.stringMatching(/^account-usage-\d{4}-\d{2}-\d{2}\.csv$/)]);
    const bad = cli([
      'schedule',
      'add',
      '--name',
      'x',
      '--report',
      'account-usage',
      '--param',
      'tenant=cli',
      '--range',
      'yesterday',
      '--cron',
      '99 * * * *',
      '--folder',
      folder,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cron/);
  });

  it('keys and tenants: the owner makes keys (shown once), a --key acts as that key, a bad key exits 2', () => {
    expect(cli(['tenants', 'add', 'cli', '--name', 'CLI Tenant', '--tz', 'UTC']).code).toBe(0);
    expect(cli(['tenants', 'add', 'other', '--tz', 'Nowhere/Land']).code).toBe(2);
    expect(cli(['tenants', 'list']).out).toMatch(/^cli\s+UTC\s+CLI Tenant$/m);
    const made = cli(['keys', 'create', '--role', 'viewer', '--tenant', 'cli', '--name', 'board']);
    expect(made.code).toBe(0);
    const key = made.out.trim();
    expect(key).toMatch(/^th_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    const prefix = key.slice(0, 11);
    expect(cli(['keys', 'create', '--role', 'manager']).code).toBe(2); // a tenant role needs --tenant
    expect(cli(['keys', 'list']).out).toMatch(new RegExp(`^${prefix}\\s+viewer\\s+cli\\s+active`, 'm'));

    const day = ['report', 'account-usage', '--from', '2026-10-01', '--to', '2026-10-02', '--tz', 'UTC', '--csv'];
    // The key's tenant is the default; naming another tenant is refused.
    expect(cli([...day, '--key', key]).out.split('\r\n')[1]).toBe('2026-10-01,0,0,0,1,0');
    const other = cli([...day, '--tenant', 'other'], { TALLYHOUSE_KEY: key });
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/this key is for tenant cli, not other/);

    expect(cli(['keys', 'revoke', prefix]).code).toBe(0);
    const revoked = cli([...day, '--key', key]);
    expect(revoked.code).toBe(2);
    expect(revoked.err).toMatch(/the API key was revoked/);
  });
});
