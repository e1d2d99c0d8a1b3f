/**
 * Test helpers for the CLI's real-peer tests: a random payload with a .torrent made by mktorrent,
 * and aria2c seeding it on loopback (optionally rate-limited, so a test can act mid-download).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, runMktorrent, startProcess, waitForPort } from '@bt/test-support';

export const ariaCommon = [
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--disable-ipv6=true',
  '--console-log-level=warn',
  '--summary-interval=0',
  '--file-allocation=none',
];

/** `payload.bin` of `size` random bytes and `payload.torrent` (64 KiB pieces unless told) in a new folder. */
export async function fixture(
  size: number,
  announce = 'http://127.0.0.1:9/announce',
  pieceLengthExponent = 16,
) {
  const seedDir = await makeTempDir();
  const payload = join(seedDir, 'payload.bin');
  await writeFile(payload, randomBytes(size));
  const torrent = join(seedDir, 'payload.torrent');
  await runMktorrent({
    program: 'mktorrent',
    source: payload,
    output: torrent,
    announce,
    pieceLengthExponent,
  });
  return { seedDir, payload, torrent };
}

/** A folder `multi` of files with random bytes (sizes in order) and `multi.torrent` (64 KiB pieces). */
export async function multiFileFixture(files: { path: string; size: number }[]) {
  const seedDir = await makeTempDir();
  for (const file of files) {
    const path = join(seedDir, 'multi', file.path);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, randomBytes(file.size));
  }
  const torrent = join(seedDir, 'multi.torrent');
  await runMktorrent({
    program: 'mktorrent',
    source: join(seedDir, 'multi'),
    output: torrent,
    announce: 'http://127.0.0.1:9/announce',
    pieceLengthExponent: 16,
  });
  return { seedDir, torrent };
}

/**
 * aria2c seeding `torrent` from `dir`; `limit` caps its upload rate (e.g. `512K`), overall or,
 * with `perTorrent`, the torrent's own (`--max-upload-limit`).
 */
export async function ariaSeeder(
  torrent: string,
  dir: string,
  limit?: string,
  options: { perTorrent?: boolean } = {},
) {
  const port = await freePort();
  const child = startProcess('aria2c', [
    ...ariaCommon,
    '--seed-ratio=0.0',
    '--check-integrity=true',
    `--dir=${dir}`,
    `--listen-port=${port}`,
    ...(limit ? [`--max-${options.perTorrent ? '' : 'overall-'}upload-limit=${limit}`] : []),
    torrent,
  ]);
  await waitForPort(port, '127.0.0.1');
  return { child, port };
}
