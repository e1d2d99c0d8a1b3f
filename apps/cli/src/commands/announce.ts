/** `bt announce`: one announce to one tracker, and what it answers. The protocol is in the tracker packages. */
import {
  type AnnounceEvent,
  describePeerId,
  formatPeerAddress,
  generatePeerId,
  toHex,
} from '@bt/primitives';
import {
  booleanOption,
  type Command,
  ExitCode,
  integerOption,
  stringOption,
  UsageError,
} from '../command.js';
import { describeTrackerFailure, readTarget, TrackerClients } from '../tracker-clients.js';
import { formatDuration, printable } from '../ui/format.js';

const EVENTS = ['started', 'completed', 'stopped', 'none'] as const;

export const announceCommand: Command = {
  name: 'announce',
  summary: 'announce to a tracker and print the peers and counts it returns',
  usage:
    'bt announce <file.torrent | magnet | info-hash> [--tracker URL] [--event started] [--port N] [--json]',
  help: `Sends one announce (BEP 3 over HTTP/HTTPS, BEP 15 over UDP) as a peer of the torrent and
prints what the tracker answers: seeders, leechers, the announce interval and the peers it
lists. The client is chosen by the URL's scheme. The announce registers this peer id with the
tracker until it expires; send --event stopped with --peer-id to leave at once.

Options:
  --tracker URL     the tracker (http://, https:// or udp://); default: the torrent's first
  --event EVENT     started (default), completed, stopped or none (a regular announce)
  --port N          the port peers should connect to (default 6881)
  --left N          bytes still needed (default: the torrent's size, or 1 for a bare info-hash)
  --numwant N       peers wanted (default 50)
  --peer-id HEX     the peer id, 40 hex digits (default: a fresh -BT0001- id)
  --timeout SECS    give up after this long (default 15)
  --json            one JSON object: tracker, infoHash, interval, minInterval, complete,
                    incomplete, warning, trackerId, peers [{host, port, family, peerId}]

Exit codes: 0 the tracker answered; 1 the tracker refused (its failure reason is printed);
3 no usable answer (network, timeout, malformed response).

Examples:
  bt announce ubuntu.iso.torrent
  bt announce 0123456789abcdef0123456789abcdef01234567 --tracker udp://tracker.example:6969/announce
  bt announce file.torrent --tracker http://127.0.0.1:6969/announce --event stopped --json`,
  options: {
    tracker: { type: 'string' },
    event: { type: 'string' },
    port: { type: 'string' },
    left: { type: 'string' },
    numwant: { type: 'string' },
    'peer-id': { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const eventText = stringOption(context, 'event') ?? 'started';
    if (!(EVENTS as readonly string[]).includes(eventText)) {
      throw new UsageError(`--event is one of ${EVENTS.join(', ')}`);
    }
    const event = eventText as AnnounceEvent;
    const port = integerOption(context, 'port', { min: 0, max: 65535 }) ?? 6881;
    const numwant = integerOption(context, 'numwant', { min: 0, max: 10_000 }) ?? 50;
    const timeoutMs = (integerOption(context, 'timeout', { min: 1, max: 3600 }) ?? 15) * 1000;
    const peerIdText = stringOption(context, 'peer-id');
    if (peerIdText !== undefined && !/^[0-9a-fA-F]{40}$/.test(peerIdText))
      throw new UsageError('--peer-id is 40 hex digits');
    const target = await readTarget(context.positionals[0]!, context.cwd);
    const tracker = stringOption(context, 'tracker') ?? target.trackers[0];
    if (tracker === undefined)
      throw new UsageError('no tracker: give --tracker URL (the input names none)');
    const left = integerOption(context, 'left', { min: 0 }) ?? target.length ?? 1;
    const peerId =
      peerIdText === undefined ? generatePeerId() : Uint8Array.from(Buffer.from(peerIdText, 'hex'));

    const clients = new TrackerClients(timeoutMs);
    try {
      const result = await clients.announce(
        tracker,
        {
          infoHash: target.infoHash,
          peerId,
          port,
          uploaded: 0,
          downloaded: 0,
          left,
          event,
          numwant,
        },
        context.signal,
      );
      if (json) {
        const output = {
          tracker,
          infoHash: target.infoHashHex,
          peerId: toHex(peerId),
          interval: result.interval,
          minInterval: result.minInterval ?? null,
          complete: result.complete ?? null,
          incomplete: result.incomplete ?? null,
          warning: result.warning ?? null,
          trackerId: result.trackerId ?? null,
          peers: result.peers.map((peer) => ({
            host: peer.host,
            port: peer.port,
            family: peer.family,
            peerId: peer.peerId ? toHex(peer.peerId) : null,
          })),
        };
        context.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      } else {
        const counts =
          result.complete === undefined && result.incomplete === undefined
            ? 'no counts'
            : `${result.complete ?? '?'} seeders, ${result.incomplete ?? '?'} leechers`;
        const minimum =
          result.minInterval === undefined
            ? ''
            : ` (at least ${formatDuration(result.minInterval)})`;
        const lines = [
          `${printable(tracker)}: ${counts}; announce again in ${formatDuration(result.interval)}${minimum}`,
        ];
        if (result.warning !== undefined) lines.push(`warning: ${printable(result.warning)}`);
        lines.push(
          `${result.peers.length} peer${result.peers.length === 1 ? '' : 's'}${result.peers.length > 0 ? ':' : ''}`,
        );
        for (const peer of result.peers) {
          lines.push(
            `  ${formatPeerAddress(peer)}${peer.peerId ? `  ${describePeerId(peer.peerId)}` : ''}`,
          );
        }
        context.stdout.write(`${lines.join('\n')}\n`);
      }
      return ExitCode.ok;
    } catch (error) {
      if (context.signal.aborted) throw error;
      const failure = describeTrackerFailure(error, timeoutMs);
      if (json) {
        context.stdout.write(
          `${JSON.stringify({ tracker, infoHash: target.infoHashHex, error: { code: failure.code, message: failure.message } }, null, 2)}\n`,
        );
      }
      context.stderr.write(`bt announce: ${printable(tracker)}: ${printable(failure.message)}\n`);
      return failure.refused ? ExitCode.negative : ExitCode.error;
    } finally {
      await clients.close();
    }
  },
};
