import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('bt demo', () => {
  it('seeds and downloads a generated payload over loopback through our tracker, and verifies it', async () => {
    const result = await runCli(['demo', '--size', '4']);
    expect(result.stderr).toContain('verified: all 4 files are identical');
    expect(result.code).toBe(0);
    // slow enough to watch by default: 64 MiB take about 8 s
    expect(result.stderr).toMatch(/downloads into .* \(at most 8\.00 MiB\/s\)$/m);
    expect(result.stderr).toMatch(/^demo bt-demo: done 100\.0% 4\.00 MiB$/m);
    expect(result.stderr).toMatch(/^ {3}downloaded 4\.00 MiB in \d+(\.\d+)?s \(/m);
  });

  it('speaks NDJSON with --json', async () => {
    const result = await runCli(['demo', '--size', '2', '--json']);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events.some((event) => event.type === 'torrent-completed')).toBe(true);
    expect(events.some((event) => event.type === 'tracker-announced')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'demo' });
  });

  it('explains itself', async () => {
    const result = await runCli(['demo', '--help']);
    expect(result.stdout).toContain('Usage: bt demo');
  });
});
