// What the benches share (`@bt/test-support/bench`, plain JavaScript so a bench runs with bare
// node): child processes in their own process groups (killed on exit and on Ctrl-C), free
// ports, digests, a payload file, CPU time from /proc, medians and the RATIO lines every bench
// prints.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';

export const MiB = 1024 * 1024;

const children = new Set();
const folders = new Set();
function killAll() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    void Promise.all(
      [...folders].map((folder) => rm(folder, { recursive: true, force: true })),
    ).finally(() => process.exit(130));
  });
}

/** Removes `folder` when the bench is interrupted (the bench removes it itself at the end). */
export function removeOnInterrupt(folder) {
  folders.add(folder);
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a program in its own process group. `waitFor(pattern)` resolves once its output matches
 * (rejects if it exits first); `stop()` ends the group (SIGTERM, then SIGKILL after 5 s).
 */
export function start(command, args, options = {}) {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...options,
  });
  children.add(child);
  let output = '';
  const waiters = [];
  const onData = (chunk) => {
    output += chunk;
    if (output.length > 1_000_000) output = output.slice(-100_000);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      for (const waiter of waiters)
        waiter.reject(new Error(`${command} exited (${code ?? signal}): ${output.slice(-2000)}`));
      resolve(code ?? signal);
    }),
  );
  return {
    child,
    exited,
    output: () => output,
    waitFor(pattern) {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
    /** The program ended by itself: forget it. */
    forget() {
      children.delete(child);
    },
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
      children.delete(child);
    },
  };
}

export async function sha1(path) {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk);
  return hash.digest('hex');
}

/** Writes `bytes` of random data to `path`. */
export async function writeRandomFile(path, bytes) {
  const file = await open(path, 'w');
  const chunk = Buffer.alloc(16 * MiB);
  for (let written = 0; written < bytes; written += chunk.length) {
    randomFillSync(chunk);
    await file.write(chunk, 0, Math.min(chunk.length, bytes - written));
  }
  await file.close();
}

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU seconds of a process (all its threads) so far. */
export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The middle value (of three: the second best). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Prints `RATIO <label>: ours … vs anchor … = …x (target …) PASS|FAIL`. */
export function ratio(label, ours, anchor, target, higherIsBetter = true) {
  if (ours === undefined || anchor === undefined) {
    console.log(`RATIO ${label}: missing figures FAIL`);
    return;
  }
  const value = ours / anchor;
  const pass = higherIsBetter ? value >= target : value <= target;
  console.log(
    `RATIO ${label}: ours ${ours.toFixed(2)} vs anchor ${anchor.toFixed(2)} = ${value.toFixed(2)}x (target ${higherIsBetter ? '>=' : '<='} ${target}x) ${pass ? 'PASS' : 'FAIL'}`,
  );
}

/**
 * A fresh work folder (removed on Ctrl-C) with `seed/payload.bin` of `bytes` random bytes and
 * `payload.torrent` made by mktorrent (1 MiB pieces, the given `mktorrent` options, no tracker by
 * default); resolves with the paths and the payload's SHA-1.
 */
export async function preparePayload(prefix, bytes, mktorrentArgs = []) {
  const { mkdir: makeDir, mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const work = await mkdtemp(join(tmpdir(), prefix));
  removeOnInterrupt(work);
  const seedDir = join(work, 'seed');
  await makeDir(seedDir);
  const payload = join(seedDir, 'payload.bin');
  await writeRandomFile(payload, bytes);
  const torrentFile = join(work, 'payload.torrent');
  execFileSync('mktorrent', ['-l', '20', ...mktorrentArgs, '-o', torrentFile, payload], {
    stdio: 'ignore',
  });
  return { work, seedDir, payload, torrentFile, expected: await sha1(payload) };
}
