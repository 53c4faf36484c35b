import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Workbook } from 'exceljs';
import officeCrypto from 'officecrypto-tool';
import { ExportJobsService, type ExportJob } from '@tallyhouse/exports';
import { ReportService, type ReportRow } from '@tallyhouse/reports';
import { seeded } from './support/report-fixture';
import { waitFor } from './support/wait';
import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/**
 * Exports as a user meets them: POST /v1/exports with a reason, poll the job,
 * download the file; the campaign download's sheets hold exactly what the
 * report's views answer, a sheet continues past the row limit instead of
 * dropping rows, a password-protected file opens only with its password, and
 * every export and download is in the audit trail.
 */
const TENANT = 'export-test';
const DAY = 86_400_000;
const PARAMS = { tenant: TENANT, from: '2026-09-01', to: '2026-11-01', tz: 'UTC' };
const ROWS_PER_SHEET = 120; // header included: 119 data rows per tab

interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
  campaign_id?: string;
  message_id?: string;
}

function generate(): Ev[] {
  const rnd = seeded(21);
  const events: Ev[] = [];
  const messages: [string, string][] = [
    ['spring', 'spring-1'],
    ['spring', 'spring-2'],
    ['', 'otm-1'],
  ];
  for (let c = 0; c < 120; c++) {
    // One contact's id looks like a formula: it must reach the file as text.
    const contact = c === 7 ? '=HYPERLINK("http://evil.example","x")' : `x${c}`;
    for (const [campaign, message] of messages) {
      if (rnd() < 0.3) continue;
      const base = { tenant_id: TENANT, contact_id: contact, ...(campaign ? { campaign_id: campaign } : {}) };
      const sent = Date.UTC(2026, 8, 1) + Math.floor(rnd() * 50 * DAY);
      const at = (ms: number) => new Date(ms).toISOString();
      events.push({
        ...base,
        event_id: randomUUID(),
        occurred_at: at(sent),
        type: 'message.sent',
        message_id: message,
      });
      if (rnd() < 0.6) {
        const viewed = sent + Math.floor(rnd() * 8 * DAY);
        events.push({
          ...base,
          event_id: randomUUID(),
          occurred_at: at(viewed),
          type: 'message.viewed',
          message_id: message,
        });
        if (rnd() < 0.4) {
          events.push({
            ...base,
            event_id: randomUUID(),
            occurred_at: at(viewed + 1),
            type: 'message.clicked',
            message_id: message,
          });
        }
      }
    }
  }
  return events;
}

const events = generate();
let wh: TestWarehouse;
const http = () => wh.http();

beforeAll(async () => {
  wh = await startTestWarehouse({ EXPORT_MAX_ROWS_PER_SHEET: String(ROWS_PER_SHEET), EXPORT_TTL_HOURS: '2' });
  const res = await http().post('/v1/events').send(events);
  expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
}, 60_000);
afterAll(async () => wh?.close());

async function exportAndWait(body: object): Promise<ExportJob> {
  const started = await http().post('/v1/exports').send(body);
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ status: 'queued', file_url: null });
  let job: ExportJob = started.body;
  await waitFor(async () => {
    job = (await http().get(`/v1/exports/${started.body.id}`)).body;
    return job.status === 'done' || job.status === 'failed';
  }, 60_000);
  expect(job).toMatchObject({ status: 'done', percent: 100, error: '' });
  return job;
}

async function download(job: ExportJob): Promise<Buffer> {
  const res = await http()
    .get(job.file_url!)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(200);
  return res.body as Buffer;
}

/** A sheet's data rows (header dropped) as plain values; continuation tabs ('Name (2)', ...) appended. */
function sheetRows(book: Workbook, name: string): Record<string, unknown>[] {
  const tabs = book.worksheets.filter((w) => w.name === name || w.name.startsWith(`${name} (`));
  const out: Record<string, unknown>[] = [];
  for (const tab of tabs) {
    const header = (tab.getRow(1).values as unknown[]).slice(1) as string[];
    tab.eachRow((row, n) => {
      if (n === 1) return;
      const values = (row.values as unknown[]).slice(1);
      out.push(Object.fromEntries(header.map((h, i) => [h, cellValue(values[i])])));
    });
  }
  return out;
}

