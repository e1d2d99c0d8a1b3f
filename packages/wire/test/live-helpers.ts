/**
 * Helpers for the live tests: a data file and its .torrent, read with `@bt/bencode` only (the
 * info-hash is the SHA-1 of the exact `info` bytes); a leech of some pieces from a real seeder
 * over our one peer shell (`PeerWire` from `TcpTransport`), every piece checked against the
 * torrent's SHA-1; and a seeder on the same shell that real leechers dial.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode, getBytes, getDictionary, getInteger, locate } from '@bt/bencode';
import { PATIENCE_MS } from '@bt/test-support';
import {
  type ExtendedHandshake,
  ExtensionRegistry,
  type HandshakeMessage,
  type Message,
  type PeerCapabilities,
  type PeerWire,
} from '../src/index.js';
import { type IncomingTcpPeer, TcpTransport } from '../src/node.js';

export interface TorrentFacts {
  infoHash: Uint8Array;
  pieceLength: number;
  length: number;
  pieceHashes: Uint8Array[];
}

export function readTorrent(bytes: Uint8Array): TorrentFacts {
  const root = decode(bytes);
  const span = locate(bytes, ['info']);
  if (!span || !(root instanceof Map)) throw new Error('not a torrent');
  const info = getDictionary(root, 'info');
  const pieces = info && getBytes(info, 'pieces');
  const pieceLength = info && getInteger(info, 'piece length');
  const length = info && getInteger(info, 'length');
  if (!pieces || typeof pieceLength !== 'number' || typeof length !== 'number')
    throw new Error('unexpected info dictionary');
  const pieceHashes: Uint8Array[] = [];
  for (let at = 0; at < pieces.length; at += 20) pieceHashes.push(pieces.subarray(at, at + 20));
  return {
    infoHash: createHash('sha1').update(bytes.subarray(span.start, span.end)).digest(),
    pieceLength,
    length,
    pieceHashes,
  };
}

export async function readTorrentFile(path: string): Promise<TorrentFacts> {
  return readTorrent(new Uint8Array(await readFile(path)));
}

/** A file of random bytes, not a multiple of 16 KiB, so the last piece and block are short. */
export async function writeDataFile(
  dir: string,
  name = 'data.bin',
  size = 5 * 32768 + 12_345,
): Promise<Buffer> {
  const data = randomBytes(size);
  await writeFile(join(dir, name), data);
  return data;
}

/** Our extensions in the live tests: what BEP 10 peers see in our `m`. */
export function registry(): ExtensionRegistry {
  return new ExtensionRegistry(['ut_metadata', 'ut_pex']);
}

/**
 * A started wire's messages (copied: the views are lent), with a wait for the next one that
 * matches. Ends with the wire's close reason when the wire closes first.
 */
export class MessageLog {
  readonly messages: Message[] = [];
  closed = false;
  closeReason: Error | undefined;
  readonly #waiters = new Set<() => void>();

