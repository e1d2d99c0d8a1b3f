/** `bt peer`: handshake with one peer and show what it says about itself. The protocol is @bt/wire's. */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describePeerId, formatPeerAddress, parsePeerAddress, toHex } from '@bt/primitives';
import {
  type ExtendedHandshake,
  ExtensionRegistry,
  type Message,
  type PeerWire,
  WireError,
} from '@bt/wire';
import { TcpTransport } from '@bt/wire/node';
import { booleanOption, type Command, ExitCode, integerOption, UsageError } from '../command.js';
import { readTorrent } from '../torrent-file.js';
import { readTarget } from '../tracker-clients.js';
import { printable } from '../ui/format.js';

interface PieceSet {
  kind: 'have-all' | 'have-none' | 'bitfield' | 'none-sent';
  /** Pieces the peer has, when known. */
  have?: number;
  /** The torrent's piece count, when known (from a .torrent file). */
  total?: number;
}

export const peerCommand: Command = {
  name: 'peer',
  summary: 'handshake with a peer and show its client, extensions and pieces',
  usage: 'bt peer <host:port> <file.torrent | magnet | info-hash> [--json] [--timeout SECS]',
  help: `Connects to one peer over TCP, does the BitTorrent handshake (BEP 3) for the torrent,
and the extension handshake (BEP 10) when the peer offers it, then prints what the peer says
about itself: its peer id and client, the extensions it announces (BEP 5 DHT, BEP 6 fast,
BEP 10), its extension messages (ut_metadata, ut_pex...), and which pieces it has. It tells
the peer it is interested and reports whether the peer unchokes. Nothing is downloaded.

Options:
  --timeout SECS    give up after this long (default 10); the peer has this long to unchoke
  --no-fast         do not announce the fast extension (BEP 6): the peer then sends a bitfield
                    instead of have-all or have-none
  --json            one JSON object: address, infoHash, peerId, client, extensions
                    {extended, fast, dht}, extendedHandshake {client, extensions, port,
                    requestQueueLength, metadataSize, yourIp}, pieces {kind, have, total}, unchoked

Exit codes: 0 the peer handshook for the torrent; 1 it refused (closed the connection or
answered for another torrent); 3 it could not be reached.

Examples:
  bt peer 127.0.0.1:6881 ubuntu.iso.torrent
  bt peer '[::1]:51413' 0123456789abcdef0123456789abcdef01234567 --json`,
  options: {
    timeout: { type: 'string' },
    'no-fast': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: [2, 2],
  async run(context) {
    const json = booleanOption(context, 'json');
    const timeoutMs = (integerOption(context, 'timeout', { min: 1, max: 3600 }) ?? 10) * 1000;
    let address;
    try {
      address = parsePeerAddress(context.positionals[0]!);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const input = context.positionals[1]!;
    const target = await readTarget(input, context.cwd);
    const pieceCount = await readPieceCount(input, context.cwd);
    const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);

    const transport = new TcpTransport({
      reserved: { fast: !booleanOption(context, 'no-fast'), extended: true, dht: false },
      extensions: new ExtensionRegistry(['ut_metadata', 'ut_pex']),
      handshakeTimeout: timeoutMs,
    });
    let wire: PeerWire;
    try {
      wire = await transport.dial(address, {
        peerId: randomPeerId(),
        infoHash: target.infoHash,
        pieceCount,
        signal,
      });
    } catch (error) {
      await transport.close();
      if (context.signal.aborted) throw error;
      if (!WireError.isInstance(error) || error.code !== 'connection-failed') {
        context.stderr.write(
          `bt peer: ${formatPeerAddress(address)}: ${printable(describe(error))}\n`,
        );
        return ExitCode.negative;
      }
      context.stderr.write(`bt peer: ${printable(describe(error))}\n`);
      return ExitCode.error;
    }

    // What the peer says after the handshake, kept (the wire lends its views for the call only).
    const peer = watch(wire);
    const handshake = wire.remoteHandshake!;
    if (wire.capabilities.extended) wire.sendExtendedHandshake({ client: 'bt' });
    const extended = wire.capabilities.extended
      ? await peer.until(() => peer.extended, signal)
      : undefined;
    wire.send({ type: 'interested' });
    const unchoked = (await peer.until(() => peer.unchoked || undefined, signal)) ?? false;
    wire.close();
    await transport.close();
    const messages = peer.messages;

    const pieces = pieceSet(messages, pieceCount);
    const extensions = handshake.extensions;
    if (json) {
      const output = {
        address: formatPeerAddress(address),
        infoHash: target.infoHashHex,
        peerId: toHex(handshake.peerId),
        client: peerIdText(handshake.peerId),
        extensions,
        extendedHandshake: extended && {
          client: extended.client,
          extensions: extended.extensions,
          port: extended.port,
          requestQueueLength: extended.requestQueueLength,
          metadataSize: extended.metadataSize,
          yourIp: extended.yourIp,
        },
        pieces,
        unchoked,
      };
      context.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      return ExitCode.ok;
    }
    const announced = [
      extensions.extended && 'BEP 10 extension protocol',
      extensions.fast && 'BEP 6 fast',
      extensions.dht && 'BEP 5 DHT',
    ].filter(Boolean);
    const lines = [
      ['peer', formatPeerAddress(address)],
      ['peer id', `${peerIdText(handshake.peerId)} (${toHex(handshake.peerId)})`],
      ['extensions', announced.length > 0 ? announced.join(', ') : 'none'],
    ];
    if (extended) {
      if (extended.client !== undefined) lines.push(['client', printable(extended.client)]);
      const names = Object.entries(extended.extensions).map(
        ([name, id]) => `${printable(name)}=${id}`,
      );
      lines.push(['messages', names.length > 0 ? names.join(' ') : 'none']);
      if (extended.metadataSize !== undefined)
        lines.push(['metadata', `${extended.metadataSize} bytes`]);
      if (extended.requestQueueLength !== undefined)
        lines.push(['reqq', String(extended.requestQueueLength)]);
      if (extended.port !== undefined) lines.push(['listen port', String(extended.port)]);
      if (extended.yourIp !== undefined) lines.push(['sees us at', printable(extended.yourIp)]);
    }
    lines.push(['pieces', describePieces(pieces)]);
    lines.push(['unchoked', unchoked ? 'yes' : `no (within ${timeoutMs / 1000} s)`]);
    const width = Math.max(...lines.map(([label]) => label!.length));
    context.stdout.write(
      lines.map(([label, value]) => `${label!.padEnd(width)}  ${value}`).join('\n') + '\n',
    );
    return ExitCode.ok;
  },
};

/** The piece count of a .torrent file; `undefined` for a magnet link or a bare info-hash. */
async function readPieceCount(input: string, cwd: string): Promise<number | undefined> {
  if (/^magnet:/i.test(input)) return undefined;
  if (/^([0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/.test(input)) {
    const isFile = await access(resolve(cwd, input)).then(
      () => true,
      () => false,
    );
    if (!isFile) return undefined;
  }
  return (await readTorrent(input, cwd)).pieceCount;
}

/** The client code of an Azureus-style id (`-TR3000-`), else its printable prefix (`A2-1-36-0-`...). */
function peerIdText(peerId: Uint8Array): string {
  const described = describePeerId(peerId);
  if (described !== toHex(peerId)) return described;
  let end = 0;
  while (end < peerId.length && peerId[end]! >= 0x20 && peerId[end]! <= 0x7e) end++;
  return end >= 3
    ? `${new TextDecoder().decode(peerId.subarray(0, end))}${end < peerId.length ? '…' : ''}`
    : described;
}

function randomPeerId(): Uint8Array {
  const peerId = new TextEncoder().encode('-BT0001-000000000000');
  crypto.getRandomValues(peerId.subarray(8));
  for (let i = 8; i < 20; i++) peerId[i] = 0x30 + (peerId[i]! % 10);
  return peerId;
}

/** A started wire's piece-set messages, extension handshake and unchoke, with a wait on them. */
function watch(wire: PeerWire): {
  messages: Message[];
  extended: ExtendedHandshake | undefined;
  unchoked: boolean;
  until<T>(read: () => T | undefined, signal: AbortSignal): Promise<T | undefined>;
} {
  let wake: (() => void) | undefined;
  let closed = false;
  const state = {
    messages: [] as Message[],
    extended: undefined as ExtendedHandshake | undefined,
    unchoked: false,
    /** Resolves with what `read` gives once it gives something; `undefined` when the peer closes or `signal` aborts first. */
    async until<T>(read: () => T | undefined, signal: AbortSignal): Promise<T | undefined> {
      for (;;) {
        const value = read();
        if (value !== undefined || closed || signal.aborted) return value;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            wake = undefined;
            signal.removeEventListener('abort', done);
            resolve();
          };
          wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
      }
    },
  };
  wire.start({
    onMessage: (message) => {
      if (message.type === 'bitfield')
        state.messages.push({ type: 'bitfield', bitfield: message.bitfield.slice() });
      else if (message.type === 'have-all' || message.type === 'have-none')
        state.messages.push(message);
      else if (message.type === 'extended-handshake') state.extended = message.handshake;
      else if (message.type === 'unchoke') state.unchoked = true;
      wake?.();
    },
    onClose: () => {
      closed = true;
      wake?.();
    },
  });
  return state;
}

function pieceSet(messages: Message[], total: number | undefined): PieceSet {
  for (const message of messages) {
    if (message.type === 'have-all') return { kind: 'have-all', have: total, total };
    if (message.type === 'have-none') return { kind: 'have-none', have: 0, total };
    if (message.type === 'bitfield') {
      let have = 0;
      for (const byte of message.bitfield) {
        for (let bits = byte; bits !== 0; bits &= bits - 1) have++;
      }
      return { kind: 'bitfield', have, total };
    }
  }
  return { kind: 'none-sent', total };
}

function describePieces(pieces: PieceSet): string {
  const of = pieces.total === undefined ? '' : ` of ${pieces.total}`;
  switch (pieces.kind) {
    case 'have-all':
      return `all${of} (have-all)`;
    case 'have-none':
      return `none${of} (have-none)`;
    case 'bitfield': {
      const share = pieces.total ? ` (${((100 * pieces.have!) / pieces.total).toFixed(1)}%)` : '';
      return `${pieces.have}${of}${share} (bitfield)`;
    }
    case 'none-sent':
      return 'not announced (no bitfield, have-all or have-none)';
  }
}

function describe(error: unknown): string {
  if (WireError.isInstance(error)) {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
