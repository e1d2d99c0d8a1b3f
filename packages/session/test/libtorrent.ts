/** libtorrent for the discovery tests: the Python it runs on, and `libtorrent-peer.py`. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findProgram, isCI } from '@bt/test-support';

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
