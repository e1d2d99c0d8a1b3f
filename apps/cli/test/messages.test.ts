/**
 * The words `bt` uses: one error style for every command, the parser's detail for a file that is
 * not a torrent, bad options in our words, `--json` errors as events, and text from the network
 * or a file printed with its control characters escaped.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from '@bt/bencode';
import type { TorrentStats } from '@bt/session';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration, printable } from '../src/ui/format.js';
import { describe as describeLine, sourceTable } from '../src/ui/torrent-display.js';
import { startRecordingTracker } from './recording-tracker.js';
import { runCli } from './run-cli.js';

let dir: string;
const ESC = '\x1b';
const hostile = `${ESC}[2J${ESC}[31mgotcha${ESC}]0;title\x07`;

function torrentBytes(fields: Record<string, unknown> = {}, name = 'payload.bin'): Uint8Array {
  return encode({
    announce: 'http://127.0.0.1:9/announce',
    ...fields,
    info: { name, length: 40_000, 'piece length': 16_384, pieces: new Uint8Array(60) },
  });
}

beforeAll(async () => {
  dir = await makeTempDir('bt-cli-messages-');
  await writeFile(join(dir, 'text.torrent'), 'hello, I am not a torrent\n');
  await writeFile(join(dir, 'list.torrent'), encode([1, 2]));
  await writeFile(
    join(dir, 'hostile.torrent'),
    torrentBytes({ comment: hostile, 'created by': `evil${ESC}c` }, `name\u202etxt.exe`),
  );
});
afterAll(removeTempDirs);

describe('one error style for every command', () => {
  const commands: string[][] = [
    ['info', 'missing.torrent'],
    ['magnet', 'missing.torrent'],
    ['verify', 'missing.torrent', '--data', '.'],
    ['download', 'missing.torrent', '--port', '0'],
    ['seed', 'missing.torrent', '--data', '.', '--port', '0'],
    ['announce', 'missing.torrent'],
    ['scrape', 'missing.torrent'],
    ['peer', '127.0.0.1:9', 'missing.torrent'],
  ];
  for (const argv of commands) {
    it(`bt ${argv[0]}: cannot read x.torrent: no such file`, async () => {
      const result = await runCli(argv, { cwd: dir });
      expect(result.code).toBe(3);
      expect(result.stderr).toBe(`bt ${argv[0]}: cannot read missing.torrent: no such file\n`);
    });
  }

  it('a file that is not bencode is "not a .torrent file", with the parser\'s detail', async () => {
    for (const command of ['info', 'download']) {
      const result = await runCli([command, 'text.torrent'], { cwd: dir });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(
        new RegExp(
          `^bt ${command}: text\\.torrent is not a \\.torrent file: not valid bencode: .+ \\(at byte 0\\)\\n$`,
        ),
      );
    }
    const list = await runCli(['info', 'list.torrent'], { cwd: dir });
    expect(list.stderr).toMatch(/^bt info: list\.torrent is not a \.torrent file: /);
  });

  it('a folder given as a torrent says so', async () => {
    const result = await runCli(['info', '.'], { cwd: dir });
    expect(result.stderr).toBe('bt info: cannot read .: it is a folder, not a .torrent file\n');
  });
});

describe('options in our words', () => {
  it('--port -1 is a bad port, not an "ambiguous argument"', async () => {
    const result = await runCli(['download', 'x.torrent', '--port', '-1'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "bt download: --port expects a whole number from 0 to 65535, got -1\nRun 'bt download --help' for usage.\n",
    );
  });

  it('an unknown option is named, with the nearest known one', async () => {
    const typo = await runCli(['download', 'x.torrent', '--sede'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "bt download: unknown option --sede (did you mean --seed?)\nRun 'bt download --help' for usage.\n",
    );
    const unknown = await runCli(['info', 'x.torrent', '--frobnicate'], { cwd: dir });
    expect(unknown.stderr).toMatch(/^bt info: unknown option --frobnicate\n/);
    const switchValue = await runCli(['download', 'x.torrent', '--seed=yes'], { cwd: dir });
    expect(switchValue.stderr).toMatch(/^bt download: --seed takes no value\n/);
    const noValue = await runCli(['download', 'x.torrent', '--port'], { cwd: dir });
    expect(noValue.stderr).toMatch(/^bt download: --port needs a value\n/);
  });

  it('bt --help lists --version', async () => {
    const result = await runCli(['--help']);
    expect(result.stdout).toMatch(/^ {2}--version +the version of bt$/m);
    expect((await runCli(['--version'])).stdout).toMatch(/^bt \d+\.\d+\.\d+\n$/);
  });
});

describe('--json', () => {
  it('an error is a JSON event on stdout too, with a code and a time', async () => {
    const result = await runCli(['download', 'missing.torrent', '--json'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('bt download: cannot read missing.torrent: no such file\n');
    const event = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(event).toMatchObject({
      type: 'error',
      command: 'download',
      code: 'unreadable-input',
      message: 'cannot read missing.torrent: no such file',
    });
    expect(Date.parse(event.time as string)).not.toBeNaN();
    const usage = await runCli(['seed', 'x.torrent', '--json', '--port', '-1'], { cwd: dir });
    expect(JSON.parse(usage.stdout)).toMatchObject({ type: 'error', code: 'usage' });
  });
});

describe('text from the network or a file is escaped', () => {
  it('printable() escapes C0, DEL, C1 and bidirectional overrides, and keeps the rest', () => {
    expect(printable(`a${ESC}[2Jb\x7f\x9b\u202ec é ✓`)).toBe('a\\x1b[2Jb\\x7f\\x9b\\u202ec é ✓');
  });

  it("bt info: a torrent's comment, creator and name", async () => {
    const result = await runCli(['info', 'hostile.torrent'], { cwd: dir });
    expect(result.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(result.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(result.stdout).toContain('\\x1b[2J\\x1b[31mgotcha\\x1b]0;title\\x07');
    expect(result.stdout).toContain('evil\\x1bc');
    expect(result.stdout).toContain('name\\u202etxt.exe');
  });

  it("bt announce: a tracker's failure reason", async () => {
    const tracker = await startRecordingTracker({
      failureReason: new TextEncoder().encode(`go away${hostile}`),
    });
    try {
      await writeFile(join(dir, 'tracked.torrent'), torrentBytes({ announce: tracker.url }));
      const result = await runCli(['announce', 'tracked.torrent'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).not.toContain(ESC);
      expect(result.stderr).toContain('go away\\x1b[2J\\x1b[31mgotcha');
    } finally {
      await tracker.close();
    }
  });

  it("the status line and the source table: a tracker's error and a torrent's name", () => {
    const stats = {
      name: `x${ESC}[2J`,
      state: 'downloading',
      progress: 0,
      totalBytes: 1000,
      verifiedBytes: 0,
      downloaded: 0,
      uploaded: 0,
      downloadRate: 0,
      uploadRate: 0,
      eta: Number.POSITIVE_INFINITY,
      peers: 0,
      seeds: 0,
      hashFailures: 0,
      sources: [{ source: 'http://t.example/announce', state: 'error', message: hostile }],
    } as unknown as TorrentStats;
    const text = [describeLine('download', stats), ...sourceTable(stats)].join('\n');
    expect(text).not.toContain(ESC);
    expect(text).toContain('x\\x1b[2J');
    expect(text).toContain('error: \\x1b[2J\\x1b[31mgotcha');
  });
});

describe('numbers', () => {
  it('times under a second are shown as such', () => {
    expect(formatDuration(0.25)).toBe('0.25s');
    expect(formatDuration(0.004)).toBe('0.01s');
    expect(formatDuration(3.44)).toBe('3.4s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(75)).toBe('1m15s');
  });
});
