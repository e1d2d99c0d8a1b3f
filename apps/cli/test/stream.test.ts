/**
 * `bt stream` against programs nobody here wrote: aria2c seeds (its upload rate capped with
 * `--max-upload-limit`, so the download is still running), curl fetches random ranges of a
 * 256 MiB file and gets the right bytes before the torrent completes, and ffprobe reads the
 * duration of a video ffmpeg made, over the stream URL (it reads the head, then seeks to the
 * index at the end).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeTempDir,
  removeTempDirs,
  requireProgram,
  runMktorrent,
  startProcess,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { ariaSeeder, fixture } from './aria-fixtures.js';
import { runCli, startCli, type RunningCli } from './run-cli.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');
const curl = requireProgram('curl');
const ffmpeg = requireProgram('ffmpeg');
const ffprobe = requireProgram('ffprobe', 'ffmpeg');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

/** The JSON events `bt stream --json` printed so far. */
function events(cli: RunningCli): Record<string, unknown>[] {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Starts `bt stream --json` and resolves with its URL once it serves. */
async function stream(
  torrent: string,
  peerPort: number,
  signal: AbortSignal,
): Promise<{ cli: RunningCli; url: string }> {
  const cli = startCli(
    [
      'stream',
      torrent,
      '--json',
      '-o',
      await makeTempDir(),
      '--peer-port',
      '0',
      '--no-dht',
      '--peer',
      `127.0.0.1:${peerPort}`,
    ],
    { signal },
  );
  await cli.waitForOutput(/"type":"stream-ready"/);
  const ready = events(cli).find((event) => event.type === 'stream-ready')!;
  expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stream\/[0-9a-f]{40}\/0\//);
  return { cli, url: ready.url as string };
}

/**
 * The torrent's progress in the first stats event `bt stream` printed at or after `time` (ms
 * since the epoch): below 1 there, it was below 1 at `time` too (progress only grows).
 */
async function progressAfter(cli: RunningCli, time: number): Promise<number> {
  const find = () =>
    events(cli).find((event) => event.type === 'stats' && Date.parse(event.time as string) >= time);
  const event = await waitFor(find, { what: 'a stats event' });
  return event.progress as number;
}

describe.skipIf(!aria2 || !mktorrent || !curl)('bt stream with curl', () => {
  it('answers random curl ranges of a 256 MiB file with the right bytes before the download completes', async () => {
    const size = 256 * 1024 * 1024;
    // 1 MiB pieces
    const { seedDir, payload, torrent } = await fixture(size, undefined, 20);
    const bytes = await readFile(payload);
    const seeder = await ariaSeeder(torrent, seedDir, '12M', { perTorrent: true });
    const stop = new AbortController();
    const { cli, url } = await stream(torrent, seeder.port, stop.signal);
    const out = await makeTempDir();
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const ranges = Array.from({ length: 6 }, () => {
      const start = Math.floor(random() * (size - 2_000_000));
      return [start, start + Math.floor(random() * 1_500_000)] as const;
    });
    ranges.push([size - 65_536, size - 1]);
    // several readers at once
    const answers = await Promise.all(
      ranges.map(async ([start, end], index) => {
        const file = join(out, `range-${index}`);
        const fetched = startProcess(curl!, [
          '-sS',
          '-f',
          '-r',
          `${start}-${end}`,
          '-o',
          file,
          url,
        ]);
        expect(await fetched.exited, fetched.output()).toBe(0);
        const arrivedAt = Date.now();
        return { arrivedAt, body: await readFile(file) };
      }),
    );
    answers.forEach(({ body }, index) => {
      const [start, end] = ranges[index]!;
      expect(body.equals(bytes.subarray(start, end + 1)), `range ${start}-${end}`).toBe(true);
    });
    // every answer had arrived before the torrent completed
    const last = Math.max(...answers.map(({ arrivedAt }) => arrivedAt));
    expect(await progressAfter(cli, last)).toBeLessThan(1);
    stop.abort();
    expect((await cli.result).code).toBe(130);
  });

  it('refuses a file number the torrent does not have', async () => {
    const { torrent } = await fixture(10_000);
    const result = await runCli(['stream', torrent, '--file', '3', '-o', await makeTempDir()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--file 3: the torrent has 1 file/);
  });
});

describe.skipIf(!aria2 || !mktorrent || !ffmpeg || !ffprobe)('bt stream with ffprobe', () => {
  it('lets ffprobe read the duration of a video made by ffmpeg while it downloads', async () => {
    const seedDir = await makeTempDir();
    const video = join(seedDir, 'testsrc.mp4');
    // 60 s of test pattern (15 MB); the mp4 index (moov) is written at the end of the file
    const made = startProcess(ffmpeg!, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=60:size=320x240:rate=25',
      '-c:v',
      'mpeg4',
      '-b:v',
      '2M',
      video,
    ]);
    expect(await made.exited, made.output()).toBe(0);
    const torrent = join(seedDir, 'testsrc.torrent');
    await runMktorrent({
      program: mktorrent!,
      source: video,
      output: torrent,
      announce: 'http://127.0.0.1:9/announce',
      pieceLengthExponent: 16,
    });
    const seeder = await ariaSeeder(torrent, seedDir, '256K', { perTorrent: true });
    const stop = new AbortController();
    const { cli, url } = await stream(torrent, seeder.port, stop.signal);
    const probe = startProcess(ffprobe!, [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'default=noprint_wrappers=1:nokey=1',
      url,
    ]);
    expect(await probe.exited, probe.output()).toBe(0);
    const probedAt = Date.now();
    expect(Number(probe.output().trim())).toBeCloseTo(60, 1);
    // the torrent was not complete when ffprobe had its answer
    expect(await progressAfter(cli, probedAt)).toBeLessThan(1);
    stop.abort();
    expect((await cli.result).code).toBe(130);
  });
});
