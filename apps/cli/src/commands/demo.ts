/**
 * `bt demo`: the whole client on loopback in a minute, without the internet. It starts our
 * tracker, makes a torrent of a generated payload, seeds it from one session and downloads it
 * with another (which finds the seed through the tracker), showing the same display as
 * `bt download`, then compares the bytes and cleans up. Every step is a package's job.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '@bt/metainfo/node';
import { createSession } from '@bt/session';
import { HttpTrackerServer } from '@bt/tracker-server/node';
import { booleanOption, type Command, ExitCode, integerOption } from '../command.js';
import { rateOption } from '../session-options.js';
import { formatBytes, formatDuration, formatRate } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';

/** 64 MiB in about 8 seconds: long enough to watch the display, short enough to wait for. */
const DEFAULT_RATE = 8 * 1024 * 1024;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'see the whole client work on loopback: tracker, seeder, downloader, verification',
  usage: 'bt demo [--size MIB] [--rate R] [--keep] [--json]',
  help: `Runs a complete swarm on this machine, with nothing from the internet:
  1. generates a folder of random files and makes a torrent of it (1 MiB pieces)
  2. starts bt's HTTP tracker on 127.0.0.1
  3. seeds the folder from one bt session
  4. downloads it with a second session, which finds the seed through the tracker,
     showing the same progress display as 'bt download' (rate-limited, so that the
     progress bar and the source table can be watched: 64 MiB take about 8 seconds)
  5. compares every downloaded byte with the original, then removes everything

Options:
  --size MIB   payload size in MiB (default 64)
  --rate R     the downloader's rate limit, e.g. 8M (default), 500K; 0 for loopback speed
  --keep       keep the temporary folder and print where it is
  --json       newline-delimited JSON events instead of the display, each with a time

Exit codes: 0 the download verified byte for byte; 1 it did not; 3 the demo could not run.

Example:
  bt demo`,
  options: {
    size: { type: 'string' },
    rate: { type: 'string' },
    keep: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: [0, 0],
  async run(context) {
    const json = booleanOption(context, 'json');
    const size = (integerOption(context, 'size', { min: 1, max: 16_384 }) ?? 64) * 1024 * 1024;
    const rate = rateOption(context, 'rate') ?? DEFAULT_RATE;
    const say = (text: string): void => {
      if (json)
        context.stdout.write(
          `${JSON.stringify({ type: 'demo', time: new Date().toISOString(), message: text })}\n`,
        );
      else context.stderr.write(`${text}\n`);
    };
    const work = await mkdtemp(join(tmpdir(), 'bt-demo-'));
    const tracker = new HttpTrackerServer({ interval: 10, minInterval: 2 });
    const sessions: { close(): Promise<void> }[] = [];
    try {
      const source = join(work, 'seed');
      const files = await generatePayload(join(source, 'bt-demo'), size);
      say(
        `1. generated ${files.length} files, ${formatBytes(size)}, in ${join(source, 'bt-demo')}`,
      );

      const address = await tracker.listen({ port: 0, host: '127.0.0.1' });
      const announce = `http://127.0.0.1:${address.port}/announce`;
      say(`2. tracker listening at ${announce}`);

      const { metainfo } = await createTorrent(join(source, 'bt-demo'), {
        trackers: [announce],
        pieceLength: 1024 * 1024,
        createdBy: 'bt demo',
        signal: context.signal,
      });
      say(
        `   torrent ${metainfo.name}: ${metainfo.pieceCount} pieces, info-hash ${metainfo.infoHashHex}`,
      );

      const seeder = await createSession({ port: 0, host: '127.0.0.1' });
      sessions.push(seeder);
      const seeding = await seeder.addTorrent(metainfo, { directory: source });
      await seeding.whenComplete(context.signal);
      say(`3. seeder checked the data and seeds on port ${seeder.port}`);

      const leecher = await createSession({ port: 0, host: '127.0.0.1' });
      sessions.push(leecher);
      const target = join(work, 'download');
      const started = performance.now();
      const torrent = await leecher.addTorrent(metainfo, {
        directory: target,
        downloadLimit: rate,
      });
      say(
        `4. downloader on port ${leecher.port} asks the tracker for peers and downloads into ${target}${rate > 0 ? ` (at most ${formatRate(rate)})` : ''}`,
      );
      const display = new TorrentDisplay(leecher, torrent, {
        stream: context.stderr,
        jsonStream: context.stdout,
        json,
        label: 'demo',
        lineInterval: 2,
        quietEvents: ['check-progress', 'piece-verified'],
        stopsWhenComplete: true,
      });
      display.start();
      try {
        await torrent.whenComplete(context.signal);
      } finally {
        display.stop();
      }
      const seconds = (performance.now() - started) / 1000;
      say(
        `   downloaded ${formatBytes(size)} in ${formatDuration(seconds)} (${formatRate(size / seconds)})`,
      );

      let same = true;
      for (const file of files) {
        const [original, copy] = await Promise.all([
          sha1(join(source, 'bt-demo', file)),
          sha1(join(target, 'bt-demo', file)),
        ]);
        if (original !== copy) {
          same = false;
          say(`   MISMATCH ${file}`);
        }
      }
      say(
        same
          ? `5. verified: all ${files.length} files are identical to the originals`
          : '5. the download differs from the original',
      );
      return same ? ExitCode.ok : ExitCode.negative;
    } finally {
      await Promise.allSettled(sessions.map((session) => session.close()));
      await tracker.close().catch(() => undefined);
      if (booleanOption(context, 'keep')) say(`kept ${work}`);
      else await rm(work, { recursive: true, force: true });
    }
  },
};

/** A small tree of random files adding up to `size` bytes; returns their relative paths. */
async function generatePayload(root: string, size: number): Promise<string[]> {
  const layout: [string, number][] = [
    ['README.txt', 0],
    ['photos/beach.raw', 0.125],
    ['photos/mountain.raw', 0.125],
    ['video/clip.raw', 0.75],
  ];
  const files: string[] = [];
  let left = size;
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (const [path, share] of layout) {
    const target = join(root, path);
    await mkdir(join(target, '..'), { recursive: true });
    const handle = await open(target, 'w');
    try {
      if (share === 0) {
        await handle.write(
          'This folder was made by `bt demo` and travelled over a loopback BitTorrent swarm.\n',
        );
      } else {
        let bytes = path.startsWith('video') ? left : Math.floor(size * share);
        left -= bytes;
        while (bytes > 0) {
          randomFillSync(chunk);
          const length = Math.min(bytes, chunk.length);
          await handle.write(chunk, 0, length);
          bytes -= length;
        }
      }
    } finally {
      await handle.close();
    }
    files.push(path);
  }
  return files;
}

async function sha1(path: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
