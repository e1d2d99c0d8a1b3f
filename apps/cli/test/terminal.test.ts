/**
 * The display on a terminal, through a real pseudo-terminal (`script` from util-linux): at 80
 * columns every line fits and the ETA and peers are still there; at 200 columns a tracker's
 * error is shown in full; a terminal that reports no width gets 80 columns, not empty lines;
 * `bt demo` shows the progress bar and the source table before its summary.
 */
import {
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
} from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ariaSeeder, fixture } from './aria-fixtures.js';
import { btScript, screenLines, startInTerminal } from './bt-process.js';

const script = requireProgram('script', 'util-linux');
const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

let bt = '';
beforeAll(async () => {
  bt = `'${process.execPath}' '${await btScript()}'`;
});

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(!script || !aria2 || !mktorrent)('bt download on a terminal', () => {
  let torrent = '';
  let tracker = '';
  let peer = '';
  beforeAll(async () => {
    // the tracker refuses connections: its row carries a long error
    tracker = `http://127.0.0.1:${await freePort()}/announce`;
    const made = await fixture(8 * 1024 * 1024, tracker);
    torrent = made.torrent;
    const seeder = await ariaSeeder(made.torrent, made.seedDir, '128K');
    peer = `127.0.0.1:${seeder.port}`;
  });

  /** Runs the download in a terminal of `columns` (none: no width) until the table shows the error. */
  async function screen(columns: number | undefined): Promise<string[]> {
    const out = await makeTempDir();
    const size = columns === undefined ? '' : `stty cols ${columns} rows 30; `;
    const terminal = await startInTerminal(
      `${size}exec ${bt} download '${torrent}' -o '${out}' --port 0 --no-lpd --peer ${peer}`,
    );
    await terminal.waitForOutput(/ETA \S+ peers 1/);
    await terminal.waitForOutput(/error: cannot reach/);
    await terminal.process.stop('SIGINT');
    return screenLines(terminal.stdout());
  }

  it('at 80 columns every line fits, and the ETA and peers are on the bar', async () => {
    const lines = await screen(80);
    for (const line of lines) expect(line.length, line).toBeLessThan(80);
    expect(
      lines.some((line) => /^\[[#-]+\] payload\.bin: downloading .*ETA \S+ peers 1/.test(line)),
    ).toBe(true);
  });

  it('at 200 columns the tracker error is not cut', async () => {
    const lines = await screen(200);
    for (const line of lines) expect(line.length, line).toBeLessThan(200);
    const row = lines.filter((line) => line.includes(tracker)).at(-1);
    expect(row).toMatch(/error: cannot reach the tracker: .*ECONNREFUSED 127\.0\.0\.1:\d+ /);
    expect(row!.slice(row!.indexOf('error:')).length).toBeGreaterThan(40);
  });

  it('a terminal that reports no width gets 80 columns', async () => {
    const lines = await screen(undefined);
    for (const line of lines) expect(line.length, line).toBeLessThan(80);
    expect(lines.some((line) => /^\[[#-]+\] payload\.bin: .*peers 1/.test(line))).toBe(true);
  });
});

describe.skipIf(!script)('bt demo on a terminal', () => {
  it('shows the progress bar and the source table, then the summary', async () => {
    const terminal = await startInTerminal(
      `stty cols 120 rows 30; exec ${bt} demo --size 4 --rate 1M`,
      { env: { TMPDIR: await makeTempDir() } },
    );
    expect(await terminal.exited).toBe(0);
    const lines = screenLines(terminal.stdout());
    const summary = lines.findIndex((line) => /^ {3}downloaded 4\.00 MiB in /.test(line));
    expect(summary, lines.join('\n')).toBeGreaterThan(0);
    const before = lines.slice(0, summary);
    expect(before.some((line) => /^\[[#-]+\] demo bt-demo: /.test(line))).toBe(true);
    expect(
      before.some((line) => /^ {2}source +status +next update +seeds +peers$/.test(line)),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/^5\. verified: all 4 files are identical/);
  });
});
