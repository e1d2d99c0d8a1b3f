/**
 * `bt download`: downloads a torrent into a folder, verifies every piece, and exits 0 (or keeps
 * seeding with `--seed`). Ctrl-C stops cleanly; the same command again resumes. The engine is
 * `@bt/session`; this file parses options and shows progress.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseTorrent } from '@bt/metainfo';
import { booleanOption, type Command, ExitCode, integerOption, stringOption } from '../command.js';
import { peerOptions, rateOption, sessionOptionsConfig, startSession } from '../session-options.js';
import { formatBytes } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';

export const downloadCommand: Command = {
  name: 'download',
  summary: 'download a torrent, verify it, and optionally keep seeding',
  usage:
    'bt download <file.torrent> [-o DIR] [--port N] [--peer HOST:PORT]... [--seed] [--max-peers N] [--limit-down R] [--limit-up R] [--sequential] [--json]',
  help: `Downloads the torrent's content into DIR/<torrent name>, checking every piece's SHA-1, and
exits once every piece is verified on disk. Peers come from the torrent's trackers (HTTP and
UDP, BEP 12 tiers) and from --peer. Data already in DIR is checked first and only what is
missing is fetched, so running the same command again resumes an interrupted download.

Options:
  -o, --output DIR     the download folder (default: the current folder)
      --port N         TCP port to accept peers on (default 6881, or a free one if taken)
      --peer HOST:PORT a peer to connect to; repeatable ([::1]:6881 for IPv6)
      --seed           keep seeding after the download completes, until Ctrl-C
      --max-peers N    most connections for this torrent (default 50)
      --limit-down R   download rate limit, e.g. 500K, 2M, 1.5MiB (bytes per second)
      --limit-up R     upload rate limit
      --sequential     fetch pieces in order (for previewing media) instead of rarest first
      --json           newline-delimited JSON events on stdout instead of the display

Display: on a terminal a progress bar with rates, ETA, peers and seeds over the table of
sources (each tracker: working or its error, next update, seeds, peers); elsewhere a line
every few seconds.

Exit codes: 0 every piece verified; 3 could not run (bad torrent, disk error); 130 stopped
by Ctrl-C (a stopped announce is sent and written data is flushed; run again to resume).

Examples:
  bt download ubuntu.iso.torrent -o ~/Downloads
  bt download album.torrent --peer 192.168.1.20:51413 --seed
  bt download big.torrent --limit-down 2M --json | jq -c 'select(.type=="stats") | .progress'`,
  options: {
    ...sessionOptionsConfig,
    output: { type: 'string', short: 'o' },
    seed: { type: 'boolean' },
    sequential: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const seed = booleanOption(context, 'seed');
    const directory = resolve(context.cwd, stringOption(context, 'output') ?? '.');
    const peers = peerOptions(context);
    const maxPeers = integerOption(context, 'max-peers', { min: 1, max: 10_000 });
    const downloadLimit = rateOption(context, 'limit-down');
    const uploadLimit = rateOption(context, 'limit-up');
    const metainfo = parseTorrent(await readFile(resolve(context.cwd, context.positionals[0]!)));
    const session = await startSession(context);
    try {
      const torrent = await session.addTorrent(metainfo, {
        directory,
        peers,
        seed: true,
        sequential: booleanOption(context, 'sequential'),
        maxPeers,
        downloadLimit,
        uploadLimit,
      });
      const display = new TorrentDisplay(session, torrent, {
        stream: context.stderr,
        jsonStream: context.stdout,
        json,
        label: 'download',
        quietEvents: ['check-progress'],
      });
      display.start();
      try {
        await torrent.whenComplete(context.signal);
      } catch (error) {
        display.stop(
          context.signal.aborted ? 'stopped; run the same command again to resume' : undefined,
        );
        if (context.signal.aborted) return ExitCode.interrupted;
        throw error;
      }
      if (!seed) {
        display.stop(
          `done: ${formatBytes(metainfo.length)} verified in ${resolve(directory, metainfo.name)}`,
        );
        return ExitCode.ok;
      }
      // seeding until stopped
      await new Promise<void>((resolveWait) => {
        if (context.signal.aborted) resolveWait();
        context.signal.addEventListener('abort', () => resolveWait(), { once: true });
      });
      display.stop('stopped seeding');
      return ExitCode.ok;
    } finally {
      await session.close();
    }
  },
};
