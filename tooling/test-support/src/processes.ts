/**
 * Child processes for interop tests: each in its own process group, with captured output,
 * killed (the whole group) by `stop`, by `stopAllProcesses`, and on every way out of the test
 * process (see `cleanup.ts`). Tests start programs only through `startProcess`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { groupAlive, releaseGroup, trackGroup } from './cleanup.js';

export interface StartProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Shown in errors. Default: the program's name. */
  label?: string;
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The longest any one wait of a test may take (a download, a program's start, an answer) before
 * the test is declared stuck: a limit for when something is broken, never a verdict on speed,
 * since the suite runs on loaded machines. It stays under vitest's testTimeout (vitest.base.ts).
 */
export const PATIENCE_MS = 120_000;

const running = new Set<RunningProcess>();

export function startProcess(
  command: string,
  args: string[],
  options: StartProcessOptions = {},
): RunningProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pgid = child.pid;
  if (pgid !== undefined) trackGroup(pgid);
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > 1_000_000) output = output.slice(-500_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      // the leader is gone; forget the group once nothing of it is left (pids get reused)
      if (pgid !== undefined && !groupAlive(pgid)) releaseGroup(pgid);
      resolve(code ?? signal ?? -1);
    });
    child.on('error', (error) => {
      output += `\nspawn error: ${error.message}`;
      resolve(-1);
    });
  });
  const handle: RunningProcess = {
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      running.delete(handle);
      if (pgid === undefined) return;
      // the whole group, even when its leader has already exited
      const kill = (sent: NodeJS.Signals): void => {
        try {
          process.kill(-pgid, sent);
        } catch {
          // already gone
        }
      };
      kill(signal);
      const timer = setTimeout(() => kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      if (groupAlive(pgid)) kill('SIGKILL');
      releaseGroup(pgid);
    },
  };
  running.add(handle);
  return handle;
}

export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.stop()));
}

/**
 * The exit code (or signal) of `running` once it ends by itself; if it runs `timeoutMs` (default
 * `PATIENCE_MS`) it is declared stuck: stopped, and this rejects with its last output.
 */
export async function waitForExit(
  running: RunningProcess,
  timeoutMs = PATIENCE_MS,
): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      void running.stop().finally(() => {
        reject(new Error(`still running after ${timeoutMs} ms: ${running.output().slice(-3000)}`));
      });
    }, timeoutMs);
  });
  try {
    return await Promise.race([running.exited, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` (default `PATIENCE_MS`) passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? PATIENCE_MS);
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Resolves once something accepts TCP connections on host:port. */
export async function waitForPort(
  port: number,
  host = '127.0.0.1',
  timeoutMs = PATIENCE_MS,
): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    { timeoutMs, what: `a listener on ${host}:${port}` },
  );
}
