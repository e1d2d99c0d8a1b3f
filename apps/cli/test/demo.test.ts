import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('bt demo', () => {
  it('seeds and downloads a generated payload over loopback through our tracker, and verifies it', async () => {
    const result = await runCli(['demo', '--size', '4']);
    expect(result.stderr).toContain('verified: all 4 files are identical');
    expect(result.code).toBe(0);
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
