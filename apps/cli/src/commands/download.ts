/**
 * `bt download`: downloads a torrent into a folder, verifies every piece, and exits 0 (or keeps
 * seeding with `--seed`). Ctrl-C stops cleanly; the same command again resumes. The engine is
 * `@bt/session`; this file checks the folder, parses options and shows progress.
 */
import { resolve } from 'node:path';
import {
  booleanOption,
  type Command,
  type CommandContext,
  ExitCode,
  integerOption,
  stringOption,
  UsageError,
} from '../command.js';
import { checkOutputFolder, describeDiskFailure } from '../folder-checks.js';
import { type Metainfo } from '@bt/metainfo';
import type { Session, Torrent } from '@bt/session';
import {
  DISCOVERY_HELP,
  discoveryOptions,
  discoveryOptionsConfig,
  peerOptions,
  encryptionOption,
  ENCRYPTION_HELP,
  transportOption,
  TRANSPORT_HELP,
  portOption,
  rateOption,
  sessionOptionsConfig,
  startSession,
} from '../session-options.js';
import { readTorrent } from '../torrent-file.js';
import { formatBytes, formatDuration, formatPercent, formatRate, printable } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';
import { fetchMagnet, isMagnet } from './download-magnet.js';
import {
  describeSelection,
  fileSelectionSpec,
  resolveFileSelection,
  SELECTION_HELP,
  wantedFilesOf,
} from '../file-selection.js';

