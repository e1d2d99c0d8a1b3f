/**
 * The `bt` executable: wires the process (argv, streams, signals, exit code) to `main`.
 * SIGINT, SIGTERM and SIGHUP stop the command cleanly and exit with 128 + the signal's number;
 * a second one exits at once. A closed stdout (a reader like `head` that stopped) stops it the
 * same way, quietly, with 141.
 */
import { Stop, type StopReason } from './command.js';
import { main } from './main.js';
import { guardOutput } from './output.js';

const controller = new AbortController();
const stop = (reason: StopReason): void => {
  if (controller.signal.aborted) {
    // a second signal: the user does not want to wait for the clean stop
    if (reason !== 'output-closed') process.exit(new Stop(reason).exitCode);
    return;
  }
  controller.abort(new Stop(reason));
};
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const handlers = signals.map((name) => {
  const handler = (): void => stop(name);
  process.on(name, handler);
  return [name, handler] as const;
});

const stdout = guardOutput(process.stdout, () => stop('output-closed'));
const stderr = guardOutput(process.stderr, () => stop('output-closed'));

main({ argv: process.argv.slice(2), stdout, stderr, signal: controller.signal })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    stderr.write(`bt: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  })
  .finally(() => {
    for (const [name, handler] of handlers) process.off(name, handler);
  });
