/** Test helper: runs `main` in-process with captured output. */
import { Writable } from 'node:stream';
import { main } from '../src/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCli(
  argv: string[],
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<CliResult> {
  const out = capture();
  const err = capture();
  const code = await main({ argv, stdout: out.stream, stderr: err.stream, ...options });
  return { code, stdout: out.text(), stderr: err.text() };
}
