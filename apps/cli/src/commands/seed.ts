/**
 * `bt seed`: checks a torrent's data and seeds it until stopped. The engine is `@bt/session`.
 */
import { resolve } from 'node:path';
import {
  booleanOption,
  type Command,
  ExitCode,
  integerOption,
  stringOption,
  UsageError,
} from '../command.js';
import { checkOutputFolder, checkSeedData, describeDiskFailure } from '../folder-checks.js';
import {
  DISCOVERY_HELP,
  discoveryOptions,
  peerOptions,
  encryptionOption,
  ENCRYPTION_HELP,
  transportOption,
  TRANSPORT_HELP,
  discoveryOptionsConfig,
  portOption,
  rateOption,
  sessionOptionsConfig,
  startSession,
} from '../session-options.js';
import { readTorrent } from '../torrent-file.js';
import { formatBytes, formatPercent, shareRatio } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';

export const seedCommand: Command = {
  name: 'seed',
  summary: "check a torrent's data and seed it until stopped",
  usage:
    'bt seed <file.torrent> --data DIR [--allow-download] [--port N] [--peer HOST:PORT]... [--max-peers N] [--limit-up R] [--encryption P] [--dht-bootstrap HOST:PORT]... [--no-dht] [--state-dir DIR] [--no-lpd] [--no-pex] [--json]',
  help: `Hashes the torrent's content under DIR (the folder that holds the file or folder named by
the torrent, as -o of 'bt download' makes it), announces to the torrent's trackers and to the
DHT (BEP 5; never for a private torrent), serves the metadata to magnet users (BEP 9) and serves
every peer that asks, until Ctrl-C. The data must be there: a DIR that does not exist or holds
none of the torrent's files is an error. Pieces missing from a partial copy are downloaded
from peers first, so it becomes a full seed.

Options:
      --data DIR       the folder holding the torrent's content (required)
      --allow-download fetch the content from peers when DIR does not hold it (the same as
                       'bt download -o DIR --seed')
      --port N         TCP port to accept peers on (default 6881, or a free one if taken)
${ENCRYPTION_HELP}
${TRANSPORT_HELP}
      --peer HOST:PORT a peer to connect to; repeatable
      --max-peers N    most connections (default 50)
      --limit-up R     upload rate limit, e.g. 500K, 2M (bytes per second)
      --limit-down R   download rate limit while completing missing pieces
${DISCOVERY_HELP}
      --json           newline-delimited JSON events on stdout instead of the display; each
                       has a type and a time

Display: the upload rate, the total uploaded, and the share ratio (uploaded over downloaded,
or over the torrent's size when nothing was downloaded).

Exit codes: 129/130/143 stopped by SIGHUP, Ctrl-C, SIGTERM (the normal end of seeding); 141
the output was closed; 3 could not run (bad torrent, no data in DIR, unreadable data).

Examples:
  bt seed ubuntu.iso.torrent --data ~/Downloads
  bt seed album.torrent --data /srv/music --port 51413 --limit-up 1M`,
  options: {
    ...sessionOptionsConfig,
    ...discoveryOptionsConfig,
    data: { type: 'string' },
    'allow-download': { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const data = stringOption(context, 'data');
    if (data === undefined || data === '') throw new UsageError('--data DIR is required');
    const directory = resolve(context.cwd, data);
    const port = portOption(context);
    const encryption = encryptionOption(context);
    const transportMode = transportOption(context);
    const peers = peerOptions(context);
    const maxPeers = integerOption(context, 'max-peers', { min: 1, max: 10_000 });
    const downloadLimit = rateOption(context, 'limit-down');
    const uploadLimit = rateOption(context, 'limit-up');
    const metainfo = await readTorrent(context.positionals[0]!, context.cwd);
    if (booleanOption(context, 'allow-download'))
      await checkOutputFolder(metainfo, directory, '--data');
    else await checkSeedData(metainfo, directory);
    const session = await startSession(port, {
      encryption,
      transportMode,
      ...discoveryOptions(context),
    });
    try {
      const torrent = await session.addTorrent(metainfo, {
        directory,
        peers,
        seed: true,
        maxPeers,
        downloadLimit,
        uploadLimit,
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
          display.message(
            `checked: ${piecesHave}/${pieceCount} pieces (${formatPercent(piecesHave / Math.max(1, pieceCount))}) on disk; listening on port ${session.port}`,
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
      const stats = torrent.stats();
      const ratio = shareRatio(stats.uploaded, stats.downloaded, stats.totalBytes);
      display.stop(
        outcome
          ? undefined
          : `stopped seeding: uploaded ${formatBytes(stats.uploaded)}, ratio ${ratio.toFixed(2)}`,
      );
      if (outcome)
        throw (
          (await describeDiskFailure(outcome, metainfo, directory, stats.verifiedBytes)) ?? outcome
        );
      return ExitCode.ok;
    } finally {
      await session.close();
    }
  },
};
