/**
 * Helpers for the live tests: a data file and its .torrent, read with `@bt/bencode` only (the
 * info-hash is the SHA-1 of the exact `info` bytes), and a leech of some pieces from a real
 * seeder over our PeerConnection, every piece checked against the torrent's SHA-1.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode, getBytes, getDictionary, getInteger, locate } from '@bt/bencode';
import { PATIENCE_MS, waitFor } from '@bt/test-support';
import { PeerConnection } from '../src/peer-connection.js';
import type { ExtendedHandshake, HandshakeMessage, Message } from '../src/index.js';

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

export interface LeechResult {
  handshake: HandshakeMessage;
  extended: ExtendedHandshake | undefined;
  /** How the seeder announced its pieces. */
  pieceSet: 'bitfield' | 'have-all';
  /** Pieces fetched and verified. */
  verified: number[];
  blocks: number;
}

/**
 * Connects to a seeder on loopback, handshakes, reads its piece set, asks to be unchoked and
 * downloads `pieces` (default: first, second and last) block by block, checking each piece's
 * SHA-1 against the torrent. Throws on any mismatch.
 */
export async function leech(
  port: number,
  torrent: TorrentFacts,
  options: { pieces?: number[]; fast?: boolean } = {},
): Promise<LeechResult> {
  const pieces = options.pieces;
  const pieceCount = torrent.pieceHashes.length;
  const wanted = pieces ?? [...new Set([0, 1, pieceCount - 1])];
  const signal = AbortSignal.timeout(PATIENCE_MS);
  const connection = await PeerConnection.connect(
    { host: '127.0.0.1', port },
    {
      peerId: new TextEncoder().encode('-BT0001-' + randomBytes(6).toString('hex')),
      infoHash: torrent.infoHash,
      pieceCount,
      signal,
      extensions: { fast: options.fast ?? true },
      extendedHandshake: {
        extensions: { ut_metadata: 1, ut_pex: 2 },
        client: 'bt wire test',
        requestQueueLength: 250,
      },
    },
  );
  const seen: Message[] = [];
  connection.on('message', (message) => seen.push(message));
  try {
    const handshake = await connection.handshake({ signal });
    const extended = await connection.receiveExtendedHandshake({ signal });
    const first = await waitFor(
      () => seen.find((message) => message.type === 'bitfield' || message.type === 'have-all'),
      {
        timeoutMs: PATIENCE_MS,
        what: 'the seeder’s bitfield or have-all',
      },
    );
    if (first.type === 'bitfield') {
      for (const index of wanted) {
        if ((first.bitfield[index >> 3]! & (0x80 >> (index & 7))) === 0)
          throw new Error(`the seeder lacks piece ${index}`);
      }
    }
    connection.interested();
    // Transmission unchokes on its 10-second choking round.
    await waitFor(() => !connection.peerChoking, { timeoutMs: PATIENCE_MS, what: 'an unchoke' });
    let blocks = 0;
    for (const index of wanted) {
      const size = Math.min(torrent.pieceLength, torrent.length - index * torrent.pieceLength);
      const requests: Promise<Uint8Array>[] = [];
      for (let begin = 0; begin < size; begin += 16384) {
        requests.push(
          connection.request({ index, begin, length: Math.min(16384, size - begin) }, { signal }),
        );
      }
      const parts = await Promise.all(requests);
      blocks += parts.length;
      const hash = createHash('sha1');
      for (const part of parts) hash.update(part);
      const digest = hash.digest();
      if (!digest.equals(torrent.pieceHashes[index]!))
        throw new Error(`piece ${index} does not match its SHA-1`);
    }
    return { handshake, extended, pieceSet: first.type, verified: wanted, blocks };
  } finally {
    await connection.close();
  }
}
