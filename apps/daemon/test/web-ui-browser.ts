/// <reference lib="dom" />
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
import { manyTorrentArguments } from './web-ui-measure.mjs';

export { measureList, type ListTimings } from './web-ui-measure.mjs';

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

/** `count` small torrents (no data behind them) added paused through the RPC; their hashes. */
export async function addManyTorrents(btd: Btd, count: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let index = 0; index < count; index++) {
    const answer = await btd.rpc('torrent-add', manyTorrentArguments(index, encode, randomBytes));
    if (answer.result !== 'success') throw new Error(`torrent-add: ${answer.result}`);
    const added = (answer.arguments['torrent-added'] ?? answer.arguments['torrent-duplicate']) as {
      hashString: string;
    };
    hashes.push(added.hashString);
  }
  return hashes;
}