const cellValue = (v: unknown) => (v instanceof Date ? v.toISOString() : (v ?? null));

/** Report rows as a sheet shows them: text that looks like a formula gets a leading quote. */
const asSheet = (rows: ReportRow[]) =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v]),
    ),
  );
const sorted = (rows: object[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('exports', () => {
  it('a campaign download has the sheets of the reference, each equal to the report, none cut at the row limit', async () => {
    const job = await exportAndWait({ report: 'campaign-performance', params: PARAMS, reason: 'quarterly review' });
    const bytes = await download(job);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(job.sha256);
    const book = new Workbook();
    await book.xlsx.load(bytes as unknown as ArrayBuffer);

    const names = book.worksheets.map((w) => w.name);
    expect(names[0]).toBe('About');
    expect(names.filter((n) => !n.includes('('))).toEqual([
      'About',
      'Campaign',
      'CampaignStat',
      'CampaignUser',
      'OneTimeMsg',
      'OneTimeMsgUser',
      'User',
    ]);
    // More contact rows than fit on one tab: continued, with the header repeated.
    expect(names).toContain('CampaignUser (2)');
    expect(book.getWorksheet('CampaignUser (2)')!.getRow(1).getCell(1).value).toBe('kind');

    const reports = wh.app.get(ReportService);
    const sheets: [string, Record<string, string>][] = [
      ['Campaign', { kind: 'campaign', view: 'summary' }],
      ['CampaignStat', { kind: 'campaign', view: 'daily', interval: 'day' }],
      ['CampaignUser', { kind: 'campaign', view: 'contacts' }],
      ['OneTimeMsg', { kind: 'one-time', view: 'summary' }],
      ['OneTimeMsgUser', { kind: 'one-time', view: 'contacts' }],
      ['User', { kind: 'all', view: 'users' }],
    ];
    let total = 0;
    for (const [sheet, params] of sheets) {
      const want = (await reports.run('campaign-performance', { ...PARAMS, ...params })).rows;
      const got = sheetRows(book, sheet);
      expect({ sheet, rows: sorted(got) }).toEqual({ sheet, rows: sorted(asSheet(want)) });
      total += want.length;
    }
    expect(job.rows).toBe(total);
    // The formula-looking contact id is text, never a formula.
    const user = book.getWorksheet('User')!;
    const cells: unknown[] = [];
    user.eachRow((row) => row.eachCell((c) => cells.push(c.value)));
    expect(cells).toContain(`'=HYPERLINK("http://evil.example","x")`);
    expect(cells.some((c) => typeof c === 'object' && c !== null && 'formula' in c)).toBe(false);

    const about: string[] = [];
    book.getWorksheet('About')!.eachRow((row) => about.push((row.values as unknown[]).slice(1).join(' ')));
    expect(about).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/campaign-performance/),
        'tenant export-test',
        expect.stringMatching(/^CampaignUser 119\b/),
        expect.stringMatching(/^CampaignUser \(2\) 41\b/),
      ]),
    );
    expect(about.join('\n')).not.toMatch(/^channel/m); // parameters not given are left out
  });

  it('a password-protected export opens only with its password', async () => {
    const job = await exportAndWait({
      report: 'account-usage',
      params: PARAMS,
      format: 'xlsx',
      reason: 'board pack',
      password: 'correct horse battery',
    });
    expect(job.encrypted).toBe(true);
    const bytes = await download(job);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('d0cf11e0a1b11ae1'); // an encrypted Office container
    await expect(new Workbook().xlsx.load(bytes as unknown as ArrayBuffer)).rejects.toThrow();
    await expect(officeCrypto.decrypt(bytes, { password: 'wrong password' })).rejects.toThrow();
    const book = new Workbook();
    await book.xlsx.load(
      (await officeCrypto.decrypt(bytes, { password: 'correct horse battery' })) as unknown as ArrayBuffer,
    );
    const want = (await wh.app.get(ReportService).run('account-usage', PARAMS)).rows;
    expect(sheetRows(book, 'Account usage')).toHaveLength(want.length);
  });

  it('streams a CSV in the response, formula-safe, and records it', async () => {
    const res = await http()
      .post('/v1/exports?delivery=stream')
      .send({ report: 'campaign-performance', params: { ...PARAMS, view: 'users' }, format: 'csv', reason: 'mailing' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const want = (await wh.app.get(ReportService).run('campaign-performance', { ...PARAMS, view: 'users' })).rows;
    expect(lines).toHaveLength(want.length + 1);
    expect(lines[0]).toBe('contact_id,sent,viewed,clicked,goal,first_sent_at,last_sent_at');
    expect(res.text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
  });

  it('keeps an audit trail of every export and download', async () => {
    const history = (await http().get(`/v1/exports/history?tenant=${TENANT}`)).body.entries as Record<
      string,
      unknown
    >[];
    const actions = history.map((h) => `${h.action}:${h.report}:${h.reason}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'export:campaign-performance:quarterly review',
        'download:campaign-performance:quarterly review',
        'export:account-usage:board pack',
        'download:account-usage:board pack',
        'stream:campaign-performance:mailing',
      ]),
    );
    const download = history.find((h) => h.action === 'download' && h.report === 'campaign-performance')!;
    // The actor is the calling key: its prefix and name.
    expect(download).toMatchObject({
      format: 'xlsx',
      encrypted: false,
      actor: `${wh.adminKey.slice(0, 11)} (test admin)`,
    });
    expect(download.rows).toBeGreaterThan(ROWS_PER_SHEET);
    expect(download.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(String(download.client_address)).not.toBe('');
    expect(JSON.parse(String(download.params))).toEqual(PARAMS);
  });

  it('refuses bad requests with the field and the reason, and starts nothing', async () => {
    const base = { report: 'account-usage', params: PARAMS, reason: 'check' };
    for (const [body, field] of [
      [{ ...base, reason: undefined }, 'reason'],
      [{ ...base, format: 'pdf' }, 'format'],
      [{ ...base, report: 'nope' }, 'report'],
      [{ ...base, params: { ...PARAMS, from: '2026-13-01' } }, 'from'],
      [{ ...base, format: 'csv', password: 'long enough pw' }, 'password'],
      [{ ...base, password: 'short' }, 'password'],
      [{ ...base, colour: 'blue' }, 'colour'],
    ] as [object, string][]) {
      const res = await http().post('/v1/exports').send(body);
      expect({ field, status: res.status, got: res.body.field }).toEqual({ field, status: 400, got: field });
    }
    expect((await http().get(`/v1/exports/${randomUUID()}`)).status).toBe(404);
    expect((await http().get('/v1/exports/not-an-id')).status).toBe(400);
  });

  it('deletes files when they expire', async () => {
    const job = await exportAndWait({ report: 'district-sign-ins', params: PARAMS, format: 'csv', reason: 'expiry' });
    const service = wh.app.get(ExportJobsService);
    const file = join(service.directory, `${job.id}.csv`);
    expect(existsSync(file)).toBe(true);
    await service.expire(new Date(Date.parse(job.expires_at!) - 1000));
    expect(existsSync(file)).toBe(true);
    expect(await service.expire(new Date(Date.parse(job.expires_at!) + 1000))).toBeGreaterThanOrEqual(1);
    expect(existsSync(file)).toBe(false);
    expect((await http().get(`/v1/exports/${job.id}`)).body.status).toBe('expired');
    const gone = await http().get(`/v1/exports/${job.id}/file`);
    expect(gone.status).toBe(409);
    expect(gone.body.message).toMatch(/expired/);
  });
});
