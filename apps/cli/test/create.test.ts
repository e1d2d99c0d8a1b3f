import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseTorrent } from '@bt/metainfo';
import {
  makeTempDir,
  removeTempDirs,
  requireLibtorrentPython,
  requireProgram,
} from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { runCli } from './run-cli.js';

const transmissionShow = requireProgram('transmission-show', 'transmission-cli');
const libtorrentPython = requireLibtorrentPython();
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('bt-cli-create-');
  await mkdir(join(dir, 'content', 'sub'), { recursive: true });
  await writeFile(join(dir, 'content', 'a.bin'), new Uint8Array(100_000).fill(7));
  await writeFile(join(dir, 'content', 'sub', 'b.txt'), 'hello');
});
afterAll(removeTempDirs);

describe('bt create', () => {
  it('creates a torrent with every option, and prints a summary', async () => {
    const result = await runCli(
      [
        'create',
        'content',
        '-o',
        'out.torrent',
        '--tracker',
        'http://a.example/announce,http://b.example/announce',
        '--tracker',
        'udp://c.example:80',
        '--web-seed',
        'http://seed.example/',
        '--piece-length',
        '32K',
        '--private',
        '--comment',
        'made in a test',
        '--no-date',
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    // Not a terminal: at most plain progress lines on stderr, never a redrawn bar.
    expect(
      result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('hashing ')),
    ).toEqual([]);
    expect(result.stderr).not.toContain('\r');
    expect(result.stdout).toContain('out.torrent');
    const metainfo = parseTorrent(await readFile(join(dir, 'out.torrent')));
    expect(result.stdout).toContain(metainfo.infoHashHex);
    expect(metainfo).toMatchObject({
      name: 'content',
      pieceLength: 32768,
      private: true,
      comment: 'made in a test',
      announce: [
        ['http://a.example/announce', 'http://b.example/announce'],
        ['udp://c.example:80'],
      ],
      urlList: ['http://seed.example/'],
    });
    expect(metainfo.creationDate).toBeUndefined();
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual(['a.bin', 'sub/b.txt']);
  });

  it.skipIf(!transmissionShow)(
    'writes torrents transmission-show reads with the same info-hash',
    async () => {
      const result = await runCli(['create', 'content', '-o', 'json.torrent', '--json'], {
        cwd: dir,
      });
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ name: 'content', length: 100_005, private: false, files: 2 });
      const shown = execFileSync(transmissionShow!, [join(dir, 'json.torrent')], {
        encoding: 'utf8',
      });
      expect(shown).toContain(`Hash: ${String(json.infoHash)}`);
    },
  );

  it('creates v2 and hybrid torrents (BEP 52), which libtorrent reads with the same hashes', async () => {
    const v2 = await runCli(['create', 'content', '--v2', '-o', 'v2.torrent', '--json'], {
      cwd: dir,
    });
    expect(v2.code).toBe(0);
    const v2Result = JSON.parse(v2.stdout) as { version: string; infoHashV2: string };
    expect(v2Result.version).toBe('v2');
    const v2Metainfo = parseTorrent(await readFile(join(dir, 'v2.torrent')));
    expect(v2Metainfo.v2!.infoHashHex).toBe(v2Result.infoHashV2);
    const info = await runCli(['info', 'v2.torrent'], { cwd: dir });
    expect(info.stdout).toContain('v2 (BEP 52');
    expect(info.stdout).toContain(v2Result.infoHashV2);

    const hybrid = await runCli(['create', 'content', '--hybrid', '-o', 'hybrid.torrent'], {
      cwd: dir,
    });
    expect(hybrid.code).toBe(0);
    const metainfo = parseTorrent(await readFile(join(dir, 'hybrid.torrent')));
    expect(metainfo.version).toBe('hybrid');
    expect(hybrid.stdout).toContain(metainfo.v2!.infoHashHex);
    if (libtorrentPython) {
      // libtorrent reads it with the same two info-hashes (Transmission 3.00 and aria2 1.36
      // cannot read hybrid torrents at all).
      const hashes = execFileSync(
        libtorrentPython,
        [
          '-c',
          'import sys, libtorrent as lt; h = lt.torrent_info(sys.argv[1]).info_hashes(); print(h.v1, h.v2)',
          join(dir, 'hybrid.torrent'),
        ],
        { encoding: 'utf8' },
      );
      expect(hashes.trim()).toBe(`${metainfo.infoHashHex} ${metainfo.v2!.infoHashHex}`);
    }
    const both = await runCli(['create', 'content', '--v2', '--hybrid', '-o', 'x.torrent'], {
      cwd: dir,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--hybrid');
  });

  it('refuses to overwrite without --force, and bad options', async () => {
    await writeFile(join(dir, 'exists.torrent'), 'x');
    const refused = await runCli(['create', 'content', '-o', 'exists.torrent'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(
      (
        await runCli(['create', 'content', '-o', 'exists.torrent', '--force', '--json'], {
          cwd: dir,
        })
      ).code,
    ).toBe(0);
    const badLength = await runCli(['create', 'content', '--piece-length', '1000'], { cwd: dir });
    expect(badLength.code).toBe(2);
    const missing = await runCli(['create', 'nothing-here', '-o', 'n.torrent'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const badTracker = await runCli(['create', 'content', '-o', 't.torrent', '-t', 'nope'], {
      cwd: dir,
    });
    expect(badTracker.code).toBe(3);
  });

  it('draws a progress bar on a terminal', async () => {
    let text = '';
    const terminal = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          text += chunk.toString();
          callback();
        },
      }),
      { isTTY: true, columns: 100 },
    );
    const code = await main({
      argv: ['create', 'content', '-o', 'tty.torrent'],
      stdout: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
      stderr: terminal,
      cwd: dir,
    });
    expect(code).toBe(0);
    expect(text).toContain('\r');
    expect(text).toMatch(/\[#+-*\] hashing/);
  });

  it('stops with code 130 when interrupted', async () => {
    const result = await runCli(['create', 'content', '-o', 'stopped.torrent'], {
      cwd: dir,
      signal: AbortSignal.abort(),
    });
    expect(result.code).toBe(130);
    await expect(readFile(join(dir, 'stopped.torrent'))).rejects.toThrow();
  });

  it('has --help with examples', async () => {
    const result = await runCli(['create', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--piece-length');
    expect(result.stdout).toContain('Examples:');
  });
});
