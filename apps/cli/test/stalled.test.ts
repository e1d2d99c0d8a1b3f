/**
 * A download that gets nothing says why, off a terminal: the status line names the reason
 * (every tracker failed, or no tracker knows another peer), and the source table is printed
 * when it changes. Each test waits for the words, then stops the download.
 */
import { freePort, makeTempDir, removeTempDirs, requireProgram } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './aria-fixtures.js';
import { startRecordingTracker } from './recording-tracker.js';
import { startCli } from './run-cli.js';

const mktorrent = requireProgram('mktorrent');

afterAll(removeTempDirs);

describe.skipIf(!mktorrent)('a stalled download, off a terminal', () => {
  it('names the failing tracker and its error, and prints the source table', async () => {
    const closed = await freePort();
    const tracker = `http://127.0.0.1:${closed}/announce`;
    const { torrent } = await fixture(100_000, tracker);
    const controller = new AbortController();
    const download = startCli(['download', torrent, '-o', await makeTempDir(), '--port', '0'], {
      signal: controller.signal,
    });
    await download.waitForOutput(/no peers: every tracker failed/);
    await download.waitForOutput(/^ {2}source +status/m);
    controller.abort();
    const result = await download.result;
    expect(result.code).toBe(130);
    const line = result.stderr.split('\n').find((each) => each.includes('every tracker failed'))!;
    expect(line).toMatch(
      new RegExp(
        `^download payload\\.bin: stalled 0\\.0% .*\\(no peers: every tracker failed: ${tracker.replace(/[/.]/g, '\\$&')}: .*ECONNREFUSED`,
      ),
    );
    // the table: the tracker and its error, in full
    expect(result.stderr).toMatch(
      new RegExp(`^ {2}${tracker.replace(/[/.]/g, '\\$&')} +error: .*ECONNREFUSED`, 'm'),
    );
  });

  it('says when the tracker knows no other peer', async () => {
    const tracker = await startRecordingTracker();
    try {
      const { torrent } = await fixture(100_000, tracker.url);
      const controller = new AbortController();
      const download = startCli(['download', torrent, '-o', await makeTempDir(), '--port', '0'], {
        signal: controller.signal,
      });
      await download.waitForOutput(/no peers: the tracker knows no other peer of this torrent/);
      controller.abort();
      const result = await download.result;
      expect(result.code).toBe(130);
      // the table comes with the first line and is not repeated while nothing changes
      expect(result.stderr).toMatch(/^ {2}source +status +seeds +peers$/m);
      expect(result.stderr.match(/^ {2}source +status/gm)!.length).toBeLessThanOrEqual(
        result.stderr.match(/^download payload\.bin:/gm)!.length,
      );
    } finally {
      await tracker.close();
    }
  });
});
