import { createServer, type AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** How the web tests look at the page: its sizes, its tables, and a signed-in tab. */

export const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 375, height: 812 } };

export type Row = Record<string, string | number | null>;

/** A report page whose figures are in and not being refetched. */
export const REPORT_READY = '[data-testid=report-body][aria-busy=false] [data-testid=data-table]';

/** A tab with the key entered in the form, as a user does once per tab. */
export async function signedIn(
  browser: Browser,
  base: string,
  key: string,
  viewport = SIZES.desktop,
  locale = 'en-US',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.locator('#content').waitFor();
  return { context, page };
}

// Runs in the browser (a string, as this project's TypeScript has no DOM types): each row of the
// first table inside `scope` as { column: raw value } from the cells' data-value attributes.
const readTable = (scope: string) => `[...document.querySelector(${JSON.stringify(`${scope} [data-testid=data-table]`)})
  .querySelectorAll('tbody tr')].map((tr) =>
  Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.column, td.dataset.value])))`;

/** Table cells as the page holds them (raw values; the shown text is formatted for the locale). */
export async function tableValues(page: Page, scope = ''): Promise<Row[]> {
  return page.evaluate<Row[]>(readTable(scope));
}

/** API rows as the table's data-value attributes hold them. */
export const asText = (rows: Row[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v ?? '')])));

/** A port nothing listens on: opened, then closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
