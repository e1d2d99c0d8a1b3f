/** Locating the real peers (aria2c, transmission-*, opentracker, mktorrent...) on PATH. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function isCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/** The absolute path of `name` on PATH (or in /usr/sbin, /usr/bin), or undefined. */
export function findProgram(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/bin',
    '/usr/sbin',
    '/usr/local/bin',
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * For interop tests: returns the program's path when present. When it is missing, in CI this
 * throws (an interop test never skips quietly there); locally it prints a loud warning and
 * returns undefined so the caller can skip (`describe.skipIf(!path)`).
 */
export function requireProgram(name: string, debianPackage = name): string | undefined {
  const path = findProgram(name);
  if (path) return path;
  const message = `real-peer program '${name}' is missing (Debian package '${debianPackage}'; run 'bash scripts/install-peers')`;
  if (isCI())
    throw new Error(`${message}: CI=true, so this interop test fails instead of skipping`);
  process.stderr.write(`\n\x1b[33m!!! SKIPPING interop tests: ${message}\x1b[0m\n\n`);
  return undefined;
}

/**
 * A Python 3 that can import libtorrent (Debian `python3-libtorrent` is built for
 * `/usr/bin/python3`, which may not be the first python3 on PATH). Missing: fails under CI,
 * skips loudly elsewhere, as `requireProgram` does.
 */
export function requireLibtorrentPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', findProgram('python3')]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['-c', 'import libtorrent'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  const message =
    "libtorrent for Python is missing (Debian package 'python3-libtorrent'; run 'bash scripts/install-peers')";
  if (isCI())
    throw new Error(`${message}: CI=true, so this interop test fails instead of skipping`);
  process.stderr.write(`\n\x1b[33m!!! SKIPPING interop tests: ${message}\x1b[0m\n\n`);
  return undefined;
}
