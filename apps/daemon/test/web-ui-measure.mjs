/* global document, requestAnimationFrame */
// Timing the web UI's list in the browser, shared by test/web-ui-scale.test.ts and
// bench/web-ui.bench.mjs (plain JavaScript so that the bench runs under node as it is).

/**
 * Opens the page, waits for `count` torrents in the list, and measures the first render (from
 * the full torrent-get answer to the list painted), a sort by name and a text filter (each
 * until after the next paint).
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @param {number} count
 */
export async function measureList(page, url, count) {
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
      new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const [answer] = performance.getEntriesByName('bt-list-answer');
    const [shown] = performance.getEntriesByName('bt-list-shown');
    const header = [...document.querySelectorAll('button.sort')].find((button) =>
      button.textContent?.startsWith('Name'),
    );
    let start = performance.now();
    header.click();
    await afterPaint();
    const sortMs = performance.now() - start;
    const search = document.querySelector('input[type="search"]');
    start = performance.now();
    search.value = 'debian';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await afterPaint();
    const filterMs = performance.now() - start;
    return {
      firstRenderMs: shown.startTime - answer.startTime,
      loadToListMs: shown.startTime,
      sortMs,
      filterMs,
      rowsDrawn: document.querySelectorAll('.row').length,
    };
  });
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
 * The `index`th of the many small torrents the list tests add (no data behind them: one file,
 * random piece hashes), as torrent-add arguments; every third has a label.
 * @param {number} index
 * @param {(value: unknown) => Uint8Array} encode bencode
 * @param {(size: number) => Uint8Array} random
 */
export function manyTorrentArguments(index, encode, random) {
  const pieceLength = 16_384;
  const length = pieceLength * (1 + (index % 7)) - (index % 100);
  const pieces = Math.ceil(length / pieceLength);
  const name = `${WORDS[index % WORDS.length]}-${String(index).padStart(4, '0')}.iso`;
  const torrent = encode({
    info: { length, name, 'piece length': pieceLength, pieces: random(20 * pieces) },
  });
  return {
    metainfo: Buffer.from(torrent).toString('base64'),
    paused: true,
    ...(index % 3 === 0 ? { labels: [index % 2 === 0 ? 'linux' : 'iso'] } : {}),
  };
}
