/** Shared pieces of the loopback tests: payloads, torrents made by mktorrent, real seeders. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTorrent, type Metainfo } from '@bt/metainfo';
import {
  freePort,
  runMktorrent,
  startProcess,
  waitForPort,
  type RunningProcess,
} from '@bt/test-support';

/** A folder `dir/name` (multi-file) or a file `dir/name` with random content. */
export async function makePayload(
  dir: string,
  name: string,
  files: { path: string; size: number }[] | number,
): Promise<string> {
  if (typeof files === 'number') {
    await writeFile(join(dir, name), randomBytes(files));
    return join(dir, name);
  }
  for (const file of files) {
    const path = join(dir, name, file.path);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, randomBytes(file.size));
  }
  return join(dir, name);
}

/** A .torrent made by mktorrent (a program nobody here wrote), parsed. */
export async function makeTorrent(
  target: string,
  output: string,
  options: {
    announce?: string[];
    pieceLengthLog2?: number;
    webSeeds?: string[];
    private?: boolean;
  } = {},
): Promise<{ metainfo: Metainfo; file: string; bytes: Uint8Array }> {
  await runMktorrent({
    program: 'mktorrent',
    source: target,
    output,
    pieceLengthExponent: options.pieceLengthLog2 ?? 16,
    ...(options.announce ? { announce: options.announce } : {}),
    ...(options.webSeeds ? { webSeeds: options.webSeeds } : {}),
    private: options.private,
  });
  const bytes = new Uint8Array(await readFile(output));
  return { metainfo: parseTorrent(bytes), file: output, bytes };
}

export async function sha1File(path: string): Promise<string> {
  return createHash('sha1')
    .update(await readFile(path))
    .digest('hex');
}

/** aria2c seeding `torrent` from `dir` (which holds the content) on a free port. */
export async function startAria2Seeder(
  torrent: string,
  dir: string,
  options: { uploadLimit?: string } = {},
): Promise<{ process: RunningProcess; port: number }> {
  const port = await freePort();
  const process = startProcess('aria2c', [
    ...(options.uploadLimit ? [`--max-overall-upload-limit=${options.uploadLimit}`] : []),
    '--seed-ratio=0.0',
    '--check-integrity=true',
    '--bt-seed-unverified=false',
    `--dir=${dir}`,
    `--listen-port=${port}`,
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--bt-tracker-connect-timeout=20',
    '--bt-tracker-timeout=20',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--file-allocation=none',
    '--disable-ipv6=true',
    '--bt-max-peers=0',
    torrent,
  ]);
  await waitForPort(port, '127.0.0.1');
  return { process, port };
}

/** aria2c downloading `torrent` into `dir` from the given peer (and any trackers). */
export function startAria2Leecher(torrent: string, dir: string, peer?: string): RunningProcess {
  return startProcess('aria2c', [
    '--seed-time=0',
    `--dir=${dir}`,
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--file-allocation=none',
    '--disable-ipv6=true',
    '--bt-tracker-connect-timeout=20',
    '--bt-tracker-timeout=20',
    ...(peer ? [`--bt-external-ip=127.0.0.1`] : []),
    torrent,
  ]);
}

/** transmission-cli seeding (or downloading) `torrent` in `dir` on a free port. */
export async function startTransmission(
  torrent: string,
  dir: string,
  configDir: string,
): Promise<{ process: RunningProcess; port: number }> {
  const port = await freePort();
  await mkdir(configDir, { recursive: true });
  const process = startProcess('transmission-cli', [
    '-g',
    configDir,
    '-w',
    dir,
    '-p',
    String(port),
    '-ep',
    '-M',
    torrent,
  ]);
  return { process, port };
}

/** Our HTTP tracker from @bt/tracker-server on a free loopback port. */
export async function startOurTracker(): Promise<{ url: string; close(): Promise<void> }> {
  const { HttpTrackerServer } = await import('@bt/tracker-server/node');
  const server = new HttpTrackerServer({ interval: 2, minInterval: 1 });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${address.port}/announce`, close: () => server.close() };
}

/** Polls until every file of `files` (relative paths) is identical under `dir` and `source`. */
export async function sameFiles(source: string, dir: string, files: string[]): Promise<boolean> {
  for (const file of files) {
    try {
      if ((await sha1File(join(dir, file))) !== (await sha1File(join(source, file)))) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export const MULTI_FILE = [
  { path: 'a/one.bin', size: 700_001 },
  { path: 'a/b/two.bin', size: 1_300_000 },
  { path: 'three.bin', size: 65_536 },
  { path: 'four.bin', size: 1_111_111 },
];

export const MULTI_FILE_PATHS = MULTI_FILE.map((file) => `multi/${file.path}`);
