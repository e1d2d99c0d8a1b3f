import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from '@bt/bencode';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

let dir: string;

/** A multi-file torrent with two tiers, a web seed and a hostile path. */
function sampleTorrent(): Uint8Array {
  return encode({
    announce: 'http://a.example/announce',
    'announce-list': [
      ['http://a.example/announce', 'http://b.example/announce'],
      ['udp://c.example:80'],
    ],
    'url-list': ['http://seed.example/'],
    comment: 'sample',
    'creation date': 1_700_000_000,
    info: {
      name: 'sample',
      'piece length': 16384,
      pieces: new Uint8Array(40),
      private: 1,
      files: [
        { length: 20_000, path: ['dir', 'one.bin'] },
        { length: 1000, path: ['two.txt'] },
        { length: 1, path: ['..', 'evil'] },
      ],
    },
  });
}

beforeAll(async () => {
  dir = await makeTempDir('bt-cli-info-');
  await writeFile(join(dir, 'sample.torrent'), sampleTorrent());
  await writeFile(join(dir, 'broken.torrent'), 'd4:infoi1ee');
});
afterAll(removeTempDirs);

describe('bt info', () => {
  it('prints a readable summary with a file tree and tiers', async () => {
    const result = await runCli(['info', 'sample.torrent'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Name: +sample$/m);
    expect(result.stdout).toMatch(/^Info-hash: +[0-9a-f]{40}$/m);
    expect(result.stdout).toMatch(/^Private: +yes/m);
    expect(result.stdout).toContain('tier 1: http://a.example/announce');
    expect(result.stdout).toContain('tier 2: udp://c.example:80');
    expect(result.stdout).toContain('http://seed.example/');
    expect(result.stdout).toContain('├── dir/');
    expect(result.stdout).toContain('one.bin');
    expect(result.stdout).toContain('└── _/');
  });

  it('prints one JSON object with --json', async () => {
    const result = await runCli(['info', join(dir, 'sample.torrent'), '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      name: 'sample',
      length: 21_001,
      pieceLength: 16384,
      pieceCount: 2,
      private: true,
      announce: [
        ['http://a.example/announce', 'http://b.example/announce'],
        ['udp://c.example:80'],
      ],
      urlList: ['http://seed.example/'],
      comment: 'sample',
      creationDate: 1_700_000_000,
    });
    expect(json.infoHash).toMatch(/^[0-9a-f]{40}$/);
    expect(
      (json.files as { path: string; length: number }[]).map(({ path, length }) => ({
        path,
        length,
      })),
    ).toEqual([
      { path: 'dir/one.bin', length: 20_000 },
      { path: 'two.txt', length: 1000 },
      { path: '_/evil', length: 1 },
    ]);
  });

  it('shows magnet links, and says so for v2-only ones', async () => {
    const hash = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
    const result = await runCli([
      'info',
      `magnet:?xt=urn:btih:${hash}&dn=A+name&tr=udp://t.example:1`,
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      type: 'magnet',
      infoHash: hash,
      name: 'A name',
      announce: [['udp://t.example:1']],
      supported: true,
    });
    const v2 = await runCli(['info', `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`]);
    expect(v2.code).toBe(0);
    expect(v2.stdout).toMatch(/Version:\s+v2-only \(BEP 52\)/);
    const hybrid = await runCli([
      'info',
      `magnet:?xt=urn:btih:${hash}&xt=urn:btmh:1220${'ab'.repeat(32)}`,
      '--json',
    ]);
    expect(JSON.parse(hybrid.stdout)).toMatchObject({ infoHash: hash, supported: true });
  });

  it('fails with one line and a non-zero code on bad input', async () => {
    for (const argv of [
      ['info', 'broken.torrent'],
      ['info', 'missing.torrent'],
      ['info', 'magnet:?xt=urn:btih:nothex'],
    ]) {
      const result = await runCli(argv, { cwd: dir });
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^bt info: /);
    }
    const broken = await runCli(['info', 'broken.torrent'], { cwd: dir });
    expect(broken.stderr).toContain('info: expected a dictionary');
    const missing = await runCli(['info', 'missing.torrent'], { cwd: dir });
    expect(missing.stderr).toMatch(/cannot read .*missing\.torrent: no such file/);
    expect((await runCli(['info'])).code).toBe(2);
  });

  it('has --help', async () => {
    const result = await runCli(['info', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: bt info');
    expect(result.stdout).toContain('--json');
  });
});
