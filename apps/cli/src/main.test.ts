import { describe, expect, it } from 'vitest';
import { type Command, ExitCode, integerOption, UsageError } from './command.js';
import { formatHelp } from './main.js';
import { runCli } from '../test/run-cli.js';
import { main } from './main.js';
import { Writable } from 'node:stream';

const sink = (): Writable & { text: string } => {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stream.text += chunk.toString();
      callback();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
};

const echo: Command = {
  name: 'echo',
  summary: 'prints its argument',
  usage: 'bt echo <word> [--times N]',
  help: 'Options:\n  --times N  how often',
  options: { times: { type: 'string' } },
  positionals: [1, 1],
  async run(context) {
    const times = integerOption(context, 'times', { min: 1 }) ?? 1;
    if (context.positionals[0] === 'fail')
      throw new Error('it failed', { cause: new Error('because') });
    if (context.positionals[0] === 'usage') throw new UsageError('bad usage');
    context.stdout.write(`${context.positionals[0]!.repeat(times)}\n`);
    return ExitCode.ok;
  },
};

async function run(argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await main({ argv, stdout, stderr, commands: [echo] });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('bt dispatch', () => {
  it('lists commands and exit codes in --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('echo');
    expect(result.stdout).toContain('Exit codes');
    expect(formatHelp([echo])).toContain('prints its argument');
  });
  it('shows command help', async () => {
    const result = await run(['echo', '--help']);
    expect(result.stdout).toContain('Usage: bt echo <word>');
  });
  it('runs a command with options', async () => {
    expect(await run(['echo', 'ab', '--times', '2'])).toEqual({
      code: 0,
      stdout: 'abab\n',
      stderr: '',
    });
  });
  it('reports usage errors with exit code 2 and a pointer to --help', async () => {
    for (const argv of [
      ['echo'],
      ['echo', 'a', 'b'],
      ['echo', 'a', '--bogus'],
      ['echo', 'a', '--times', 'x'],
      ['echo', 'usage'],
      ['nope'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/--help/);
    }
  });
  it('reports failures as one line with exit code 3', async () => {
    const result = await run(['echo', 'fail']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('bt echo: it failed: because\n');
  });
  it('runs the real command table', async () => {
    const result = await runCli(['--version']);
    expect(result.stdout).toMatch(/^bt \d+\.\d+\.\d+/);
  });
});
