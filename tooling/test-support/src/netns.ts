/**
 * Network namespaces for tests that need multicast (BEP 14 local discovery), which the host's
 * loopback does not carry: a namespace of its own whose loopback routes 239.0.0.0/8, or two
 * namespaces joined by a veth pair. Made with `ip netns` (root only), deleted by `remove` and on
 * every way out of the test process (see `cleanup.ts`); the host's interfaces are never touched
 * (the veth pair is created inside the namespaces).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { releaseNamespace, trackNamespace } from './cleanup.js';
import { type RunningProcess, type StartProcessOptions, startProcess } from './processes.js';
import { findProgram, isCI } from './programs.js';

export interface NetworkNamespace {
  readonly name: string;
  /** The IPv4 address programs inside listen on and are reached at. */
  readonly address: string;
  /** Starts a program inside the namespace (through `ip netns exec`), as `startProcess` does. */
  start(command: string, args: string[], options?: StartProcessOptions): RunningProcess;
  /** Runs a command inside the namespace to its end; returns its stdout. */
  run(command: string, args: string[]): string;
  remove(): void;
}

let counter = 0;

/**
 * True when namespaces can be made here (root, `ip`). When they cannot, with `CI=true` this
 * throws (the test fails rather than skip); locally it warns loudly and returns false.
 */
export function requireNamespaces(): boolean {
  const why = namespaceProblem();
  if (why === undefined) return true;
  const message = `network namespaces are unavailable (${why})`;
  if (isCI()) throw new Error(`${message}: CI=true, so this test fails instead of skipping`);
  process.stderr.write(`\n\x1b[33m!!! SKIPPING multicast tests: ${message}\x1b[0m\n\n`);
  return false;
}

function namespaceProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!findProgram('ip')) return "no 'ip' program (Debian package 'iproute2')";
  const probe = nextName();
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `'ip netns add' failed: ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'delete', probe], { stdio: 'ignore' });
  return undefined;
}

function nextName(): string {
  return `bt-${process.pid}-${++counter}`;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeNamespace(address: string): NetworkNamespace {
  const name = nextName();
  ip(['netns', 'add', name]);
  trackNamespace(name);
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    address,
    start: (command, args, options = {}) =>
      startProcess('ip', ['netns', 'exec', name, command, ...args], {
        label: options.label ?? command,
        ...options,
      }),
    run: (command, args) =>
      execFileSync('ip', ['netns', 'exec', name, command, ...args], { encoding: 'utf8' }),
    remove() {
      spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
      releaseNamespace(name);
    },
  };
}

/** A namespace whose loopback carries IPv4 multicast (`239.0.0.0/8 dev lo src 127.0.0.1`). */
export function createLoopbackNamespace(): NetworkNamespace {
  const namespace = makeNamespace('127.0.0.1');
  try {
    ip(['-n', namespace.name, 'route', 'add', '239.0.0.0/8', 'dev', 'lo', 'src', '127.0.0.1']);
  } catch (error) {
    namespace.remove();
    throw error;
  }
  return namespace;
}

/**
 * Two namespaces joined by a veth pair (10.213.N.1/24 and 10.213.N.2/24), each routing
 * 239.0.0.0/8 over it: two hosts on one LAN.
 */
export function createLinkedNamespaces(): [NetworkNamespace, NetworkNamespace] {
  const subnet = `10.213.${(process.pid + counter) % 250}`;
  const a = makeNamespace(`${subnet}.1`);
  const b = makeNamespace(`${subnet}.2`);
  try {
    ip([
      '-n',
      a.name,
      'link',
      'add',
      'veth0',
      'type',
      'veth',
      'peer',
      'name',
      'veth0',
      'netns',
      b.name,
    ]);
    for (const namespace of [a, b]) {
      ip(['-n', namespace.name, 'addr', 'add', `${namespace.address}/24`, 'dev', 'veth0']);
      ip(['-n', namespace.name, 'link', 'set', 'veth0', 'up']);
      ip(['-n', namespace.name, 'route', 'add', '239.0.0.0/8', 'dev', 'veth0']);
    }
  } catch (error) {
    a.remove();
    b.remove();
    throw error;
  }
  return [a, b];
}
