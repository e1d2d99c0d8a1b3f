import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from '@bt/bencode';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { main } from '../src/main.js';
import { runCli } from './run-cli.js';

const PIECE = 16384;
let dir: string;
let content: Uint8Array;

/** A two-file torrent over `content`: a.bin (40000 bytes) and sub/b.bin (the rest). */
function torrent(data: Uint8Array): Uint8Array {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += PIECE) {
    pieces.push(
      createHash('sha1')
        .update(data.subarray(offset, offset + PIECE))
        .digest(),
    );
  }
  return encode({
    announce: 'http://tracker.invalid/announce',
    info: {
      name: 'set',
      'piece length': PIECE,
      pieces: Buffer.concat(pieces),
      files: [
        { length: 40_000, path: ['a.bin'] },
        { length: data.length - 40_000, path: ['sub', 'b.bin'] },
      ],
    },
  });
}

async function writeContent(folder: string): Promise<void> {
  await mkdir(join(folder, 'set', 'sub'), { recursive: true });
  await writeFile(join(folder, 'set', 'a.bin'), content.subarray(0, 40_000));
  await writeFile(join(folder, 'set', 'sub', 'b.bin'), content.subarray(40_000));
}

beforeAll(async () => {
  dir = await makeTempDir('bt-cli-verify-');
  content = new Uint8Array(randomBytes(100_000));
  await writeFile(join(dir, 'set.torrent'), torrent(content));
  await writeFile(join(dir, 'broken.torrent'), 'd4:infoi1ee');
});
afterAll(removeTempDirs);

describe('bt verify', () => {
  it('exits 0 and says so when every piece verifies', async () => {
    const data = join(dir, 'full');
    await writeContent(data);
    const result = await runCli(['verify', 'set.torrent', '--data', 'full'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Pieces: +7\/7 complete \(100\.0%\)$/m);
    expect(result.stdout).toContain('complete sub/b.bin');
    expect(result.stdout).toContain('All pieces verify.');
    // Progress goes to stderr (plain lines off a TTY).
    expect(result.stderr).toMatch(/verifying 100\.0%/);
  });

  it('reports exactly the missing pieces and per-file bytes with --json, exit 1', async () => {
    const data = join(dir, 'damaged');
    await writeContent(data);
    // Corrupt piece 1 (bytes 16384..32767, inside a.bin), cut b.bin at 70000 overall.
    const a = content.slice(0, 40_000);
    a[20_000] = (a[20_000] as number) ^ 1;
    await writeFile(join(data, 'set', 'a.bin'), a);
    await writeFile(join(data, 'set', 'sub', 'b.bin'), content.subarray(40_000, 70_000));
    const result = await runCli(['verify', join(dir, 'set.torrent'), '--data', data, '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(report.pieceCount).toBe(7);
    expect(report.completePieces).toBe(3);
    // Piece 4 ends at 81920 > 70000: missing with 5 and 6.
    expect(report.missingPieces).toEqual([1, 4, 5, 6]);
    expect(report.complete).toBe(false);
    expect(report.files).toEqual([
      {
        index: 1,
        path: 'a.bin',
        length: 40_000,
        bytesComplete: 16384 + (40_000 - 32768),
        exists: true,
      },
      { index: 2, path: 'sub/b.bin', length: 60_000, bytesComplete: 65536 - 40_000, exists: true },
    ]);
  });

  it('treats absent content as missing pieces (exit 1) and prints ranges', async () => {
    const data = join(dir, 'empty');
    await mkdir(data);
    const result = await runCli(['verify', 'set.torrent', '--data', data], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Missing:  0-6');
    expect(result.stdout).toContain('missing  a.bin');
  });

  it('exits 3 with a one-line error when the check cannot run', async () => {
    const noFolder = await runCli(['verify', 'set.torrent', '--data', 'does-not-exist'], {
      cwd: dir,
    });
    expect(noFolder.code).toBe(3);
    expect(noFolder.stderr.trim().split('\n')).toHaveLength(1);
    const broken = await runCli(['verify', 'broken.torrent', '--data', '.'], { cwd: dir });
    expect(broken.code).toBe(3);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    await rm(join(dir, 'nothing'), { force: true });
    const noTorrent = await runCli(['verify', 'nothing', '--data', '.'], { cwd: dir });
    expect(noTorrent.code).toBe(3);
  });

  it('draws a progress bar on a TTY', async () => {
    const data = join(dir, 'tty');
    await writeContent(data);
    let errors = '';
    const stderr = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          errors += chunk.toString('utf8');
          callback();
        },
      }),
      { isTTY: true, columns: 100 },
    );
    const stdout = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const code = await main({
      argv: ['verify', 'set.torrent', '--data', data],
      stdout,
      stderr,
      cwd: dir,
    });
    expect(code).toBe(0);
    // A redrawn line (carriage return, erase line) with a bar, not plain log lines.
    expect(errors).toContain('\r\u001b[2K[');
    expect(errors).toMatch(/\[#+\] verifying 100\.0%/);
  });

  it('needs --data (usage error, exit 2)', async () => {
    const result = await runCli(['verify', 'set.torrent'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--data');
  });

  it('has help that teaches', async () => {
    const result = await runCli(['verify', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--data <folder>');
    expect(result.stdout).toContain('Examples:');
  });
});
