/**
 * Transmission's own web client (Debian's transmission-common, found where transmission-daemon
 * looks for it) served by btd with Basic auth on, loaded in headless Chromium (Debian's, driven
 * over the DevTools protocol by playwright-core; no browser download): the list shows btd's
 * torrents with their progress, a torrent added through the page's upload dialog reaches btd,
 * and its pause and resume buttons stop and start a torrent in btd.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTorrent } from '@bt/metainfo/node';
import {
  makeTempDir,
  PATIENCE_MS,
  removeTempDirs,
  requireProgram,
  startProcess,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { findWebRoot } from '../src/web-root.js';
import { type Btd, startBtd, torrentByHash } from './btd-process.js';

const browserPath = requireProgram('chromium');
const webRoot = findWebRoot(process.env);
if (!webRoot && browserPath)
  // transmission-daemon depends on transmission-common, which ships the web client
  throw new Error('no Transmission web client found (Debian transmission-common)');

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await stopAllProcesses();
  await removeTempDirs();
});

/** Chromium in its own process group (test-support stops it), driven over DevTools. */
async function launchChromium(program: string): Promise<Browser> {
  const profile = await makeTempDir('bt-btd-chromium-');
  const running = startProcess(
    program,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { label: 'chromium' },
  );
  const endpoint = await waitFor(
    () => /DevTools listening on (ws:\S+)/.exec(running.output())?.[1],
    {
      what: 'chromium DevTools endpoint',
    },
  );
  return chromium.connectOverCDP(endpoint);
}

/** A 40 KiB payload and its .torrent; `withData` leaves the payload in `folder`. */
async function makeTorrent(
  folder: string,
  name: string,
): Promise<{ torrentFile: string; hash: string }> {
  const payload = join(folder, name);
  await writeFile(payload, Buffer.alloc(40 * 1024, name));
  const created = await createTorrent(payload, { pieceLength: 16 * 1024 });
  const torrentFile = join(folder, `${name}.torrent`);
  await writeFile(torrentFile, created.torrent);
  return { torrentFile, hash: created.metainfo.infoHashHex };
}

async function statusOf(btd: Btd, hash: string): Promise<number | undefined> {
  return (await torrentByHash(btd, hash, ['status']))?.status as number | undefined;
}

describe.skipIf(!browserPath || !webRoot)('Transmission web client in headless Chromium', () => {
  it(
    'lists btd torrents with progress, adds one through the page, stops and starts one (Basic auth on)',
    async () => {
      const data = await makeTempDir('bt-btd-web-data-');
      const seeded = await makeTorrent(data, 'seeded-by-btd.bin');
      const uploadsFolder = await makeTempDir('bt-btd-web-upload-');
      const uploaded = await makeTorrent(uploadsFolder, 'added-through-the-page.bin');
      const btd = await startBtd({
        downloadDir: data,
        args: ['-t', '-u', 'web', '-v', 'client'],
        credentials: 'web:client',
      });
      expect(btd.output()).not.toMatch(/no web client/);
      const added = await btd.rpc('torrent-add', {
        filename: seeded.torrentFile,
        'download-dir': data,
      });
      expect(added.result).toBe('success');
      await waitFor(async () => ((await statusOf(btd, seeded.hash)) === 6 ? true : undefined), {
        what: 'the seeded torrent seeding',
      });

      browser = await launchChromium(browserPath!);
      const url = `http://127.0.0.1:${btd.rpcPort}/transmission/web/`;
      // without credentials (headless Chromium cannot prompt: it fails the navigation)
      const stranger = await browser.newContext();
      await expect((await stranger.newPage()).goto(url)).rejects.toThrow(
        /ERR_INVALID_AUTH_CREDENTIALS/,
      );
      await stranger.close();
      expect((await fetch(url)).status).toBe(401);

      const context = await browser.newContext({
        httpCredentials: { username: 'web', password: 'client' },
      });
      const page = await context.newPage();
      page.setDefaultTimeout(PATIENCE_MS);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const loaded = await page.goto(url);
      expect(loaded?.status()).toBe(200);

      // the list renders btd's torrent, complete and seeding
      const seededRow = page.locator('#torrent_list li.torrent', {
        hasText: 'seeded-by-btd.bin',
      });
      await seededRow.waitFor();
      await expect
        .poll(() => seededRow.locator('.torrent_peer_details').textContent(), {
          timeout: PATIENCE_MS,
        })
        .toMatch(/^Seeding to 0 of 0 peers/);
      expect(await seededRow.locator('.torrent_progress_details').textContent()).toMatch(
        /^40\.9 kB, uploaded 0 B \(Ratio 0\.00\)$/,
      );

      // add a torrent through the upload dialog: the page reads the file and sends metainfo
      await page.click('#toolbar-open');
      await page.setInputFiles('#torrent_upload_file', uploaded.torrentFile);
      await page.fill('#add-dialog-folder-input', uploadsFolder);
      await page.click('#upload_confirm_button');
      const uploadedRow = page.locator('#torrent_list li.torrent', {
        hasText: 'added-through-the-page.bin',
      });
      await uploadedRow.waitFor();
      const inBtd = await torrentByHash(btd, uploaded.hash, ['name', 'downloadDir']);
      expect(inBtd).toEqual({ name: 'added-through-the-page.bin', downloadDir: uploadsFolder });
      // its data is there too: btd checks it and seeds
      await waitFor(async () => ((await statusOf(btd, uploaded.hash)) === 6 ? true : undefined), {
        what: 'the uploaded torrent seeding',
      });

      // stop and start the first one with its row's pause/resume button
      await seededRow.locator('.torrent_pause').click();
      await waitFor(async () => ((await statusOf(btd, seeded.hash)) === 0 ? true : undefined), {
        what: 'the torrent stopped through the page',
      });
      await seededRow.locator('.torrent_resume').waitFor();
      await expect
        .poll(() => seededRow.locator('.torrent_peer_details').textContent(), {
          timeout: PATIENCE_MS,
        })
        .toBe('Paused');
      await seededRow.locator('.torrent_resume').click();
      await waitFor(async () => ((await statusOf(btd, seeded.hash)) === 6 ? true : undefined), {
        what: 'the torrent started through the page',
      });
      await seededRow.locator('.torrent_pause').waitFor();
      expect(dialogs).toEqual([]);
      expect(existsSync(join(uploadsFolder, 'added-through-the-page.bin'))).toBe(true);
      await context.close();
    },
    PATIENCE_MS * 4,
  );
});
