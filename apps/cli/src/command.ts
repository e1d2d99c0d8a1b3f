/**
 * The shape of a `bt` subcommand and the exit codes every command shares. A command parses
 * nothing itself beyond its options, and holds no protocol logic: that lives in the packages.
 */
import type { ParseArgsConfig } from 'node:util';

/** Exit codes, the same for every command (also listed by `bt --help`). */
export const ExitCode = {
  /** The job succeeded. */
  ok: 0,
  /** The job ran and its answer is "no": data incomplete or corrupt, a tracker refused. */
  negative: 1,
  /** The command line is wrong; nothing was done. */
  usage: 2,
  /** The job could not run: unreadable or invalid input, I/O or network failure. */
  error: 3,
  /** Stopped by Ctrl-C (SIGINT). SIGHUP gives 129, SIGTERM 143, a closed output 141 (128 + the signal). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Where a command writes: stdout or stderr, or a test's capture. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width; 0 or absent when it reports none. */
  readonly columns?: number;
}

export interface CommandContext {
  /** Option values as parsed by `node:util` parseArgs with the command's `options`. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: Output;
  stderr: Output;
  /**
   * Aborted on SIGINT, SIGTERM, SIGHUP or a closed stdout (its reason is a `Stop`); long-running
   * commands stop cleanly on it: stopped announces, data flushed, temporary folders removed.
   */
  signal: AbortSignal;
  /** The working directory, for resolving relative paths. */
  cwd: string;
}

export interface Command {
  name: string;
  /** One line for `bt --help`. */
  summary: string;
  /** The synopsis, e.g. `bt info <file.torrent | magnet> [--json]`. */
  usage: string;
  /** The rest of `bt <name> --help`: what it does, each option, examples. */
  help: string;
  options: OptionsConfig;
  /** Number of positional arguments accepted: [min, max]. */
  positionals: [number, number];
  run(context: CommandContext): Promise<number>;
}

/** A wrong command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type CommandErrorCode =
  /** A file named on the command line cannot be read. */
  | 'unreadable-input'
  /** It was read, and it is not what the command takes (not a .torrent file...). */
  | 'invalid-input'
  /** A folder to write in cannot be created or written. */
  | 'unwritable-folder'
  /** Not enough free space, or a file size limit, before or during a download. */
  | 'no-space'
  /** `bt seed` was pointed at a folder without the torrent's data. */
  | 'nothing-to-seed'
  /** The disk failed under a running torrent. */
  | 'storage-failed';

/** The job could not run, for a reason the user can act on: one line, exit code 3. */
export class CommandError extends Error {
  override name = 'CommandError';
  readonly code: CommandErrorCode;

  constructor(code: CommandErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Why a command was told to stop: a signal, or nobody reading its output any more. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'output-closed';

const STOP_EXIT_CODES: Record<StopReason, number> = {
  SIGHUP: 129,
  SIGINT: 130,
  'output-closed': 141,
  SIGTERM: 143,
};

/** The reason of an aborted `CommandContext.signal`. */
export class Stop extends Error {
  override name = 'Stop';
  readonly reason: StopReason;

  constructor(reason: StopReason) {
    super(reason === 'output-closed' ? 'the output was closed' : `stopped by ${reason}`);
    this.reason = reason;
  }

  /** 128 + the signal's number, as shells report a process ended by that signal. */
  get exitCode(): number {
    return STOP_EXIT_CODES[this.reason];
  }
}

/** Reads a string option; `undefined` when absent. */
export function stringOption(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new UsageError(`--${name} takes a value`);
}

/** Reads a repeatable string option as a list. */
export function stringListOption(context: CommandContext, name: string): string[] {
  const value = context.values[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

/** Reads an integer option within bounds. */
export function integerOption(
  context: CommandContext,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const text = stringOption(context, name);
  if (text === undefined) return undefined;
  const range =
    bounds.min !== undefined && bounds.max !== undefined
      ? `a whole number from ${bounds.min} to ${bounds.max}`
      : bounds.min !== undefined
        ? `a whole number of at least ${bounds.min}`
        : 'a whole number';
  if (!/^-?\d+$/.test(text))
    throw new UsageError(`--${name} expects ${range}, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (
    (bounds.min !== undefined && value < bounds.min) ||
    (bounds.max !== undefined && value > bounds.max)
  )
    throw new UsageError(`--${name} expects ${range}, got ${text}`);
  return value;
}

export function booleanOption(context: CommandContext, name: string): boolean {
  return context.values[name] === true;
}
