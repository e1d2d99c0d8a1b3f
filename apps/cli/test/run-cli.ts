/** Test helper: runs `main` in-process with captured output. */
import { Writable } from 'node:stream';
import { PATIENCE_MS } from '@bt/test-support';
import { main } from '../src/main.js';
import { withoutLocalDiscovery } from './no-lpd.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(onWrite: () => void): {
  stream: Writable & { isTTY?: boolean };
  text: () => string;
} {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      onWrite();
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export interface RunningCli {
  /** The exit code and everything printed, once the command ends. */
  result: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout + stderr match `pattern`; rejects if the command ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts a command in-process; the caller waits on its output, then on `result`. */
export interface RunCliOptions {
  cwd?: string;
  signal?: AbortSignal;
  /** Called with everything on stdout so far, after each write. */
  onStdout?: (text: string) => void;
  /** Leave local peer discovery on (by default tests add `--no-lpd`: no multicast off loopback). */
  localDiscovery?: boolean;
}

export function startCli(argv: string[], options: RunCliOptions = {}): RunningCli {
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const out = capture(() => {
    options.onStdout?.(out.text());
    wake();
  });
  const err = capture(wake);
  let ended = false;
  const result = main({
    argv: options.localDiscovery ? argv : withoutLocalDiscovery(argv),
    stdout: out.stream,
    stderr: err.stream,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  }).then((code) => ({ code, stdout: out.text(), stderr: err.text() }));
  void result.finally(() => {
    ended = true;
    wake();
  });
  return {
    result,
    stdout: out.text,
    stderr: err.text,
    waitForOutput(pattern, timeoutMs = PATIENCE_MS) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out.text()}\n${err.text()}`));
        }, timeoutMs);
        const check = (): void => {
          const text = out.text() + err.text();
          if (!pattern.test(text) && !ended) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (pattern.test(text)) resolve();
          else reject(new Error(`ended before ${pattern}:\n${out.text()}\n${err.text()}`));
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export async function runCli(argv: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return startCli(argv, options).result;
}
