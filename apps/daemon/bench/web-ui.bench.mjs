// The web UI's budget (issue 14): its JavaScript and CSS under 150 KB gzipped, and the first
// render of a 1,000-torrent list under 300 ms in Chromium; also a sort and a filter of that
// list. btd (dist/btd.js, serving the page built in apps/web) is loaded with BENCH_TORRENTS
// small paused torrents (default 1,000), Debian's Chromium opens the page BENCH_RUNS times
// (default 5), and the medians are printed beside the targets, with the load average.
// Run it under the shared lock: `flock /work/coord/bench.lock pnpm --filter @bt/daemon bench`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { encode } from '@bt/bencode';
import { webUiRoot } from '@bt/web';
import { manyTorrentArguments, measureList } from '../test/web-ui-measure.mjs';
import { rpcClient } from './rpc-client.mjs';

const COUNT = Number(process.env.BENCH_TORRENTS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BTD = join(import.meta.dirname, '..', 'dist', 'btd.js');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SIZE_TARGET = 150 * 1024;
const RENDER_TARGET_MS = 300;

const children = [];
const folders = [];
/** Starts a program in its own process group, remembered so that every way out kills it. */
function start(command, args, env = {}) {
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  children.push(child);
  return { child, output: () => output };
}
async function cleanUp() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => void cleanUp().then(() => process.exit(130)));

async function waitFor(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const verdict = (value, target) => (value < target ? 'met' : 'NOT met');
const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

try {
  // 1. Size: what a browser downloads (the .gz btd sends), script and stylesheet.
  let gzipped = 0;
  for (const name of await readdir(webUiRoot))
    if (/\.(js|css)\.gz$/.test(name)) gzipped += (await stat(join(webUiRoot, name))).size;
  console.log(
    `web UI size: JS+CSS ${(gzipped / 1024).toFixed(1)} KB gzipped (target < 150 KB: ${verdict(gzipped, SIZE_TARGET)})`,
  );

  // 2. btd with COUNT torrents, on ports the OS picks.
  const config = await mkdtemp(join(tmpdir(), 'bt-bench-webui-'));
  folders.push(config);
  const btd = start(process.execPath, [
    BTD,
    '-f',
    '-g',
    config,
    '-w',
    config,
    '-p',
    '0',
    '-P',
    '0',
  ]);
  const port = Number(
    await waitFor(() => /RPC on http:\/\/[^:]+:(\d+)\//.exec(btd.output())?.[1], 'btd to listen'),
  );
  const call = rpcClient(port);
  const addStart = performance.now();
  for (let index = 0; index < COUNT; index++)
    await call('torrent-add', manyTorrentArguments(index, encode, randomBytes));
  console.log(
    `btd: ${COUNT} torrents added in ${((performance.now() - addStart) / 1000).toFixed(1)} s`,
  );

  // 3. Chromium, headless, through its DevTools port.
  const profile = await mkdtemp(join(tmpdir(), 'bt-bench-chromium-'));
  folders.push(profile);
  const browserProcess = start(CHROMIUM, [
    '--headless=new',
    '--remote-debugging-port=0',
    `--user-data-dir=${profile}`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    'about:blank',
  ]);
  const endpoint = await waitFor(
    () => /DevTools listening on (ws:\/\/\S+)/.exec(browserProcess.output())?.[1],
    'chromium',
  );
  const browser = await chromium.connectOverCDP(endpoint);
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    runs.push(await measureList(page, `http://127.0.0.1:${port}/`, COUNT));
    await context.close();
  }
  await browser.close();
  const first = median(runs.map((run) => run.firstRenderMs));
  console.log(
    `web UI, ${COUNT} torrents, median of ${RUNS} page loads: first render ${first.toFixed(0)} ms ` +
      `(target < ${RENDER_TARGET_MS} ms: ${verdict(first, RENDER_TARGET_MS)}); ` +
      `page load to list ${median(runs.map((run) => run.loadToListMs)).toFixed(0)} ms; ` +
      `sort by name ${median(runs.map((run) => run.sortMs)).toFixed(0)} ms; ` +
      `filter ${median(runs.map((run) => run.filterMs)).toFixed(0)} ms; ` +
      `${runs[0].rowsDrawn} rows drawn`,
  );
  console.log(`load average: ${load()}`);
} finally {
  await cleanUp();
}
