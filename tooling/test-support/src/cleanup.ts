/**
 * What a test leaves outside itself (the process groups of the programs it started, the file
 * systems it mounted, the network namespaces it made, its `/tmp/bt-*` folders) is registered here and removed on every way out
 * of the test process: a normal exit; SIGINT, SIGTERM or SIGHUP (Ctrl-C, a cancelled CI job,
 * turbo stopping a task); the end of the runner this worker reports to; and a death that runs
 * no code at all (SIGKILL, a crash of the runtime). For that last one a small watcher process
 * is started beside the first registration: it holds a pipe from this process, is told each
 * group, mount and folder as they come and go, and removes what is left once the pipe closes,
 * whoever closed it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const groups = new Set<number>();
const mounts = new Set<string>();
const folders = new Set<string>();
const namespaces = new Set<string>();
let watcher: ChildProcess | undefined;
let installed = false;

// The watcher: reads `+g <pgid>`, `-g <pgid>`, `+m <path>`, `-m <path>`, `+d <path>`, `-d <path>`,
// `+n <name>`, `-n <name>` lines; on end of input it kills every group still listed, unmounts
// every mount, deletes every network namespace, removes every folder, then exits.
const WATCHER = `
const { spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const groups = new Set();
const mounts = new Set();
const folders = new Set();
const namespaces = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    const value = line.slice(3);
    if (line.startsWith('+g ')) groups.add(Number(value));
    else if (line.startsWith('-g ')) groups.delete(Number(value));
    else if (line.startsWith('+m ')) mounts.add(value);
    else if (line.startsWith('-m ')) mounts.delete(value);
    else if (line.startsWith('+d ')) folders.add(value);
    else if (line.startsWith('-d ')) folders.delete(value);
    else if (line.startsWith('+n ')) namespaces.add(value);
    else if (line.startsWith('-n ')) namespaces.delete(value);
  }
});
const sweep = () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
  for (const mount of mounts) spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
  for (const name of namespaces) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  for (const folder of folders) { try { rmSync(folder, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on('end', sweep);
process.stdin.on('error', sweep);
`;

function tell(line: string): void {
  if (!watcher) {
    watcher = spawn(process.execPath, ['-e', WATCHER], {
      // its own session: a Ctrl-C or a signal to our process group does not reach it
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watcher.on('error', () => {
      watcher = undefined;
    });
    // neither the watcher nor its pipe keeps this process alive
    watcher.unref();
    (watcher.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    watcher.stdin?.on('error', () => {
      // the watcher is gone; the exit and signal handlers still clean up
    });
  }
  watcher.stdin?.write(`${line}\n`);
}

/** Kills every registered group, unmounts, removes every registered folder, synchronously. */
export function cleanUpNow(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
  for (const mount of mounts) spawnSync('umount', ['-l', mount], { stdio: 'ignore' });
  mounts.clear();
  for (const name of namespaces) spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  namespaces.clear();
  for (const folder of folders) {
    try {
      rmSync(folder, { recursive: true, force: true });
    } catch {
      // best effort: the watcher tries again
    }
  }
  folders.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow();
  process.removeListener(signal, onSignal);
  // Nobody else handles it: die of it, as the process would have without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // A test worker talks to its runner over IPC. A runner that dies (SIGTERM to vitest alone
  // ends it at once) leaves the worker running its test for nobody, holding what it started:
  // clean up and end it too.
  if (typeof process.send === 'function') {
    process.once('disconnect', () => {
      cleanUpNow();
      process.exit(process.exitCode ?? 1);
    });
  }
}

/** A process group (its leader's pid) to kill if this process ends before it is released. */
export function trackGroup(pgid: number): void {
  install();
  groups.add(pgid);
  tell(`+g ${pgid}`);
}

export function releaseGroup(pgid: number): void {
  if (!groups.delete(pgid)) return;
  tell(`-g ${pgid}`);
}

/** A file system mounted by a test, to unmount (lazily) if this process ends before it is released. */
export function trackMount(path: string): void {
  install();
  mounts.add(path);
  tell(`+m ${path}`);
}

export function releaseMount(path: string): void {
  if (!mounts.delete(path)) return;
  tell(`-m ${path}`);
}

/** A network namespace (`ip netns`) to delete if this process ends before it is released. */
export function trackNamespace(name: string): void {
  install();
  namespaces.add(name);
  tell(`+n ${name}`);
}

export function releaseNamespace(name: string): void {
  if (!namespaces.delete(name)) return;
  tell(`-n ${name}`);
}

/** A folder to remove if this process ends before it is released. */
export function trackFolder(path: string): void {
  install();
  folders.add(path);
  tell(`+d ${path}`);
}

export function releaseFolder(path: string): void {
  if (!folders.delete(path)) return;
  tell(`-d ${path}`);
}

/** Whether any process of the group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
