/**
 * libtorrent for the discovery tests: the Python it runs on, `libtorrent-peer.py`, and the
 * seeder (with a loopback DHT) of `libtorrent-magnet.py`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findProgram, isCI, startProcess, waitFor, type RunningProcess } from '@bt/test-support';

/** libtorrent seeders and leechers of magnet links, with a loopback DHT (see its top comment). */
export const magnetScript = fileURLToPath(new URL('./libtorrent-magnet.py', import.meta.url));

/** The script of one libtorrent session (see its top comment). */
export const libtorrentPeerScript = fileURLToPath(new URL('./libtorrent-peer.py', import.meta.url));

/** A Python 3 that can import libtorrent (the Debian one, even when another python3 is first on PATH). */
export function requireLibtorrentPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', findProgram('python3')]) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['-c', 'import libtorrent'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  const message =
    "libtorrent for Python is missing (Debian package 'python3-libtorrent'; run 'bash scripts/install-peers')";
  if (isCI())
    throw new Error(`${message}: CI=true, so this interop test fails instead of skipping`);
  process.stderr.write(`\n\x1b[33m!!! SKIPPING interop tests: ${message}\x1b[0m\n\n`);
  return undefined;
}

/** One JSON line of a helper's output, parsed once it is there. */
export async function jsonLine<T>(child: RunningProcess, key: string): Promise<T> {
  const line = await waitFor(
    () =>
      child
        .output()
        .split('\n')
        .find((text) => text.startsWith(`{"${key}"`)),
    { what: `${key} from libtorrent (output: ${child.output().slice(-400)})` },
  );
  return JSON.parse(line) as T;
}

export interface MagnetSeeder {
  /** The DHT-only libtorrent sessions, linked to each other (and to the seeder with `dht`). */
  nodes: { host: string; port: number }[];
  seeder: { host: string; port: number };
  process: RunningProcess;
}

/**
 * `libtorrent-magnet.py seed`: a libtorrent seeder of `torrent` on 127.`block`.(nodes+1).1 and
 * `nodes` DHT nodes; resolves once it seeds (and, with `dht`, has announced). Stopped by
 * `stopAllProcesses`.
 */
export async function startMagnetSeeder(
  python: string,
  options: { torrent: string; dir: string; block: number; nodes: number; dht: boolean },
): Promise<MagnetSeeder> {
  const child = startProcess(
    python,
    [
      magnetScript,
      'seed',
      options.torrent,
      options.dir,
      String(options.block),
      String(options.nodes),
      options.dht ? '1' : '0',
    ],
    { label: 'libtorrent seeder' },
  );
  const ready = await jsonLine<Omit<MagnetSeeder, 'process'>>(child, 'nodes');
  return { ...ready, process: child };
}