export const downloadCommand: Command = {
  name: 'download',
  summary: 'download a torrent, verify it, and optionally keep seeding',
  usage:
    'bt download <file.torrent | magnet> [-o DIR] [--port N] [--peer HOST:PORT]... [--seed] [--max-peers N] [--limit-down R] [--limit-up R] [--encryption P] [--sequential] [--dht-bootstrap HOST:PORT]... [--no-dht] [--state-dir DIR] [--no-lpd] [--no-pex] [--metadata-only] [--select LIST] [--exclude LIST] [--priority P:LIST]... [--json]',
  help: `Downloads the torrent's content into DIR/<torrent name>, checking every piece's SHA-1, and
exits once every piece is verified on disk. Peers come from the torrent's trackers (HTTP and
UDP, BEP 12 tiers), the DHT (BEP 5), clients on the local network (BEP 14, unless --no-lpd),
what connected peers tell of others (BEP 11, unless --no-pex) and --peer; a private torrent
uses only its trackers and --peer. Data already in DIR is checked first and only what is missing is fetched, so running the same command again resumes an interrupted
download. Before it waits on any peer it checks that DIR can be written and has the space
still needed.

Magnet links: instead of a .torrent file, a 'magnet:?xt=urn:btih:<info-hash>...' link (hex or
base32 info-hash). The torrent's info dictionary (its file list and piece hashes) is fetched
from peers first (BEP 9: 16 KiB pieces from several peers at once, checked against the
info-hash; a peer that lies is banned), then the download goes on as from a file. Peers come
from the link's trackers (tr=), its peers (x.pe=), the DHT and --peer. dn= names it until the
metadata arrives. so= (BEP 53) selects files, numbered from 0 there, unless --select,
--exclude or --priority is given.

Selecting files: --select and --exclude take file numbers from 1 in torrent order, as
'bt info' lists them (aria2c's --select-file counts the same way): '1,3-5'. Only the chosen
files are created; where a piece also covers a file not chosen, that file's bytes are kept in
one part file, DIR/<name>/.bt.parts, never as a stray partial file. The download is done (exit
0) when every chosen file is verified; running again with more files fetches only what is
missing and moves the part file's bytes into place.

Options:
  -o, --output DIR     the download folder (default: the current folder)
      --port N         TCP port to accept peers on (default 6881, or a free one if taken)
${ENCRYPTION_HELP}
${TRANSPORT_HELP}
      --peer HOST:PORT a peer to connect to; repeatable ([::1]:6881 for IPv6)
      --seed           keep seeding after the download completes, until Ctrl-C
      --max-peers N    most connections for this torrent (default 50)
      --limit-down R   download rate limit, e.g. 500K, 2M, 1.5MiB (bytes per second)
      --limit-up R     upload rate limit
      --sequential     fetch pieces in order (for previewing media) instead of rarest first
      --metadata-only  with a magnet: fetch the metadata only and write DIR/<name>.torrent
                       (its info dictionary byte for byte the original); no payload is written
${SELECTION_HELP}
${DISCOVERY_HELP}
      --json           newline-delimited JSON events on stdout instead of the display; each
                       has a type and a time; an error is {"type":"error","code","message"}

Display: on a terminal a progress bar with rates, ETA, peers and seeds over the table of
sources (each tracker: working or its error, next update, seeds, peers), fitted to its width;
elsewhere a line every few seconds, the reason when nothing arrives (tracker errors, no
peers), and the source table whenever it changes.

Exit codes: 0 every piece (of the chosen files) verified; 2 a wrong command line (a file number
0, past the last file, or a malformed list: nothing is done); 3 could not run (bad torrent, folder not writable, not
enough space, disk error: the verified data is kept); 129/130/143 stopped by SIGHUP, Ctrl-C,
SIGTERM, 141 the output was closed (a stopped announce is sent and written data is flushed;
run again to resume).

Examples:
  bt download ubuntu.iso.torrent -o ~/Downloads
  bt download 'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=file.iso' -o ~/Downloads
  bt download 'magnet:?xt=urn:btih:...' --metadata-only -o ~/torrents
  bt download 'magnet:?xt=urn:btih:...&x.pe=10.0.0.5:51413' --no-dht
  bt download 'magnet:?xt=urn:btih:...' --dht-bootstrap 192.168.1.2:6881
  bt download album.torrent --peer 192.168.1.20:51413 --seed
  bt download album.torrent --select 1,3-5 --priority high:3
  bt download album.torrent --exclude 2 --priority low:7-9
  bt download big.torrent --limit-down 2M --json | jq -c 'select(.type=="stats") | .progress'`,
  options: {
    ...sessionOptionsConfig,
    ...discoveryOptionsConfig,
    'metadata-only': { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    seed: { type: 'boolean' },
    sequential: { type: 'boolean' },
    select: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    priority: { type: 'string', multiple: true },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const seed = booleanOption(context, 'seed');
    const directory = resolve(context.cwd, stringOption(context, 'output') ?? '.');
    const port = portOption(context);
    const encryption = encryptionOption(context);
    const transportMode = transportOption(context);
    const peers = peerOptions(context);
    const maxPeers = integerOption(context, 'max-peers', { min: 1, max: 10_000 });
    const downloadLimit = rateOption(context, 'limit-down');
    const uploadLimit = rateOption(context, 'limit-up');
    const target = context.positionals[0]!;
    const discovery = discoveryOptions(context);
    // the syntax is checked now, the file numbers once the files are known
    const fileSelection = fileSelectionSpec(context);
    const addOptions = {
      directory,
      peers,
      seed: true,
      sequential: booleanOption(context, 'sequential'),
      maxPeers,
      downloadLimit,
      uploadLimit,
    };
    if (isMagnet(target)) {
      const session = await startSession(port, { ...discovery, encryption, transportMode });
      try {
        const fetched = await fetchMagnet(context, session, target, {
          ...addOptions,
          json,
          metadataOnly: booleanOption(context, 'metadata-only'),
          fileSelection,
        });
        if (typeof fetched === 'number') return fetched;
        return await follow(context, session, fetched.torrent, fetched.metainfo, directory, {
          json,
          seed,
          started: fetched.started,
        });
      } finally {
        await session.close();
      }
    }
    if (booleanOption(context, 'metadata-only'))
      throw new UsageError('--metadata-only is for magnet links');
    const metainfo = await readTorrent(target, context.cwd);
    const selection =
      fileSelection === undefined ? undefined : resolveFileSelection(fileSelection, metainfo.files);
    await checkOutputFolder(metainfo, directory, '-o', wantedFilesOf(selection, metainfo.files));
    const session = await startSession(port, {
      encryption,
      transportMode,
      ...discoveryOptions(context),
    });
    try {
      const started = performance.now();
      const torrent = await session.addTorrent(metainfo, { ...addOptions, selection });
      if (selection !== undefined && !json)
        context.stderr.write(
          `selected: ${describeSelection(selection, metainfo.files, formatBytes)}\n`,
        );
      return await follow(context, session, torrent, metainfo, directory, { json, seed, started });
    } finally {
      await session.close();
    }
  },
};

/** Shows a download to its end (or seeds on with `--seed`); the exit code. */
async function follow(
  context: CommandContext,
  session: Session,
  torrent: Torrent,
  metainfo: Metainfo,
  directory: string,
  options: { json: boolean; seed: boolean; started: number },
): Promise<number> {
  const { json, seed, started } = options;
  const display = new TorrentDisplay(session, torrent, {
    stream: context.stderr,
    jsonStream: context.stdout,
    json,
    label: 'download',
    quietEvents: ['check-progress'],
    stopsWhenComplete: !seed,
  });
  let onDisk = 0;
  torrent.on('check-finished', ({ piecesHave, pieceCount }) => {
    onDisk = torrent.stats().wantedVerifiedBytes;
    if (json) return;
    const have =
      piecesHave === 0
        ? 'nothing on disk yet'
        : `${formatBytes(onDisk)} of ${formatBytes(torrent.stats().wantedBytes)} (${formatPercent(piecesHave / Math.max(1, pieceCount))}, ${piecesHave}/${pieceCount} pieces) already on disk, verified: resuming`;
    display.message(`checked: ${have}; listening on port ${session.port}`);
  });
  display.start();
  try {
    await torrent.whenComplete(context.signal);
  } catch (error) {
    if (context.signal.aborted) {
      display.stop('stopped; run the same command again to resume');
      return ExitCode.interrupted;
    }
    display.stop();
    throw (
      (await describeDiskFailure(error, metainfo, directory, torrent.stats().verifiedBytes)) ??
      error
    );
  }
  if (!seed) {
    const seconds = (performance.now() - started) / 1000;
    const wanted = torrent.stats().wantedBytes;
    const fetched = Math.max(0, wanted - onDisk);
    display.stop(
      `done: ${formatBytes(wanted)} verified in ${printable(resolve(directory, metainfo.name))}; ` +
        (fetched > 0
          ? `${formatBytes(fetched)} downloaded in ${formatDuration(seconds)} (${formatRate(fetched / Math.max(seconds, 1e-3))})`
          : 'it was all on disk already'),
    );
    return ExitCode.ok;
  }
  // seeding until stopped
  await new Promise<void>((resolveWait) => {
    if (context.signal.aborted) resolveWait();
    context.signal.addEventListener('abort', () => resolveWait(), { once: true });
  });
  const stats = torrent.stats();
  display.stop(`stopped seeding: uploaded ${formatBytes(stats.uploaded)}`);
  return ExitCode.ok;
}
