/**
 * The process's stdout and stderr as a command sees them. A reader that goes away (`| head`)
 * makes the next write fail with EPIPE; that must not crash the process with a stack trace, but
 * stop the command the way Ctrl-C does (announces, flush, clean-up), with nothing more written.
 */
import type { Output } from './command.js';

/** `stream`, minus the crash: once it fails, writes are dropped and `onClosed` is called once. */
export function guardOutput(stream: NodeJS.WriteStream, onClosed: () => void): Output {
  let closed = false;
  stream.on('error', () => {
    if (closed) return;
    closed = true;
    onClosed();
  });
  return {
    write(text: string): boolean {
      if (closed || stream.destroyed) return false;
      return stream.write(text);
    },
    get isTTY(): boolean {
      return stream.isTTY === true;
    },
    get columns(): number {
      return stream.isTTY === true ? (stream.columns ?? 0) : 0;
    },
  };
}
