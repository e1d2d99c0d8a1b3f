/** The `bt` executable: wires the process (argv, streams, signals, exit code) to `main`. */
import { main } from './main.js';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main({
  argv: process.argv.slice(2),
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    process.stderr.write(`bt: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  })
  .finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
