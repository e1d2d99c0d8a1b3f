/**
 * `bt download <magnet>` end to end with aria2c seeding on loopback, found only through the
 * link's `x.pe`: the metadata then the file, verified byte for byte; `--metadata-only` writing a
 * .torrent whose info dictionary is the original byte for byte; and the help that explains it.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatMagnet, parseTorrent } from '@bt/metainfo';
import { makeTempDir, removeTempDirs, requireProgram, stopAllProcesses } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { ariaSeeder, fixture } from './aria-fixtures.js';
import { runCli } from './run-cli.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(!aria2 || !mktorrent)('bt download <magnet>', () => {
  it('fetches the metadata, then the file, from an aria2c seeder named by x.pe', async () => {
    const { seedDir, payload, torrent } = await fixture(1024 * 1024 + 77);
    const seeder = await ariaSeeder(torrent, seedDir);
    const source = parseTorrent(await readFile(torrent));
    const magnet = formatMagnet({
      infoHash: source.infoHash,
      name: 'payload.bin',
      peers: [{ host: '127.0.0.1', port: seeder.port }],
    });
    const out = await makeTempDir();
    const result = await runCli([
      'download',
      magnet,
      '-o',
      out,
      '--port',
      '0',
      '--no-dht',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(Buffer.compare(await readFile(join(out, 'payload.bin')), await readFile(payload))).toBe(
      0,
    );
    const types = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toContain('metadata-received');
    expect(types).toContain('torrent-completed');
    await seeder.child.stop();
  });

  it('--metadata-only writes DIR/<name>.torrent with the original info dictionary, and no payload', async () => {
    const { seedDir, torrent } = await fixture(300_000);
    const seeder = await ariaSeeder(torrent, seedDir);
    const source = parseTorrent(await readFile(torrent));
    const magnet = formatMagnet({
      infoHash: source.infoHash,
      peers: [{ host: '127.0.0.1', port: seeder.port }],
    });
    const out = await makeTempDir();
    const result = await runCli([
      'download',
      magnet,
      '--metadata-only',
      '-o',
      out,
      '--port',
      '0',
      '--no-dht',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await readdir(out)).toEqual(['payload.bin.torrent']);
    const written = parseTorrent(await readFile(join(out, 'payload.bin.torrent')));
    expect(Buffer.compare(written.infoBytes, source.infoBytes)).toBe(0);
    expect(createHash('sha1').update(written.infoBytes).digest().equals(source.infoHash)).toBe(
      true,
    );
    await seeder.child.stop();
  });
});

describe('bt download --help', () => {
  it('explains magnets and the discovery options with an example', async () => {
    const result = await runCli(['download', '--help']);
    expect(result.code).toBe(0);
    for (const text of [
      'magnet:?xt=urn:btih:',
      '--metadata-only',
      '--dht-bootstrap',
      '--no-dht',
      'x.pe',
    ])
      expect(result.stdout).toContain(text);
  });

  it('refuses --metadata-only for a .torrent file and contradicting DHT options', async () => {
    const dir = await makeTempDir();
    expect((await runCli(['download', 'x.torrent', '--metadata-only'], { cwd: dir })).code).toBe(2);
    expect(
      (
        await runCli(
          [
            'download',
            'magnet:?xt=urn:btih:' + '0'.repeat(40),
            '--no-dht',
            '--dht-bootstrap',
            '1.2.3.4:5',
          ],
          {
            cwd: dir,
          },
        )
      ).code,
    ).toBe(2);
  });
});
