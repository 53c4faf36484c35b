import ExcelJS from 'exceljs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Browser } from 'playwright-core';
import { DemoLoader } from '@tallyhouse/demo';
import { createHttpApp } from '@tallyhouse/http';
import { addReportPaths } from '@tallyhouse/reports';
import type { INestApplication } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { WarehouseModule } from '../apps/warehouse/src/warehouse.module';
import { KeyStore } from '@tallyhouse/auth';
import { buildWebPage, launchChromium } from './support/browser';
import { waitFor } from './support/wait';
import {
  asText,
  closedPort,
  REPORT_READY,
  type Row,
  signedIn as signedInTab,
  SIZES,
  tableValues,
} from './support/web-page';

// The web page in Debian's Chromium against the warehouse with 60,000 demo events.

const SCREENSHOTS = join(__dirname, '..', 'test-output', 'screenshots');
const BRAND = 'nordlicht-moda';
const DISTRICT = 'maple-valley-sd';

interface ApiReport {
  columns: { name: string }[];
  rows: Row[];
}

let app: INestApplication;
let base: string;
let browser: Browser;
let dataDir: string;
let testKeys: { admin: string; viewer: string };
// The warehouse consumes a topic of its own on the broker jest's global setup started.
const brokers = process.env.KAFKA_BROKERS!;
const topic = `web-${Date.now()}`;
const kafka = new Kafka({ clientId: 'web-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

/** The keys the page is opened with: an admin's, and a viewer's of the brand. */
const keys = () => testKeys;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(base + path, { headers: { Authorization: `Bearer ${keys().admin}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const signedIn = (key: string, viewport = SIZES.desktop, locale?: string) =>
  signedInTab(browser, base, key, viewport, locale);

beforeAll(async () => {
  buildWebPage();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
  await admin.disconnect();
  dataDir = mkdtempSync(join(tmpdir(), 'tallyhouse-web-'));
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    DEMO_DATA: 'false',
    ROLLUP_SCHEDULER: 'false',
    SCHEDULES_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP: `g-${topic}`,
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    // A failing delivery fails at once rather than after its retries.
    DELIVERY_ATTEMPTS: '1',
    DELIVERY_BASE_DELAY_MS: '10',
    // The schedule test posts to a closed port on this machine, which a webhook may reach only when listed.
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  });
  app = await createHttpApp(WarehouseModule, 'test', { document: addReportPaths });
  await app.init();
  const store = app.get(KeyStore);
  const made = (role: 'admin' | 'viewer', tenant: string | null) =>
    store.create({ role, tenant, name: `web test ${role}`, createdBy: 'test' }).then((k) => k.key);
  testKeys = { admin: await made('admin', null), viewer: await made('viewer', BRAND) };
  await app.get(DemoLoader).load({ events: 60_000, seed: 8, now: new Date(Date.now() - 60_000) });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the web page', () => {
  it('asks for a key, says why a wrong one is refused, and keeps the key out of the URL', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base + '/');
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/key/i);
    await page.getByLabel('API key').fill(keys().admin);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(page.url()).not.toContain(keys().admin);
    expect(await page.evaluate<string>(`sessionStorage.getItem('tallyhouse.api-key')`)).toBe(keys().admin);
    await context.close();
  });

  it('is served at / with index.html for page paths, while API paths and missing files stay 404', async () => {
    const page = await fetch(`${base}/reports/usage`, { headers: { Accept: 'text/html' } });
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain('<div id="root">');
    const api404 = await fetch(`${base}/v1/no-such-thing`, { headers: { Accept: 'text/html' } });
    expect([api404.status, ((await api404.json()) as { statusCode: number }).statusCode]).toEqual([404, 404]);
    expect((await fetch(`${base}/assets/no-such-file.js`)).status).toBe(404);
  });

  it('changing a filter shows the numbers the API gives for those parameters, in the chart and the table', async () => {
    const { context, page } = await signedIn(keys().admin);
    const params = `tenant=${BRAND}&from=2026-09-01&to=2026-12-01&interval=month`;
    await page.goto(`${base}/#/reports/usage?${params.replace('from', 'range=custom&from')}`);
    await page.locator(REPORT_READY).waitFor();
    const byPlatform = await api<ApiReport>(`/v1/reports/account-usage?${params}&group_by=platform`);
    expect(await tableValues(page)).toEqual(asText(byPlatform.rows));

    await page.getByLabel('Group by').selectOption('channel');
    await page.waitForFunction(`document.querySelector('th:nth-child(2)')?.textContent === 'channel'`);
    await page.locator(REPORT_READY).waitFor();
    const byChannel = await api<ApiReport>(`/v1/reports/account-usage?${params}&group_by=channel`);
    expect(await tableValues(page)).toEqual(asText(byChannel.rows));
    expect(page.url()).toContain('group_by=channel');

    // One line per channel, each the API's unique contacts per month.
    const plotted = JSON.parse((await page.getByTestId('chart').getAttribute('data-series'))!) as {
      name: string;
      data: number[];
    }[];
    const email = byChannel.rows.filter((r) => r.channel === 'email').map((r) => r.unique_contacts);
    expect(plotted.find((s) => s.name === 'email')?.data).toEqual(email);

    // The same view opened from its URL (a bookmark) in a new tab: the key is asked for again
    // (it is kept per tab, never in the URL), then the same table shows.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await shared.getByLabel('API key').fill(keys().admin);
    await shared.getByRole('button', { name: 'Open' }).click();
    await shared.locator(REPORT_READY).waitFor();
    expect(await tableValues(shared)).toEqual(asText(byChannel.rows));
    await context.close();
  });

  it("formats numbers in the browser's locale, and says so when a range has no data", async () => {
    const { context, page } = await signedIn(keys().admin, SIZES.desktop, 'de-DE');
    const params = `tenant=${BRAND}&from=2026-10-01&to=2026-11-01`;
    await page.goto(`${base}/#/reports/campaigns?range=custom&${params}`);
    await page.locator(REPORT_READY).waitFor();
    const summary = await api<ApiReport>(`/v1/reports/campaign-performance?${params}`);
    const shown = await page.locator('td[data-column=view_rate]').first().textContent();
    const rate = Number(summary.rows[0].view_rate);
    expect(shown).toBe(new Intl.NumberFormat('de-DE', { style: 'percent', maximumFractionDigits: 1 }).format(rate));
    expect(shown).toMatch(/\u00a0%$/); // German puts a no-break space before the percent sign

    await page.goto(`${base}/#/reports/campaigns?tenant=${BRAND}&range=custom&from=2020-01-01&to=2020-02-01`);
    await page.getByText('No data for these filters.').waitFor();
    await context.close();
  });

  it("opens a campaign day by day from its row, with the API's daily figures and one line per step", async () => {
    const { context, page } = await signedIn(keys().admin);
    const params = `tenant=${BRAND}&from=2026-10-01&to=2026-11-01`;
    await page.goto(`${base}/#/reports/campaigns?range=custom&${params}`);
    await page.locator(REPORT_READY).waitFor();
    await page.getByRole('link', { name: 'autumn-sale' }).click();
    await page.waitForFunction(`document.querySelector('th:nth-child(3)')?.textContent === 'period'`);
    await page.locator(REPORT_READY).waitFor();
    const daily = await api<ApiReport>(`/v1/reports/campaign-performance?${params}&campaign=autumn-sale&view=daily`);
    expect(daily.rows.length).toBeGreaterThan(0);
    expect(await tableValues(page)).toEqual(asText(daily.rows));
    const plotted = JSON.parse((await page.getByTestId('chart').getAttribute('data-series'))!) as { name: string }[];
    expect(plotted.map((p) => p.name).slice(0, 4)).toEqual(['sent', 'viewed', 'clicked', 'goal']);
    await context.close();
  });

  it('downloads the campaign report as XLSX through an export job, and the file opens', async () => {
    const { context, page } = await signedIn(keys().admin);
    await page.goto(`${base}/#/reports/campaigns?tenant=${BRAND}&range=custom&from=2026-10-01&to=2026-11-01`);
    await page.locator(REPORT_READY).waitFor();
    await page.getByLabel('Reason (required)').fill('web page test');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'XLSX', exact: true }).click(),
    ]);
    const file = join(dataDir, 'download.xlsx');
    await download.saveAs(file);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(file);
    const summary = await api<ApiReport>(
      `/v1/reports/campaign-performance?tenant=${BRAND}&from=2026-10-01&to=2026-11-01`,
    );
    const sheet = book.getWorksheet('Campaign')!;
    expect(sheet.rowCount - 1).toBe(summary.rows.filter((r) => r.kind === 'campaign').length);
    expect(await page.getByTestId('export-status').textContent()).toMatch(/Downloaded/);

    // With a password the file is an encrypted Office container (OLE compound file), not a zip.
    await page.getByLabel('Password (XLSX with password)').fill('correct horse battery');
    const [locked] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'XLSX with password' }).click(),
    ]);
    const head = readFileSync(await locked.path())
      .subarray(0, 4)
      .toString('hex');
    expect(head).toBe('d0cf11e0');
    await context.close();
  });

  it('shows dead letters by reason with a sample on the ingest health page', async () => {
    const bad = JSON.stringify([{ event_id: 'not-a-uuid', tenant_id: BRAND, type: 'message.sent' }]);
    await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${keys().admin}` },
      body: bad,
    });
    const dead = await api<{ total: number; reasons: { reason: string; sample: string }[] }>(
      `/v1/dead-letters?tenant=${BRAND}`,
    );
    expect(dead.total).toBe(1);
    const { context, page } = await signedIn(keys().admin);
    await page.goto(`${base}/#/health?tenant=${BRAND}`);
    await page.getByRole('region', { name: 'Dead letters' }).getByTestId('data-table').waitFor();
    const rows = await tableValues(page, 'section[aria-label="Dead letters"]');
    expect(rows).toEqual([expect.objectContaining({ reason: dead.reasons[0].reason, count: '1' })]);
    expect(rows[0].sample).toContain('not-a-uuid');
    await context.close();
  });

  it("shows the Kafka consumer's lag, rate and dead letters by kind on the ingest health page", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: '{"event_id": "not json' }] });
    await producer.disconnect();
    await waitFor(
      async () => {
        const dead = await api<{ reasons: { source: string }[] }>('/v1/dead-letters');
        return dead.reasons.some((r) => r.source === 'kafka');
      },
      30_000,
      'the Kafka dead letter',
    );
    const { context, page } = await signedIn(keys().admin);
    await page.goto(`${base}/#/health`);
    const panel = page.getByTestId('kafka');
    // /health answers a slow check (the broker's offsets) from its last result, so a busy machine may
    // show the state from before the bad message: open the page again until the fresh one is there.
    await waitFor(
      async () => {
        await page.reload();
        await panel.waitFor();
        await page.waitForFunction(
          `document.querySelector('[data-testid=kafka]').textContent.includes('consuming ${topic}')`,
        );
        return /invalid-json 1/.test((await panel.textContent()) ?? '');
      },
      30_000,
      'the dead letter on the Kafka panel',
    );
    expect(await panel.textContent()).toMatch(/invalid-json 1/);
    expect(await panel.textContent()).toMatch(/lag 0/);
    await context.close();
  });

  it('creates a schedule, runs it now, and marks the failed run', async () => {
    const { context, page } = await signedIn(keys().admin);
    await page.goto(`${base}/#/schedules?tenant=${BRAND}`);
    await page.getByText('New schedule').click();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Name').fill('Weekly usage to a closed port');
    await form.getByLabel('Report').selectOption('account-usage');
    await form.getByLabel('Range').selectOption('last_7_days');
    await form.getByLabel('Deliver to').selectOption('webhook');
    await form.getByLabel('URL').fill(`http://127.0.0.1:${await closedPort()}/hook`);
    await form.getByRole('button', { name: 'Create schedule' }).click();
    const item = page.locator('.schedule', { hasText: 'Weekly usage to a closed port' });
    await item.waitFor();
    const listed = await api<{ schedules: { name: string; params: Record<string, string> }[] }>(
      `/v1/schedules?tenant=${BRAND}`,
    );
    expect(listed.schedules.map((x) => [x.name, x.params.tenant])).toEqual([['Weekly usage to a closed port', BRAND]]);

    await item.getByRole('button', { name: 'Run now' }).click();
    const failed = item.locator('tr.failed');
    await failed.waitFor();
    expect(await failed.textContent()).toMatch(/failed/);
    expect(await failed.textContent()).toMatch(/manual/);
    await context.close();
  });

  it('runs SQL and shows the engine error for a bad query as the engine words it', async () => {
    const { context, page } = await signedIn(keys().admin);
    await page.goto(`${base}/#/sql?tenant=${BRAND}`);
    const editor = page.getByRole('textbox', { name: 'SQL' });
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('SELECT 6 * 7 AS answer');
    await page.getByRole('button', { name: /^Run/ }).click();
    // This query's result, not one shown before it (on a busy machine the old one can still be there).
    await page.getByTestId('sql-result').getByRole('columnheader', { name: 'answer' }).waitFor();
    expect(await tableValues(page)).toEqual([{ answer: '42' }]);
    expect(await page.getByTestId('sql-summary').textContent()).toMatch(/^1 rows · .* · data as of \d/);

    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('SELECT nosuchcolumn FROM events');
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('error').waitFor();
    expect(await page.getByTestId('error').textContent()).toMatch(/nosuchcolumn/);
    expect(await page.getByTestId('error').textContent()).toMatch(/UNKNOWN_IDENTIFIER|Unknown expression/i);
    await context.close();
  });

  it('does not show the SQL page to a viewer key', async () => {
    const { context, page } = await signedIn(keys().viewer);
    const nav = page.getByRole('navigation', { name: 'Pages' });
    expect(await nav.getByRole('link', { name: 'Campaign performance' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'SQL' }).count()).toBe(0);
    await page.goto(`${base}/#/sql`);
    await page.getByTestId('error').waitFor();
    expect(await page.getByRole('textbox', { name: 'SQL' }).count()).toBe(0);
    await context.close();
  });

  it('answers the keyboard at phone width: Enter opens the menu and a page, arrow keys change a filter', async () => {
    const { context, page } = await signedIn(keys().admin, SIZES.phone);
    await page.goto(`${base}/#/reports/touch?tenant=himal-mobile`);
    await page.locator(REPORT_READY).waitFor();
    expect(await page.getByRole('navigation', { name: 'Pages' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: /Customer touch/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Cohorts' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Pages' }).isVisible()).toBe(false);
    await page.getByLabel('Interval').focus();
    await page.keyboard.press('ArrowDown'); // a focused select changes with the arrow keys
    await page.waitForFunction(`location.hash.includes('interval=')`);
    await context.close();
  });

  // Last, so the export history, schedules and dead letters made above show in the screenshots.
  it('shows every page with its chart and table, at desktop and phone width (screenshots)', async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const pages = [
      ['campaigns', `#/reports/campaigns?tenant=${BRAND}`],
      ['usage', `#/reports/usage?tenant=${BRAND}`],
      ['touch', `#/reports/touch?tenant=himal-mobile`],
      ['sales', `#/reports/sales?tenant=${BRAND}&group_by=channel`],
      ['district', `#/reports/district?tenant=${DISTRICT}&report=district-sign-ins`],
      ['cohorts', `#/reports/cohorts?tenant=${DISTRICT}&range=custom&from=2026-08-01&to=2026-12-01&interval=month`],
    ];
    for (const [size, viewport] of Object.entries(SIZES)) {
      const { context, page } = await signedIn(keys().admin, viewport);
      for (const [name, hash] of pages) {
        await page.goto(`${base}/${hash}`);
        await page.locator(REPORT_READY).waitFor();
        await page.getByTestId('chart').waitFor();
        expect((await tableValues(page)).length).toBeGreaterThan(0);
        await page.waitForTimeout(300); // the chart's entry animation
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true });
      }
      for (const [name, hash, ready] of [
        ['sql', `#/sql?tenant=${BRAND}`, 'sql-editor'],
        ['exports', `#/exports?tenant=${BRAND}`, ''],
        ['schedules', `#/schedules?tenant=${BRAND}`, ''],
        ['health', `#/health?tenant=${BRAND}`, 'health-checks'],
      ]) {
        await page.goto(`${base}/${hash}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        if (ready) await page.getByTestId(ready).first().waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true });
      }
      await context.close();
    }
  });
});
