/**
 * Debian's Chromium for browser tests, started headless through `startProcess` (its own process
 * group, killed on every way out of the test) with a DevTools port that a driver connects to
 * (playwright-core's `chromium.connectOverCDP(endpoint)`); no browser is ever downloaded.
 */
import { makeTempDir } from './temp.js';
import { freePort } from './ports.js';
import { type RunningProcess, startProcess, waitForPort } from './processes.js';
import { requireProgram } from './programs.js';

export interface Chromium {
  /** `http://127.0.0.1:<port>`, for `connectOverCDP`. */
  endpoint: string;
  process: RunningProcess;
}

/** The `chromium` program: fails under CI when missing, skips loudly elsewhere (undefined). */
export function requireChromium(): string | undefined {
  return requireProgram('chromium');
}

export async function startChromium(program: string): Promise<Chromium> {
  const port = await freePort();
  const profile = await makeTempDir('bt-chromium-');
  const running = startProcess(
    program,
    [
      '--headless=new',
      `--remote-debugging-port=${port}`,
      '--remote-debugging-address=127.0.0.1',
      `--user-data-dir=${profile}`,
      // root in CI containers: Chromium's sandbox needs a user namespace it may not get
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--metrics-recording-only',
      '--password-store=basic',
      'about:blank',
    ],
    { label: 'chromium' },
  );
  await waitForPort(port, '127.0.0.1');
  return { endpoint: `http://127.0.0.1:${port}`, process: running };
}
