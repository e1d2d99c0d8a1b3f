/**
 * `bt` argument dispatch: finds the subcommand, parses its options, prints help and errors,
 * maps failures to exit codes. Testable: takes argv and streams, returns the exit code.
 */
import { parseArgs } from 'node:util';
import {
  type Command,
  type CommandContext,
  CommandError,
  ExitCode,
  type OptionsConfig,
  type Output,
  Stop,
  UsageError,
} from './command.js';
import { commands as defaultCommands } from './commands/index.js';
import { describeSystemError } from './ui/errors.js';

export const VERSION = '0.1.0';

export interface MainOptions {
  argv: string[];
  stdout: Output;
  stderr: Output;
  signal?: AbortSignal;
  cwd?: string;
  commands?: Command[];
}

export function formatHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length), 9);
  const lines = [
    'bt: a BitTorrent toolkit',
    '',
    'Usage: bt <command> [options]',
    '       bt --help | --version',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    `  ${'--help'.padEnd(width)}  this list; 'bt <command> --help' for a command's options and examples`,
    `  ${'--version'.padEnd(width)}  the version of bt`,
    '',
    'Exit codes: 0 success; 1 the job ran and the answer is no (incomplete data, a tracker',
    'refused); 2 wrong command line; 3 the job could not run (bad input, I/O, network);',
    '129, 130, 143 stopped cleanly by SIGHUP, Ctrl-C (SIGINT), SIGTERM; 141 stopped because',
    'the output was closed (a reader such as head quit).',
    '',
    'With --json, errors are a JSON event on stdout too: {"type":"error","code":...,"message":...}.',
  ];
  return `${lines.join('\n')}\n`;
}

function commandHelp(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}\n\n${command.help.trimEnd()}\n`;
}

export async function main(options: MainOptions): Promise<number> {
  const commands = options.commands ?? defaultCommands;
  const { stdout, stderr } = options;
  const [name, ...rest] = options.argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic =
      name === 'help' ? commands.find((command) => command.name === rest[0]) : undefined;
    stdout.write(topic ? commandHelp(topic) : formatHelp(commands));
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    stdout.write(`bt ${VERSION}\n`);
    return ExitCode.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    const hint = name.startsWith('-')
      ? `unknown option ${name}`
      : `unknown command '${name}'${
          suggest(
            name,
            commands.map((each) => each.name),
          ) ?? ''
        }`;
    stderr.write(`bt: ${hint}. Run 'bt --help' for the list of commands.\n`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(commandHelp(command));
    return ExitCode.ok;
  }
  const json = 'json' in command.options && rest.includes('--json');
  const fail = (code: string, message: string, exit: number): number => {
    if (json) {
      stdout.write(
        `${JSON.stringify({ type: 'error', time: new Date().toISOString(), command: command.name, code, message })}\n`,
      );
    }
    const pointer = exit === ExitCode.usage ? `\nRun 'bt ${command.name} --help' for usage.` : '';
    stderr.write(`bt ${command.name}: ${message}${pointer}\n`);
    return exit;
  };
  let context: CommandContext;
  try {
    const args = checkArguments(rest, command.options);
    const parsed = parseArgs({
      args,
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    const [min, max] = command.positionals;
    if (parsed.positionals.length < min) {
      throw new UsageError(`missing argument (usage: ${command.usage})`);
    }
    if (parsed.positionals.length > max) {
      const extra = parsed.positionals[max]!;
      // `--priority high:1 low:3`: each priority needs its own flag
      throw new UsageError(
        /^(high|normal|low):/i.test(extra)
          ? `unexpected argument '${extra}': give each priority its own flag (--priority high:1 --priority ${extra})`
          : `unexpected argument '${extra}'`,
      );
    }
    context = {
      values: parsed.values,
      positionals: parsed.positionals,
      stdout,
      stderr,
      signal: options.signal ?? new AbortController().signal,
      cwd: options.cwd ?? process.cwd(),
    };
  } catch (error) {
    return fail('usage', error instanceof Error ? error.message : String(error), ExitCode.usage);
  }
  const stopped = (): number | undefined => {
    if (!context.signal.aborted) return undefined;
    const reason: unknown = context.signal.reason;
    return reason instanceof Stop ? reason.exitCode : ExitCode.interrupted;
  };
  try {
    const code = await command.run(context);
    return stopped() ?? code;
  } catch (error) {
    if (error instanceof UsageError) return fail('usage', error.message, ExitCode.usage);
    const stopCode = stopped();
    if (stopCode !== undefined) {
      // nobody reads any more: end quietly
      if (stopCode !== 141) stderr.write(`bt ${command.name}: stopped\n`);
      return stopCode;
    }
    if (process.env.BT_DEBUG && error instanceof Error && error.stack)
      stderr.write(`${error.stack}\n`);
    return fail(errorCode(error), describeError(error), ExitCode.error);
  }
}

/**
 * Puts `parseArgs`'s complaints in our words before it sees the arguments: an unknown option
 * (with the nearest known one), a value given to a switch, a missing value. A value that starts
 * with a dash (`--port -1`) is taken as the value, and checked by the command.
 */
function checkArguments(args: string[], options: OptionsConfig): string[] {
  const byShort = new Map(
    Object.entries(options).flatMap(([long, config]) =>
      config.short === undefined ? [] : [[config.short, long] as const],
    ),
  );
  const result: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') {
      result.push(...args.slice(index));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      result.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const [flag, inline] = long
      ? [
          arg.slice(2).split('=')[0]!,
          arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined,
        ]
      : [
          byShort.get(arg.slice(1, 2)) ?? arg.slice(1, 2),
          arg.length > 2 ? arg.slice(2) : undefined,
        ];
    const config = options[flag];
    if (config === undefined || (!long && !byShort.has(arg.slice(1, 2)))) {
      throw new UsageError(
        `unknown option ${arg.split('=')[0]}${suggest(flag, Object.keys(options), '--') ?? ''}`,
      );
    }
    if (config.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value`);
      result.push(arg);
      continue;
    }
    if (inline !== undefined) {
      result.push(long ? arg : `-${arg.slice(1, 2)}${inline}`);
      continue;
    }
    const value = args[index + 1];
    if (value === undefined || (value.startsWith('-') && !/^-\d/.test(value) && value !== '-'))
      throw new UsageError(`--${flag} needs a value`);
    result.push(`--${flag}=${value}`);
    index++;
  }
  return result;
}

/** `, did you mean X?` when a known name is one or two edits away. */
function suggest(word: string, known: string[], prefix = ''): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? undefined : ` (did you mean ${prefix}${best}?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

function errorCode(error: unknown): string {
  if (error instanceof CommandError) return error.code;
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'error';
}

/**
 * One line: the error's message, and its cause's where that adds something. A system error
 * (`ENOENT: no such file or directory, open 'x'`) is put in words: `cannot open x: no such file`.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof CommandError) return error.message;
  const system = describeSystemError(error);
  if (system !== undefined) return system;
  let message = error.message.split('\n')[0] ?? error.name;
  const cause = error.cause;
  if (cause instanceof Error) {
    const causeText = describeSystemError(cause) ?? cause.message.split('\n')[0] ?? '';
    if (!message.includes(causeText) && !message.includes(cause.message))
      message += `: ${causeText}`;
  }
  return message;
}
