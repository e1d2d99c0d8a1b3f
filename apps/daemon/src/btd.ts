/**
 * The `btd` executable: the process around `startDaemon` (flags, foreground or detached, pid
 * file, log, signals). SIGTERM and SIGINT stop cleanly (a second one exits at once); SIGHUP
 * reloads settings.json.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { startDaemon, VERSION } from './daemon.js';
import { createLogger } from './logger.js';
import { HELP, parseOptions, UsageError } from './options.js';
import { loadSettings, settingsFile } from './settings.js';

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`btd: ${error.message}\nTry 'btd --help'.\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`btd ${VERSION}\n`);
    return 0;
  }
  if (options.dumpSettings) {
    const loaded = await loadSettings(options.configDir, options.overrides);
    process.stdout.write(
      `${JSON.stringify(settingsFile(loaded.session, loaded.daemon, loaded.unknown), null, 4)}\n`,
    );
    return 0;
  }
  if (!options.foreground) {
    // detach: the same command in the foreground, in its own session, output to the log file
    const output = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
    const child = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--foreground'],
      {
        detached: true,
        stdio: ['ignore', output, output],
      },
    );
    child.unref();
    return 0;
  }
  const logger = createLogger({
    level: options.logLevel ?? 'info',
    file: options.logFile,
    stream: process.stderr,
  });
  const daemon = await startDaemon(options, logger);
  if (options.pidFile) await writeFile(options.pidFile, `${process.pid}\n`);
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) {
      logger.log('warn', `${why} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log('info', `${why}: stopping`);
    await daemon.close();
    if (options.pidFile) await rm(options.pidFile, { force: true });
  };
  const done = new Promise<void>((resolve) => {
    const onSignal = (name: string) => (): void => void stop(name).then(resolve, resolve);
    process.on('SIGTERM', onSignal('SIGTERM'));
    process.on('SIGINT', onSignal('SIGINT'));
    void daemon.closeRequested.then(() => stop('session-close').then(resolve, resolve));
  });
  process.on('SIGHUP', () => {
    daemon
      .reload()
      .catch((error: unknown) => logger.log('error', `reload failed: ${String(error)}`));
  });
  await done;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // timers of closed sockets may linger a moment; nothing else is left to do
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`btd: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