  /** Starts `wire`; `react` sees each message first (as lent). */
  constructor(wire: PeerWire, react?: (message: Message) => void) {
    wire.start({
      onMessage: (message) => {
        react?.(message);
        this.messages.push(copyMessage(message));
        for (const wake of this.#waiters) wake();
      },
      onClose: (error) => {
        this.closed = true;
        this.closeReason = error;
        for (const wake of this.#waiters) wake();
      },
    });
  }

  /** The first message (from `from` on) that `match` accepts; waits for it. */
  async find<T extends Message>(
    match: (message: Message) => message is T,
    signal: AbortSignal,
    from = 0,
  ): Promise<T> {
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.closed)
        throw new Error(
          `the peer closed the connection: ${this.closeReason?.message ?? 'cleanly'}`,
        );
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }
}

function copyMessage(message: Message): Message {
  switch (message.type) {
    case 'piece':
      return { ...message, block: message.block.slice() };
    case 'bitfield':
      return { ...message, bitfield: message.bitfield.slice() };
    case 'extended':
    case 'unknown':
      return { ...message, payload: message.payload.slice() };
    default:
      return message;
  }
}

function isType<K extends Message['type']>(type: K) {
  return (message: Message): message is Extract<Message, { type: K }> => message.type === type;
}

export interface LeechResult {
  handshake: HandshakeMessage;
  capabilities: PeerCapabilities;
  extended: ExtendedHandshake | undefined;
  /** How the seeder announced its pieces. */
  pieceSet: 'bitfield' | 'have-all';
  /** Pieces fetched and verified. */
  verified: number[];
  blocks: number;
}

/**
 * Dials a seeder on loopback over `TcpTransport`, handshakes (BEP 10 too where both speak it),
 * reads its piece set, asks to be unchoked and downloads `pieces` (default: first, second and
 * last) block by block, checking each piece's SHA-1 against the torrent. Throws on any mismatch.
 */
export async function leech(
  port: number,
  torrent: TorrentFacts,
  options: { pieces?: number[]; fast?: boolean } = {},
): Promise<LeechResult> {
  const pieceCount = torrent.pieceHashes.length;
  const wanted = options.pieces ?? [...new Set([0, 1, pieceCount - 1])];
  const signal = AbortSignal.timeout(PATIENCE_MS);
  const transport = new TcpTransport({
    reserved: { fast: options.fast ?? true, extended: true },
    extensions: registry(),
  });
  try {
    const wire = await transport.dial(
      { host: '127.0.0.1', port, family: 4 },
      {
        peerId: new TextEncoder().encode('-BT0001-' + randomBytes(6).toString('hex')),
        infoHash: torrent.infoHash,
        pieceCount,
        signal,
      },
    );
    const handshake = wire.remoteHandshake!;
    const log = new MessageLog(wire);
    if (wire.capabilities.extended)
      wire.sendExtendedHandshake({ client: 'bt wire test', requestQueueLength: 250 });
    const extended = wire.capabilities.extended
      ? (await log.find(isType('extended-handshake'), signal)).handshake
      : undefined;
    const first = await log.find(
      (message): message is Extract<Message, { type: 'bitfield' | 'have-all' }> =>
        message.type === 'bitfield' || message.type === 'have-all',
      signal,
    );
    if (first.type === 'bitfield') {
      for (const index of wanted) {
        if ((first.bitfield[index >> 3]! & (0x80 >> (index & 7))) === 0)
          throw new Error(`the seeder lacks piece ${index}`);
      }
    }
    wire.send({ type: 'interested' });
    // Transmission unchokes on its 10-second choking round.
    await log.find(isType('unchoke'), signal);
    let blocks = 0;
    for (const index of wanted) {
      const size = Math.min(torrent.pieceLength, torrent.length - index * torrent.pieceLength);
      const from = log.messages.length;
      const requests = [];
      for (let begin = 0; begin < size; begin += 16384)
        requests.push({ index, begin, length: Math.min(16384, size - begin) });
      wire.sendRequests(requests);
      const hash = createHash('sha1');
      for (const request of requests) {
        const piece = await log.find(
          (message): message is Extract<Message, { type: 'piece' }> =>
            message.type === 'piece' && message.index === index && message.begin === request.begin,
          signal,
          from,
        );
        hash.update(piece.block);
      }
      blocks += requests.length;
      if (!hash.digest().equals(torrent.pieceHashes[index]!))
        throw new Error(`piece ${index} does not match its SHA-1`);
    }
    wire.close();
    return {
      handshake,
      capabilities: wire.capabilities,
      extended,
      pieceSet: first.type,
      verified: wanted,
      blocks,
    };
  } finally {
    await transport.close();
  }
}

/** What a `serve` seeder saw of the leechers that dialled it. */
export interface ServedPeer {
  wire: PeerWire;
  log: MessageLog;
  blocksServed: number;
  bytesServed: number;
}

export interface Seeder {
  port: number;
  peers: ServedPeer[];
  close(): Promise<void>;
}

/**
 * Seeds `data` (the torrent's whole payload) on loopback over `TcpTransport`: accepts peers for
 * the torrent, sends have-all (BEP 6) or a full bitfield and our extension handshake, unchokes
 * the interested and serves every request.
 */
export async function serve(
  torrent: TorrentFacts,
  data: Uint8Array,
  options: { fast?: boolean } = {},
): Promise<Seeder> {
  const pieceCount = torrent.pieceHashes.length;
  const transport = new TcpTransport({
    reserved: { fast: options.fast ?? true, extended: true },
    extensions: registry(),
  });
  const peers: ServedPeer[] = [];
  const peerId = new TextEncoder().encode('-BT0001-' + randomBytes(6).toString('hex'));
  const port = await transport.listen(
    0,
    (incoming: IncomingTcpPeer) => {
      if (!incoming.infoHash.every((byte, i) => byte === torrent.infoHash[i])) {
        incoming.reject();
        return;
      }
      void incoming.accept(peerId, pieceCount).then(
        (wire) => peers.push(seedOn(wire, torrent, data)),
        () => undefined,
      );
    },
    '127.0.0.1',
  );
  return { port, peers, close: () => transport.close() };
}

/**
 * Seeds over a handshaken wire: have-all (BEP 6) or a full bitfield first, our extension
 * handshake, then unchokes the interested and serves every request from `data`.
 */
export function seedOn(wire: PeerWire, torrent: TorrentFacts, data: Uint8Array): ServedPeer {
  // BEP 3/6: the piece set is the first message after the handshake
  if (wire.capabilities.fast) wire.send({ type: 'have-all' });
  else wire.send({ type: 'bitfield', bitfield: fullBitfield(torrent.pieceHashes.length) });
  if (wire.capabilities.extended)
    wire.sendExtendedHandshake({ client: 'bt wire test seeder', requestQueueLength: 500 });
  const served = { wire, blocksServed: 0, bytesServed: 0 } as ServedPeer;
  served.log = new MessageLog(wire, (message) => {
    if (message.type === 'interested') wire.send({ type: 'unchoke' });
    if (message.type === 'request') {
      const start = message.index * torrent.pieceLength + message.begin;
      wire.sendPiece(message.index, message.begin, data.subarray(start, start + message.length));
      served.blocksServed++;
      served.bytesServed += message.length;
    }
  });
  return served;
}

/** Dials a leecher on loopback and seeds `data` to it over `TcpTransport`. */
export async function seedTo(
  port: number,
  torrent: TorrentFacts,
  data: Uint8Array,
  options: { fast?: boolean } = {},
): Promise<{ served: ServedPeer; close(): Promise<void> }> {
  const transport = new TcpTransport({
    reserved: { fast: options.fast ?? true, extended: true },
    extensions: registry(),
  });
  try {
    const wire = await transport.dial(
      { host: '127.0.0.1', port, family: 4 },
      {
        peerId: new TextEncoder().encode('-BT0001-' + randomBytes(6).toString('hex')),
        infoHash: torrent.infoHash,
        pieceCount: torrent.pieceHashes.length,
        signal: AbortSignal.timeout(PATIENCE_MS),
      },
    );
    return { served: seedOn(wire, torrent, data), close: () => transport.close() };
  } catch (error) {
    await transport.close();
    throw error;
  }
}

/** A bitfield with every piece set and the spare bits of the last byte clear (BEP 3). */
export function fullBitfield(pieceCount: number): Uint8Array {
  const bitfield = new Uint8Array(Math.ceil(pieceCount / 8)).fill(0xff);
  if (pieceCount % 8 !== 0) bitfield[bitfield.length - 1] = (0xff << (8 - (pieceCount % 8))) & 0xff;
  return bitfield;
}
