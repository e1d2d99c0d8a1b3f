/**
 * Free loopback ports for programs a test starts. Asking the OS (bind to 0, read, close) hands
 * out an ephemeral port that the OS may give to anyone else a moment later, before the program
 * binds it; with two suites on one machine, a test can then talk to another suite's program (a
 * connection that worked, then refused). So ports come from below the OS's ephemeral range, where it never assigns one by
 * itself, each reserved for this test process by a lock file (`/tmp/.bt-port-locks/<port>`,
 * holding our pid; a dead holder's lock is taken over) and checked to be bindable. Locks go when
 * the process ends (see `cleanup.ts`).
 */
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackFolder } from './cleanup.js';

const LOCKS = join(tmpdir(), '.bt-port-locks');

/** The ports we may hand out: [low, high), under the OS's ephemeral range. */
function range(): [number, number] {
  let high = 32_768;
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (first !== undefined && first > 11_000) high = first;
  } catch {
    // not Linux: the usual default
  }
  return [10_000, high];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `port` for this process; false if a live process holds it. */
function lock(port: number): boolean {
  mkdirSync(LOCKS, { recursive: true });
  const path = join(LOCKS, String(port));
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch {
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(path, 'utf8'));
    } catch {
      return false;
    }
    // a holder that is gone (killed before its cleanup) leaves its lock to be taken over
    if (!Number.isInteger(holder) || holder <= 0 || alive(holder)) return false;
    rmSync(path, { force: true });
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
    } catch {
      return false;
    }
  }
  trackFolder(path);
  return true;
}

async function bindable(port: number, host: string, udp: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    if (udp) {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    } else {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    }
  });
}

async function reserve(host: string, udp: boolean): Promise<number> {
  const [low, high] = range();
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (!lock(port)) continue;
    // both protocols: opentracker, for one, listens on TCP and UDP
    if ((await bindable(port, host, udp)) && (await bindable(port, host, !udp))) return port;
  }
  throw new Error(`no free port between ${low} and ${high} after 1000 tries`);
}

/** A TCP port free on `host`, reserved for this test process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return reserve(host, false);
}

/** A UDP port free on `host`, reserved for this test process. */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return reserve(host, true);
}
