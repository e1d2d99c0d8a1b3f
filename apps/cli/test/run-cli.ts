/** Test helper: runs `main` in-process with captured output. */
import { Writable } from 'node:stream';
import { main } from '../src/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(onWrite?: (text: string) => void): {
  stream: Writable & { isTTY?: boolean };
  text: () => string;
} {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      onWrite?.(Buffer.concat(chunks).toString('utf8'));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCli(
  argv: string[],
  options: {
    cwd?: string;
    signal?: AbortSignal;
    /** Called with all of stdout so far on each write: lets a test act on an event. */
    onStdout?: (text: string) => void;
  } = {},
): Promise<CliResult> {
  const { onStdout, ...rest } = options;
  const out = capture(onStdout);
  const err = capture();
  const code = await main({ argv, stdout: out.stream, stderr: err.stream, ...rest });
  return { code, stdout: out.text(), stderr: err.text() };
}
