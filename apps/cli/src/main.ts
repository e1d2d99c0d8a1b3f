/**
 * `bt` argument dispatch: finds the subcommand, parses its options, prints help and errors,
 * maps failures to exit codes. Testable: takes argv and streams, returns the exit code.
 */
import { parseArgs } from 'node:util';
import { type Command, type CommandContext, ExitCode, UsageError } from './command.js';
import { commands as defaultCommands } from './commands/index.js';

export const VERSION = '0.1.0';

export interface MainOptions {
  argv: string[];
  stdout: CommandContext['stdout'];
  stderr: CommandContext['stderr'];
  signal?: AbortSignal;
  cwd?: string;
  commands?: Command[];
}

export function formatHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length), 8);
  const lines = [
    'bt: a BitTorrent toolkit',
    '',
    'Usage: bt <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    "Run 'bt <command> --help' for a command's options and examples.",
    '',
    'Exit codes: 0 success; 1 the job ran and the answer is no (incomplete data, a tracker',
    'refused); 2 wrong command line; 3 the job could not run (bad input, I/O, network);',
    '130 interrupted.',
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
  if (name === '--version' || name === '-V') {
    stdout.write(`bt ${VERSION}\n`);
    return ExitCode.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    stderr.write(`bt: unknown command '${name}'. Run 'bt --help' for the list of commands.\n`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(commandHelp(command));
    return ExitCode.ok;
  }
  let context: CommandContext;
  try {
    const parsed = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    const [min, max] = command.positionals;
    if (parsed.positionals.length < min) {
      throw new UsageError(`missing argument (usage: ${command.usage})`);
    }
    if (parsed.positionals.length > max) {
      throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`);
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
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`bt ${command.name}: ${message}\nRun 'bt ${command.name} --help' for usage.\n`);
    return ExitCode.usage;
  }
  try {
    return await command.run(context);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(
        `bt ${command.name}: ${error.message}\nRun 'bt ${command.name} --help' for usage.\n`,
      );
      return ExitCode.usage;
    }
    if (context.signal.aborted) {
      stderr.write(`bt ${command.name}: stopped\n`);
      return ExitCode.interrupted;
    }
    stderr.write(`bt ${command.name}: ${describeError(error)}\n`);
    if (process.env.BT_DEBUG && error instanceof Error && error.stack)
      stderr.write(`${error.stack}\n`);
    return ExitCode.error;
  }
}

/** One line: the error's message, and its cause's where that adds something. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let message = error.message.split('\n')[0] ?? error.name;
  const cause = error.cause;
  if (cause instanceof Error && !message.includes(cause.message))
    message += `: ${cause.message.split('\n')[0]}`;
  return message;
}
