import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from '@bt/bencode';
import { parseMagnet, parseTorrent } from '@bt/metainfo';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

let dir: string;
const torrent = encode({
  'announce-list': [['http://a.example/announce'], ['udp://b.example:80']],
  'url-list': 'http://seed.example/x',
  info: { name: 'the name', 'piece length': 16384, pieces: new Uint8Array(20), length: 5 },
});

beforeAll(async () => {
  dir = await makeTempDir('bt-cli-magnet-');
  await writeFile(join(dir, 'x.torrent'), torrent);
});
afterAll(removeTempDirs);

describe('bt magnet', () => {
  it('prints the magnet link of a torrent', async () => {
    const result = await runCli(['magnet', 'x.torrent'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    const magnet = parseMagnet(result.stdout.trim());
    expect(magnet.infoHashHex).toBe(parseTorrent(torrent).infoHashHex);
    expect(magnet.name).toBe('the name');
    expect(magnet.trackers).toEqual(['http://a.example/announce', 'udp://b.example:80']);
    expect(magnet.webSeeds).toEqual(['http://seed.example/x']);
    expect(magnet.length).toBe(5);
  });

  it('fails cleanly on a missing or invalid file', async () => {
    await writeFile(join(dir, 'bad.torrent'), 'nope');
    for (const name of ['missing.torrent', 'bad.torrent']) {
      const result = await runCli(['magnet', name], { cwd: dir });
      expect(result.code).toBe(3);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await runCli(['magnet'])).code).toBe(2);
    expect((await runCli(['magnet', 'a', 'b'])).code).toBe(2);
  });

  it('has --help', async () => {
    const result = await runCli(['magnet', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: bt magnet');
  });
});
