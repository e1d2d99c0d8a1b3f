/**
 * `bt seed`: checks a torrent's data and seeds it until stopped. The engine is `@bt/session`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseTorrent } from '@bt/metainfo';
import {
  booleanOption,
  type Command,
  ExitCode,
  integerOption,
  stringOption,
  UsageError,
} from '../command.js';
import { peerOptions, rateOption, sessionOptionsConfig, startSession } from '../session-options.js';
import { formatPercent } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';

export const seedCommand: Command = {
  name: 'seed',
  summary: "check a torrent's data and seed it until stopped",
  usage:
    'bt seed <file.torrent> --data DIR [--port N] [--peer HOST:PORT]... [--max-peers N] [--limit-up R] [--json]',
  help: `Hashes the torrent's content under DIR (the folder that holds the file or folder named by
the torrent, as -o of 'bt download' makes it), announces to the torrent's trackers and serves
every peer that asks, until Ctrl-C. Missing pieces are downloaded from peers first, so a
partial copy becomes a full seed.

Options:
      --data DIR       the folder holding the torrent's content (required)
      --port N         TCP port to accept peers on (default 6881, or a free one if taken)
      --peer HOST:PORT a peer to connect to; repeatable
      --max-peers N    most connections (default 50)
      --limit-up R     upload rate limit, e.g. 500K, 2M (bytes per second)
      --limit-down R   download rate limit while completing missing pieces
      --json           newline-delimited JSON events on stdout instead of the display

Exit codes: 0 stopped by Ctrl-C after seeding; 3 could not run (bad torrent, unreadable data).

Examples:
  bt seed ubuntu.iso.torrent --data ~/Downloads
  bt seed album.torrent --data /srv/music --port 51413 --limit-up 1M`,
  options: { ...sessionOptionsConfig, data: { type: 'string' } },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const data = stringOption(context, 'data');
    if (data === undefined || data === '') throw new UsageError('--data DIR is required');
    const peers = peerOptions(context);
    const maxPeers = integerOption(context, 'max-peers', { min: 1, max: 10_000 });
    const metainfo = parseTorrent(await readFile(resolve(context.cwd, context.positionals[0]!)));
    const session = await startSession(context);
    try {
      const torrent = await session.addTorrent(metainfo, {
        directory: resolve(context.cwd, data),
        peers,
        seed: true,
        maxPeers,
        downloadLimit: rateOption(context, 'limit-down'),
        uploadLimit: rateOption(context, 'limit-up'),
      });
      const display = new TorrentDisplay(session, torrent, {
        stream: context.stderr,
        jsonStream: context.stdout,
        json,
        label: 'seed',
        quietEvents: ['check-progress'],
      });
      if (!json) {
        torrent.on('check-finished', ({ piecesHave, pieceCount }) => {
          context.stderr.write(
            `checked: ${piecesHave}/${pieceCount} pieces (${formatPercent(piecesHave / Math.max(1, pieceCount))}) on disk; listening on port ${session.port}\n`,
          );
        });
      }
      display.start();
      const failed = new Promise<Error>((resolveError) =>
        torrent.on('torrent-error', ({ error }) => resolveError(error)),
      );
      const stopped = new Promise<void>((resolveWait) => {
        if (context.signal.aborted) resolveWait();
        context.signal.addEventListener('abort', () => resolveWait(), { once: true });
      });
      const outcome = await Promise.race([stopped.then(() => undefined), failed]);
      display.stop(outcome ? undefined : 'stopped seeding');
      if (outcome) throw outcome;
      return ExitCode.ok;
    } finally {
      await session.close();
    }
  },
};
