/**
 * `bt stream`: downloads a torrent and serves one of its files over HTTP while it downloads,
 * for mpv, VLC or a browser. The reads wait for their pieces, which are fetched first (piece
 * deadlines); the server is `startStreamServer` of `@bt/session/node`, the one btd uses too.
 */
import { resolve } from 'node:path';
import type { Metainfo } from '@bt/metainfo';
import type { Session, Torrent } from '@bt/session';
import { startStreamServer } from '@bt/session/node';
import {
  booleanOption,
  type Command,
  type CommandContext,
  CommandError,
  ExitCode,
  integerOption,
  stringOption,
  UsageError,
} from '../command.js';
import { checkOutputFolder } from '../folder-checks.js';
import {
  DISCOVERY_HELP,
  discoveryOptions,
  discoveryOptionsConfig,
  encryptionOption,
  ENCRYPTION_HELP,
  peerOptions,
  rateOption,
  sessionOptionsConfig,
  startSession,
  transportOption,
  TRANSPORT_HELP,
} from '../session-options.js';
import { readTorrent } from '../torrent-file.js';
import { formatBytes, printable } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';
import { fetchMagnet, isMagnet } from './download-magnet.js';

export const streamCommand: Command = {
  name: 'stream',
  summary: 'serve a file of a torrent over HTTP while it downloads (for mpv, VLC)',
  usage:
    'bt stream <file.torrent | magnet> [--file N] [--port P] [--host H] [-o DIR] [--peer-port N] [--peer HOST:PORT]... [--max-peers N] [--limit-down R] [--limit-up R] [--encryption P] [--dht-bootstrap HOST:PORT]... [--no-dht] [--state-dir DIR] [--no-lpd] [--no-pex] [--json]',
  help: `Downloads the torrent into DIR/<torrent name> as 'bt download' does, and serves file N over
HTTP from the start: it prints a URL to open in mpv, VLC or a browser. The server answers
Range requests (seeking), HEAD, and names the type from the file's extension. A read waits for
the pieces it needs, and those pieces, at and just ahead of each reader's position, are
fetched before anything else (from the fastest peers, and from two at once when late); the
first and last pieces of the file come early, since media containers read their ends first.
Several players may read at once. It keeps serving, and seeding, until Ctrl-C.

Options:
      --file N         the file to serve, numbered from 1 in torrent order as 'bt info' lists
                       them (default: the largest file)
      --port P         the HTTP port (default: a free one)
      --host H         the HTTP address (default 127.0.0.1; 0.0.0.0 serves the network)
  -o, --output DIR     the download folder (default: the current folder)
      --peer-port N    TCP port to accept peers on (default 6881, or a free one if taken)
${ENCRYPTION_HELP}
${TRANSPORT_HELP}
      --peer HOST:PORT a peer to connect to; repeatable
      --max-peers N    most connections for this torrent (default 50)
      --limit-down R   download rate limit, e.g. 500K, 2M (bytes per second)
      --limit-up R     upload rate limit
${DISCOVERY_HELP}
      --json           newline-delimited JSON events on stdout; the first after the metadata
                       is {"type":"stream-ready","url",...}

Exit codes: 3 could not run (bad torrent, no such file, the HTTP port taken, folder not
writable); 130/143 stopped by Ctrl-C or SIGTERM (the normal end).

Examples:
  mpv "$(bt stream movie.torrent --json | jq -r 'select(.type=="stream-ready") | .url' | head -1)"
  bt stream 'magnet:?xt=urn:btih:...' --file 2 --port 8888
  bt stream series.torrent --host 0.0.0.0 --port 8080 -o ~/Videos`,
  options: {
    ...sessionOptionsConfig,
    ...discoveryOptionsConfig,
    file: { type: 'string' },
    host: { type: 'string' },
    'peer-port': { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const directory = resolve(context.cwd, stringOption(context, 'output') ?? '.');
    const httpPort = integerOption(context, 'port', { min: 0, max: 65535 }) ?? 0;
    const host = stringOption(context, 'host') ?? '127.0.0.1';
    const fileNumber = integerOption(context, 'file', { min: 1, max: 1_000_000 });
    const peerPort = integerOption(context, 'peer-port', { min: 0, max: 65535 });
    const sessionOptions = {
      ...discoveryOptions(context),
      encryption: encryptionOption(context),
      transportMode: transportOption(context),
    };
    const addOptions = {
      directory,
      peers: peerOptions(context),
      seed: true,
      maxPeers: integerOption(context, 'max-peers', { min: 1, max: 10_000 }),
      downloadLimit: rateOption(context, 'limit-down'),
      uploadLimit: rateOption(context, 'limit-up'),
    };
    const target = context.positionals[0]!;
    let metainfo: Metainfo | undefined;
    if (!isMagnet(target)) {
      metainfo = await readTorrent(target, context.cwd);
      chooseFile(metainfo, fileNumber);
      await checkOutputFolder(metainfo, directory, '-o');
    }
    const session = await startSession(peerPort, sessionOptions);
    try {
      let torrent: Torrent;
      if (metainfo) {
        torrent = await session.addTorrent(metainfo, addOptions);
      } else {
        const fetched = await fetchMagnet(context, session, target, { ...addOptions, json });
        if (typeof fetched === 'number') return fetched;
        ({ torrent, metainfo } = fetched);
      }
      return await serve(context, session, torrent, metainfo, {
        json,
        host,
        port: httpPort,
        fileIndex: chooseFile(metainfo, fileNumber),
      });
    } finally {
      await session.close();
    }
  },
};

/** The file to serve (from 0): `--file N` (from 1), else the largest. */
function chooseFile(metainfo: Metainfo, fileNumber: number | undefined): number {
  const { files } = metainfo;
  if (fileNumber !== undefined) {
    const file = files[fileNumber - 1];
    if (!file || file.padding)
      throw new UsageError(
        `--file ${fileNumber}: the torrent has ${files.filter((each) => !each.padding).length} file(s); 'bt info' lists them`,
      );
    return fileNumber - 1;
  }
  let largest = 0;
  files.forEach((file, index) => {
    if (!file.padding && file.length > files[largest]!.length) largest = index;
  });
  return largest;
}

async function serve(
  context: CommandContext,
  session: Session,
  torrent: Torrent,
  metainfo: Metainfo,
  options: { json: boolean; host: string; port: number; fileIndex: number },
): Promise<number> {
  const { json, fileIndex } = options;
  let server;
  try {
    server = await startStreamServer({
      torrent,
      fileIndex,
      host: options.host,
      port: options.port,
    });
  } catch (error) {
    throw new CommandError(
      'invalid-input',
      `cannot serve HTTP on ${options.host}:${options.port}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const file = metainfo.files[fileIndex]!;
  const display = new TorrentDisplay(session, torrent, {
    stream: context.stderr,
    jsonStream: context.stdout,
    json,
    label: 'stream',
    quietEvents: ['check-progress', 'piece-verified'],
  });
  if (json) {
    context.stdout.write(
      `${JSON.stringify({
        type: 'stream-ready',
        time: new Date().toISOString(),
        url: server.url,
        infoHash: torrent.infoHashHex,
        file: file.path.join('/'),
        fileNumber: fileIndex + 1,
        length: file.length,
      })}\n`,
    );
  } else {
    context.stderr.write(
      `streaming ${printable(file.path.join('/'))} (${formatBytes(file.length)}, file ${fileIndex + 1} of ${metainfo.files.length}); open in mpv or VLC:\n`,
    );
    context.stdout.write(`${server.url}\n`);
  }
  display.start();
  try {
    await new Promise<void>((resolveWait, reject) => {
      const offError = torrent.on('torrent-error', ({ error }) => reject(error));
      const stop = (): void => {
        offError();
        resolveWait();
      };
      if (context.signal.aborted) stop();
      context.signal.addEventListener('abort', stop, { once: true });
    });
  } finally {
    await server.close();
  }
  display.stop('stopped streaming');
  return ExitCode.interrupted;
}
