/**
 * btd's web UI in a real browser (Debian's Chromium driven by playwright-core) against a real
 * btd and a real aria2 seeder behind opentracker: adding by file and by magnet through the page,
 * watching the download reach 100%, the details (files, peers, sources, chart, piece map),
 * stopping and starting, removing with data, each step checked on the page and in the daemon;
 * axe-core finds no serious violation; screenshots in both themes and at phone width.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  PATIENCE_MS,
  requireChromium,
  requireProgram,
  waitFor,
} from '@bt/test-support';
import { webUiRoot } from '@bt/web';
import { type Btd, startBtd, torrentByHash } from './btd-process.js';
import { ariaSeeder, makeSwarm, type Swarm } from './fixtures.js';
import { openBrowser, screenshot, seriousViolations } from './web-ui-browser.js';

const chromiumPath = requireChromium();
const programs = ['aria2c', 'opentracker', 'mktorrent'].map((name) =>
  requireProgram(name, name === 'aria2c' ? 'aria2' : name),
);
const ready = chromiumPath !== undefined && programs.every(Boolean);

describe.skipIf(!ready)('web UI against btd and an aria2 seeder', () => {
  let btd: Btd;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let swarm: Swarm;
  let downloadDir: string;

  beforeAll(async () => {
    expect(existsSync(join(webUiRoot, 'index.html')), `built page in ${webUiRoot}`).toBe(true);
    swarm = await makeSwarm('web-ui-payload.bin', 3 * 1024 * 1024 + 1234);
    await ariaSeeder(swarm);
    downloadDir = await makeTempDir('bt-btd-web-download-');
    btd = await startBtd({ downloadDir, env: { BTD_WEB_UI: webUiRoot } });
    browser = await openBrowser(chromiumPath!);
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
      // axe-core is injected as an inline script, which the page's CSP rightly refuses
      bypassCSP: true,
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await btd?.process.stop();
  });

  const row = (hash: string) => page.locator(`.row[data-hash="${hash}"]`);
  const daemonStatus = async (hash: string) => (await torrentByHash(btd, hash, ['status']))?.status;

  it('serves the page at / with its content types, caching and gzip, and keeps the Transmission paths', async () => {
    const base = `http://127.0.0.1:${btd.rpcPort}`;
    const index = await fetch(`${base}/`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-encoding')).toBe('gzip');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/app-[0-9a-f]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${base}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const etag = asset.headers.get('etag')!;
    expect((await fetch(`${base}${script}`, { headers: { 'If-None-Match': etag } })).status).toBe(
      304,
    );
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${base}/missing.js`)).status).toBe(404);
    // Transmission's own paths are as they were
    expect((await fetch(`${base}/transmission/rpc`)).status).toBe(409);
    const web = await fetch(`${base}/transmission`, { redirect: 'manual' });
    expect(web.status).toBe(301);
    expect(web.headers.get('location')).toBe('/transmission/web/');
  });

  it('loads, connects, and passes axe-core with no serious violation', async () => {
    await page.goto(`http://127.0.0.1:${btd.rpcPort}/`);
    await page.locator('.app[data-connection="online"]').waitFor({ timeout: PATIENCE_MS });
    expect(await page.title()).toBe('btd');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('adds a .torrent through the file picker and shows the download reach 100%', async () => {
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add torrents' });
    await dialog.locator('input[name="torrent-files"]').setInputFiles(swarm.torrent);
    await expect.poll(() => dialog.locator('input[name="folder"]').inputValue()).toBe(downloadDir);
    await expect
      .poll(() => dialog.locator('.hint').first().textContent(), { timeout: PATIENCE_MS })
      .toMatch(/^Free space: [\d.]+ [KMGTP]?i?B$/);
    await screenshot(page, 'add-dialog-light');
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await row(swarm.infoHash).waitFor({ timeout: PATIENCE_MS });
    await row(swarm.infoHash)
      .locator('[role="progressbar"][aria-valuenow="100"]')
      .waitFor({ timeout: PATIENCE_MS });
    await expect
      .poll(() => row(swarm.infoHash).locator('.col-status').textContent(), {
        timeout: PATIENCE_MS,
      })
      .toBe('Seeding');
    const state = await torrentByHash(btd, swarm.infoHash, ['percentDone', 'name']);
    expect(state).toMatchObject({ percentDone: 1, name: 'web-ui-payload.bin' });
    const bytes = await readFile(join(downloadDir, 'web-ui-payload.bin'));
    expect(Buffer.compare(bytes, swarm.bytes)).toBe(0);
    await screenshot(page, 'list-light');
  });

  it('opens the details: overview chart and piece map, files, peers, sources', async () => {
    await row(swarm.infoHash).locator('button.name').click();
    const details = page.getByRole('complementary', { name: /Details of web-ui-payload\.bin/ });
    await details.waitFor();
    const pieceCount = Math.ceil(swarm.bytes.length / 32_768);
    await expect
      .poll(() => details.locator('.piece-map canvas').getAttribute('data-have'), {
        timeout: PATIENCE_MS,
      })
      .toBe(String(pieceCount));
    await expect
      .poll(async () => Number(await details.locator('.chart svg').getAttribute('data-samples')), {
        timeout: PATIENCE_MS,
      })
      .toBeGreaterThan(1);
    expect(await details.locator('.chart polyline').count()).toBe(2);
    await screenshot(page, 'details-light');
    expect(await seriousViolations(page)).toEqual([]);

    await details.getByRole('tab', { name: 'Files' }).click();
    const file = details.getByRole('treeitem');
    await expect.poll(() => file.count()).toBe(1);
    expect(await file.locator('.file-name').textContent()).toBe('web-ui-payload.bin');
    expect(await file.getByRole('checkbox').isChecked()).toBe(true);

    await details.getByRole('tab', { name: 'Peers' }).click();
    await expect
      .poll(async () => (await details.locator('.tab-panel').textContent()) ?? '', {
        timeout: PATIENCE_MS,
      })
      .toMatch(/127\.0\.0\.1:\d+|No peers connected/);

    await details.getByRole('tab', { name: 'Sources' }).click();
    const tracker = details.locator('table.sources tbody tr').first();
    await tracker.waitFor({ timeout: PATIENCE_MS });
    expect(await tracker.getAttribute('data-source')).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/announce$/,
    );
    await screenshot(page, 'details-sources-light');
    await details.getByRole('button', { name: 'Close details' }).click();
  });

  it('stops and starts the torrent from the toolbar', async () => {
    const checkbox = row(swarm.infoHash).getByRole('checkbox');
    if (!(await checkbox.isChecked())) await checkbox.click();
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => daemonStatus(swarm.infoHash), { timeout: PATIENCE_MS }).toBe(0);
    await expect
      .poll(() => row(swarm.infoHash).locator('.col-status').textContent(), {
        timeout: PATIENCE_MS,
      })
      .toMatch(/Finished|Stopped/);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => daemonStatus(swarm.infoHash), { timeout: PATIENCE_MS }).toBe(6);
    await expect
      .poll(() => row(swarm.infoHash).locator('.col-status').textContent(), {
        timeout: PATIENCE_MS,
      })
      .toBe('Seeding');
  });

  it('sorts, filters by text and status, and selects with the keyboard', async () => {
    await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
    expect(await page.getByRole('columnheader', { name: /Name/ }).getAttribute('aria-sort')).toBe(
      'ascending',
    );
    await page.getByRole('searchbox', { name: 'Filter by name' }).fill('no such torrent');
    await expect.poll(() => page.locator('.row').count()).toBe(0);
    await page.getByRole('searchbox', { name: 'Filter by name' }).fill('payload');
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    await page.getByLabel('Status').selectOption('stopped');
    await expect.poll(() => page.locator('.row').count()).toBe(0);
    await page.getByLabel('Status').selectOption('seeding');
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    await page.getByLabel('Status').selectOption('all');
    await page.getByRole('searchbox', { name: 'Filter by name' }).fill('');
    await page.locator('body').click({ position: { x: 5, y: 790 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+a');
    await expect
      .poll(() => page.locator('.row.selected').count())
      .toBe(await page.locator('.row').count());
  });

  it('shows the pictures in the dark theme and at phone width', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'list-dark');
    await row(swarm.infoHash).locator('button.name').click();
    await page.getByRole('complementary').waitFor();
    await screenshot(page, 'details-dark');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await screenshot(page, 'add-dialog-dark');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'list-phone-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'list-phone-light');
    expect(await seriousViolations(page)).toEqual([]);
    await row(swarm.infoHash).locator('button.name').click();
    await screenshot(page, 'details-phone-light');
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('removes the torrent with its data after a confirmation', async () => {
    await page.keyboard.press('Escape');
    await row(swarm.infoHash).getByRole('checkbox').click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this torrent?' });
    await dialog.getByLabel('Also delete the downloaded data').check();
    await dialog.getByRole('button', { name: 'Remove and delete data' }).click();
    await row(swarm.infoHash).waitFor({ state: 'detached', timeout: PATIENCE_MS });
    await expect
      .poll(() => torrentByHash(btd, swarm.infoHash, ['id']), { timeout: PATIENCE_MS })
      .toBeUndefined();
    await waitFor(() => !existsSync(join(downloadDir, 'web-ui-payload.bin')), {
      what: 'the data deleted',
    });
  });
  it('opens the add dialog on a magnet link pasted on the page, and shows what btd answers', async () => {
    const tracker = `http://127.0.0.1:${/:(\d+)\/announce/.exec(await readFile(swarm.torrent, 'latin1'))![1]}/announce`;
    const magnet = `magnet:?xt=urn:btih:${swarm.infoHash}&dn=web-ui-payload.bin&tr=${encodeURIComponent(tracker)}`;
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      document.body.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true }),
      );
    }, magnet);
    const dialog = page.getByRole('dialog', { name: 'Add torrents' });
    expect(await dialog.locator('textarea[name="link"]').inputValue()).toBe(magnet);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    // btd may refuse magnets (then the dialog says why) or take them (then the row appears)
    const refusal = dialog.getByRole('alert');
    await Promise.race([
      refusal.waitFor({ timeout: PATIENCE_MS }),
      row(swarm.infoHash).waitFor({ timeout: PATIENCE_MS }),
    ]);
    if (await refusal.isVisible()) {
      expect(await refusal.textContent()).toMatch(/magnet.*not supported by btd yet/);
      expect(await torrentByHash(btd, swarm.infoHash, ['id'])).toBeUndefined();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    } else {
      await row(swarm.infoHash)
        .locator('[role="progressbar"][aria-valuenow="100"]')
        .waitFor({ timeout: PATIENCE_MS });
      expect(await torrentByHash(btd, swarm.infoHash, ['percentDone'])).toMatchObject({
        percentDone: 1,
      });
    }
  });
});
