/**
 * A payload and its .torrent (mktorrent), announced to a real tracker (opentracker), seeded
 * by aria2c on loopback.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseTorrent } from '@bt/metainfo';
import {
  freePort,
  makeTempDir,
  runMktorrent,
  startOpentracker,
  startProcess,
  waitForPort,
} from '@bt/test-support';

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

export interface Swarm {
  seedDir: string;
  payload: string;
  torrent: string;
  infoHash: string;
  bytes: Uint8Array;
}

/** `name` of `size` random bytes, its .torrent (32 KiB pieces) announced to a new opentracker. */
export async function makeSwarm(name: string, size: number): Promise<Swarm> {
  const seedDir = await makeTempDir('bt-btd-seed-');
  const payload = join(seedDir, name);
  const bytes = randomBytes(size);
  await writeFile(payload, bytes);
  return announceSwarm(seedDir, payload, bytes);
}

/** A folder `name` of files of `sizes` bytes (`file-0.bin` ...), as `makeSwarm` makes one file. */
export async function makeFolderSwarm(
  name: string,
  sizes: readonly number[],
): Promise<Swarm & { files: Uint8Array[] }> {
  const seedDir = await makeTempDir('bt-btd-seed-');
  const payload = join(seedDir, name);
  await mkdir(payload);
  const files = sizes.map((size) => randomBytes(size));
  for (const [index, bytes] of files.entries())
    await writeFile(join(payload, `file-${index}.bin`), bytes);
  return { ...(await announceSwarm(seedDir, payload, new Uint8Array(0))), files };
}

async function announceSwarm(seedDir: string, payload: string, bytes: Uint8Array): Promise<Swarm> {
  const name = basename(payload);
  const port = await freePort();
  const torrent = join(seedDir, `${name}.torrent`);
  await runMktorrent({
    program: 'mktorrent',
    source: payload,
    output: torrent,
    announce: `http://127.0.0.1:${port}/announce`,
    pieceLengthExponent: 15,
  });
  const infoHash = parseTorrent(await readFile(torrent)).infoHashHex;
  await startOpentracker({ program: 'opentracker', infoHashes: [infoHash], port });
  return { seedDir, payload, torrent, infoHash, bytes };
}

/** aria2c seeding the swarm's torrent from its folder (`uploadLimit`: its rate cap, e.g. `1M`). */
export async function ariaSeeder(swarm: Swarm, uploadLimit?: string): Promise<void> {
  const port = await freePort();
  startProcess(
    'aria2c',
    [
      ...ariaCommon,
      '--seed-ratio=0.0',
      '--check-integrity=true',
      `--dir=${swarm.seedDir}`,
      `--listen-port=${port}`,
      ...(uploadLimit ? [`--max-upload-limit=${uploadLimit}`] : []),
      swarm.torrent,
    ],
    { label: 'aria2c seeder' },
  );
  await waitForPort(port, '127.0.0.1');
}
