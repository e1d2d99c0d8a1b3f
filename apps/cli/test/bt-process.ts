/**
 * Test helper for what only a real `bt` process shows (signals, exit codes, a closed stdout, a
 * terminal): `src/bt.ts` bundled once into one file, started in its own process group (killed
 * on every exit path by @bt/test-support), its stdout and stderr kept apart, and waits on what
 * it prints rather than on time.
 */
import { join } from 'node:path';
import { bundleScript, PATIENCE_MS, type RunningProcess, startProcess } from '@bt/test-support';
import { withoutLocalDiscovery } from './no-lpd.js';

let bundled: Promise<string> | undefined;

/** The path of a runnable `bt.js` built from the sources (bundled once per test file). */
export function btScript(): Promise<string> {
  bundled ??= bundleScript(join(import.meta.dirname, '..', 'src', 'bt.ts'), 'bt');
  return bundled;
}

export interface BtProcess {
  process: RunningProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal's name when it was killed. */
  exited: Promise<number | string>;
  /** Resolves once stdout + stderr match `pattern`; rejects if the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Wraps a started process: separate stdout and stderr, waits on output. */
export function watch(running: RunningProcess): BtProcess {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  running.child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    wake();
  });
  running.child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    wake();
  });
  void running.exited.then(wake);
  let ended = false;
  void running.exited.then(() => {
    ended = true;
    wake();
  });
  return {
    process: running,
    stdout: () => out,
    stderr: () => err,
    exited: running.exited,
    waitForOutput(pattern, timeoutMs = PATIENCE_MS) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${out}\n${err}`));
        }, timeoutMs);
        const check = (): void => {
          if (pattern.test(out + err)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`ended before ${pattern}; output:\n${out}\n${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Starts `node bt.js ...args` (or `prefix... node bt.js ...args`, e.g. under prlimit or script). */
export async function startBt(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; prefix?: string[] } = {},
): Promise<BtProcess> {
  const script = await btScript();
  const [command, ...rest] = [
    ...(options.prefix ?? []),
    process.execPath,
    script,
    ...withoutLocalDiscovery(args),
  ];
  return watch(
    startProcess(command!, rest, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      label: 'bt',
    }),
  );
}

/** `script` running a shell command in a fresh pseudo-terminal, as a watched process. */
export async function startInTerminal(
  shellCommand: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<BtProcess> {
  return watch(
    startProcess('script', ['-q', '-e', '-c', shellCommand, '/dev/null'], {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { TERM: 'xterm', ...options.env },
      label: 'script',
    }),
  );
}

/** Lines as a terminal would show them: split at CR and LF, escape sequences removed. */
export function screenLines(text: string): string[] {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n')
      .split(/[\r\n]/)
      .filter((line) => line.trim() !== '')
  );
}
