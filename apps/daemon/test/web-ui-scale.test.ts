/**
 * The web UI with 1,000 torrents in btd (the list renders, sorts and filters, drawing only the
 * rows in view; the timings are printed, the budget is checked by the bench; a lost connection
 * is shown and recovered from when btd comes back), and with
 * authentication on (the browser is asked for credentials; right ones work, wrong ones are
 * refused).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, PATIENCE_MS, requireChromium } from '@bt/test-support';
import { webUiRoot } from '@bt/web';
import { type Btd, startBtd } from './btd-process.js';
import { addManyTorrents, measureList, openBrowser } from './web-ui-browser.js';

const chromiumPath = requireChromium();
const COUNT = 1000;

describe.skipIf(!chromiumPath)('web UI at scale and behind a password', () => {
  let browser: Browser;
  const daemons: Btd[] = [];

  beforeAll(async () => {
    browser = await openBrowser(chromiumPath!);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(daemons.map((btd) => btd.process.stop()));
  });

  it(`lists, sorts and filters ${COUNT} torrents`, async () => {
    const btd = await startBtd({
      downloadDir: await makeTempDir('bt-btd-web-many-'),
      env: { BTD_WEB_UI: webUiRoot },
    });
    daemons.push(btd);
    await addManyTorrents(btd, COUNT);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const timings = await measureList(page, `http://127.0.0.1:${btd.rpcPort}/`, COUNT);
    console.log(`web UI, ${COUNT} torrents: ${JSON.stringify(timings)}`);
    expect(timings.rowsDrawn).toBeGreaterThan(0);
    expect(timings.rowsDrawn).toBeLessThan(100);
    const names = await page.locator('.row .name').allTextContents();
    expect(names.length).toBeGreaterThan(5);
    expect(names.every((name) => name.startsWith('debian-'))).toBe(true);
    const sorted = [...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    expect(names).toEqual(sorted);
    expect(await page.locator('.count').textContent()).toMatch(
      new RegExp(`^${COUNT / 10} of ${COUNT} shown`),
    );
    // the label filter, and scrolling to the end draws the last rows
    await page.getByRole('searchbox', { name: 'Filter by name' }).fill('');
    await page.getByLabel('Label').selectOption('linux');
    await expect.poll(() => page.locator('.count').textContent()).toMatch(/^167 of 1000 shown/);
    await page.getByLabel('Label').selectOption('');
    await page
      .locator('.list-viewport')
      .evaluate((element) => (element.scrollTop = element.scrollHeight));
    await expect
      .poll(() => page.locator('.row .name', { hasText: 'void-0998.iso' }).count())
      .toBe(1);

    // btd goes away: the page says so; btd is back on the same port: the page recovers by itself
    await btd.process.stop();
    await page.locator('.banner.lost').waitFor({ timeout: PATIENCE_MS });
    expect(await page.locator('.app').getAttribute('data-connection')).toBe('lost');
    const again = await startBtd({
      configDir: btd.configDir,
      rpcPort: btd.rpcPort,
      env: { BTD_WEB_UI: webUiRoot },
    });
    daemons.push(again);
    await page.locator('.app[data-connection="online"]').waitFor({ timeout: PATIENCE_MS });
    await expect
      .poll(() => page.locator('.count').textContent(), { timeout: PATIENCE_MS })
      .toMatch(new RegExp(`^${COUNT} of ${COUNT} shown`));
    await context.close();
  });

  it('asks for credentials, works with the right ones and refuses wrong ones', async () => {
    const btd = await startBtd({
      args: ['-t', '-u', 'admin', '-v', 'open sesame'],
      credentials: 'admin:open sesame',
      env: { BTD_WEB_UI: webUiRoot },
    });
    daemons.push(btd);
    const url = `http://127.0.0.1:${btd.rpcPort}/`;
    // what makes a browser ask: a 401 with a Basic challenge, for the page as for the RPC
    const asked = await fetch(url);
    expect(asked.status).toBe(401);
    expect(asked.headers.get('www-authenticate')).toContain('Basic');

    const wrong = await browser.newContext({
      httpCredentials: { username: 'admin', password: 'nope' },
    });
    const refused = await (await wrong.newPage()).goto(url).then(
      (response) => `HTTP ${response?.status()}`,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/HTTP 401|ERR_INVALID_AUTH_CREDENTIALS/);
    await wrong.close();

    const right = await browser.newContext({
      httpCredentials: { username: 'admin', password: 'open sesame' },
    });
    const page = await right.newPage();
    expect((await page.goto(url))?.status()).toBe(200);
    await page.locator('.app[data-connection="online"]').waitFor({ timeout: PATIENCE_MS });
    expect(await page.locator('.status-bar .version').textContent()).toMatch(/btd/);
    await right.close();
  });
});
