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
  /** Stopped by Ctrl-C / SIGTERM. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  /** Option values as parsed by `node:util` parseArgs with the command's `options`. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Aborted on Ctrl-C / SIGTERM; long-running commands stop cleanly on it. */
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
  if (!/^-?\d+$/.test(text))
    throw new UsageError(`--${name} expects a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (bounds.min !== undefined && value < bounds.min)
    throw new UsageError(`--${name} must be at least ${bounds.min}`);
  if (bounds.max !== undefined && value > bounds.max)
    throw new UsageError(`--${name} must be at most ${bounds.max}`);
  return value;
}

export function booleanOption(context: CommandContext, name: string): boolean {
  return context.values[name] === true;
}
