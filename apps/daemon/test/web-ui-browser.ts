/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the browser)
/**
 * Browser helpers for the web UI tests and bench: Debian's Chromium (started through
 * @bt/test-support, so it is killed on every way out) driven by playwright-core over CDP, an
 * axe-core check, screenshots kept as artifacts, and many small torrents for list tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { encode } from '@bt/bencode';
import { startChromium } from '@bt/test-support';
import type { Btd } from './btd-process.js';

export async function openBrowser(program: string): Promise<Browser> {
  const running = await startChromium(program);
  return chromium.connectOverCDP(running.endpoint);
}

/** Serious or critical axe-core violations on the page as it is now (empty when none). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: typeof axe }).axe.run;
    const report = await run({ resultTypes: ['violations'] });
    return report.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.map((node) => node.target.join(' ')).slice(0, 3),
    }));
  });
  return result
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.join(', ')}`);
}

/** Screenshots go to `artifacts/web-ui/` at the repository root (ignored by git), or `$BT_SCREENSHOTS`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder =
    process.env.BT_SCREENSHOTS ??
    join(import.meta.dirname, '..', '..', '..', 'artifacts', 'web-ui');
  await mkdir(folder, { recursive: true });
  await page.screenshot({ path: join(folder, `${name}.png`) });
}

const WORDS = [
  'debian',
  'ubuntu',
  'arch',
  'fedora',
  'mint',
  'alpine',
  'gentoo',
  'nixos',
  'void',
  'suse',
];

/**
 * `count` torrents (no data behind them: single files with random piece hashes) added paused
 * through the RPC, every third with a label; resolves with their hashes.
 */
export async function addManyTorrents(btd: Btd, count: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let index = 0; index < count; index++) {
    const pieceLength = 16_384;
    const length = pieceLength * (1 + (index % 7)) - (index % 100);
    const pieces = Math.ceil(length / pieceLength);
    const name = `${WORDS[index % WORDS.length]}-${String(index).padStart(4, '0')}.iso`;
    const torrent = encode({
      info: { length, name, 'piece length': pieceLength, pieces: randomBytes(20 * pieces) },
    });
    const answer = await btd.rpc('torrent-add', {
      metainfo: Buffer.from(torrent).toString('base64'),
      paused: true,
      ...(index % 3 === 0 ? { labels: [index % 2 === 0 ? 'linux' : 'iso'] } : {}),
    });
    if (answer.result !== 'success') throw new Error(`torrent-add: ${answer.result}`);
    const added = (answer.arguments['torrent-added'] ?? answer.arguments['torrent-duplicate']) as {
      hashString: string;
    };
    hashes.push(added.hashString);
  }
  return hashes;
}

export interface ListTimings {
  /** From the full torrent-get answer to the list painted (the first render). */
  firstRenderMs: number;
  /** From navigation start to the list painted (loading the page and the answer included). */
  loadToListMs: number;
  /** From a click on the Name header to the re-sorted list painted. */
  sortMs: number;
  /** From typing a filter to the filtered list painted. */
  filterMs: number;
  /** Rows in the DOM (only those in view are drawn). */
  rowsDrawn: number;
}

/**
 * Opens the page, waits for `count` torrents in the list, and measures the first render, a
 * sort by name and a text filter (each until after the next paint).
 */
export async function measureList(page: Page, url: string, count: number): Promise<ListTimings> {
  await page.goto(url);
  await page.waitForFunction(
    (expected) =>
      performance.getEntriesByName('bt-list-shown').length > 0 &&
      document.querySelector('.count')?.textContent?.startsWith(`${expected} of ${expected}`),
    count,
    { timeout: 120_000 },
  );
  return page.evaluate(async () => {
    const afterPaint = () =>
      new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const [answer] = performance.getEntriesByName('bt-list-answer');
    const [shown] = performance.getEntriesByName('bt-list-shown');
    const header = [...document.querySelectorAll<HTMLButtonElement>('button.sort')].find((button) =>
      button.textContent?.startsWith('Name'),
    )!;
    let start = performance.now();
    header.click();
    await afterPaint();
    const sortMs = performance.now() - start;
    const search = document.querySelector<HTMLInputElement>('input[type="search"]')!;
    start = performance.now();
    search.value = 'debian';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await afterPaint();
    const filterMs = performance.now() - start;
    return {
      firstRenderMs: shown!.startTime - answer!.startTime,
      loadToListMs: shown!.startTime,
      sortMs,
      filterMs,
      rowsDrawn: document.querySelectorAll('.row').length,
    };
  });
}
