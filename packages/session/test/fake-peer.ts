/**
 * Hostile peers for tests, written on `@bt/wire`'s codec: one that serves corrupt blocks, one
 * that floods, one that unchokes, takes requests and never answers, and liars that send blocks
 * nobody asked them for (while choking us, or unchoked in place of what was asked) or blocks
 * off the block grid, one that sends a BEP 6 message without having announced BEP 6, one
 * that sends a DHT `port`, one that offers metadata (BEP 9) and never answers a request, and
 * two that abuse peer exchange (BEP 11): a flood of messages, and one message over any size cap.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  WireDecoder,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeMessage,
  encodePexMessage,
  encodePieceHeader,
} from '@bt/wire';
import { generatePeerId } from '@bt/primitives';

export type FakeBehaviour =
  | 'corrupt'
  | 'flood-requests'
  | 'flood-haves'
  | 'stall'
  /** Never unchokes; sends blocks of the right size anyway. */
  | 'unrequested-choked'
  /** Lacks pieces 0 and 1; unchokes, and answers each request with a block of one of them. */
  | 'unrequested-unchoked'
  /** Unchokes, and answers each request with a block one byte off the asked offset. */
  | 'misaligned'
  /** Does not announce BEP 6 in its handshake, then sends have-all (a BEP 6 message) anyway. */
  | 'unnegotiated-fast'
  /**
   * Announces the DHT bit and sends a BEP 5 `port` message (6999) after its bitfield, then a
   * block nobody asked for, to be dropped for it.
   */
  | 'dht-port'
  /**
   * Speaks BEP 10 and offers `ut_metadata` with `metadataSize` in its extension handshake, then
   * never answers a metadata request (each one is counted in `requests`).
   */
  | 'metadata-silent'
  /**
   * Speaks BEP 10 and `ut_pex`; once it has our extension handshake, sends ten PEX messages at
   * once (each naming 300 peers on 127.66.x.y), where BEP 11 allows one a minute.
   */
  | 'pex-flood'
  /** Speaks BEP 10 and `ut_pex`; sends one PEX message of 4000 peers (24 KB). */
  | 'pex-oversized';

export interface FakePeer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections the other side closed. */
  closedByRemote: number;
  /** Requests received. */
  requests: number;
  /** Blocks sent. */
  blocksSent: number;
  /** `ut_pex` messages sent. */
  pexSent: number;
  /** The DHT reserved bit (BEP 5) of each handshake received. */
  dhtBits: boolean[];
  close(): Promise<void>;
}

export async function startFakePeer(options: {
  infoHash: Uint8Array;
  pieceCount: number;
  behaviour: FakeBehaviour;
  /** For `metadata-silent`: the `metadata_size` it offers. */
  metadataSize?: number;
}): Promise<FakePeer> {
  const sockets = new Set<Socket>();
  const pex = options.behaviour === 'pex-flood' || options.behaviour === 'pex-oversized';
  const peer: FakePeer = {
    port: 0,
    connections: 0,
    closedByRemote: 0,
    requests: 0,
    blocksSent: 0,
    pexSent: 0,
    dhtBits: [],
    close: async () => undefined,
  };
  const server: Server = createServer((socket) => {
    peer.connections++;
    sockets.add(socket);
    let ended = false;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (!ended) peer.closedByRemote++;
    });
    const decoder = new WireDecoder({ pieceCount: options.pieceCount });
    const send = (bytes: Uint8Array): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    const sendBlock = (index: number, begin: number, length: number): void => {
      const block = new Uint8Array(length);
      for (let at = 0; at < block.length; at++) block[at] = (at * 31 + index) & 0xff;
      send(encodePieceHeader(index, begin, length));
      send(block);
      peer.blocksSent++;
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
        for (let item = decoder.next(); item; item = decoder.next()) {
          if (item.type === 'handshake') {
            peer.dhtBits.push(item.extensions.dht);
            send(
              encodeHandshake({
                infoHash: options.infoHash,
                peerId: generatePeerId('-FK0001-'),
                extensions: {
                  dht: options.behaviour === 'dht-port',
                  extended: options.behaviour === 'metadata-silent' || pex,
                },
              }),
            );
            if (pex) {
              send(
                encodeMessage({
                  type: 'extended',
                  id: 0,
                  payload: encodeExtendedHandshake({ extensions: { ut_pex: 1 } }),
                }),
              );
            }
            if (options.behaviour === 'metadata-silent') {
              const handshake = encodeExtendedHandshake({
                extensions: { ut_metadata: 3 },
                metadataSize: options.metadataSize,
              });
              send(encodeMessage({ type: 'extended', id: 0, payload: handshake }));
            }
            // the request flooder poses as a leecher; the others as seeds
            const bitfield = new Uint8Array(Math.ceil(options.pieceCount / 8)).fill(
              options.behaviour === 'flood-requests' ? 0 : 0xff,
            );
            const spare = bitfield.length * 8 - options.pieceCount;
            if (spare > 0) bitfield[bitfield.length - 1]! &= (0xff << spare) & 0xff;
            // the liar lacks pieces 0 and 1, so nobody can have asked it for their blocks
            if (options.behaviour === 'unrequested-unchoked') bitfield[0]! &= 0x3f;
            if (options.behaviour === 'unnegotiated-fast')
              send(encodeMessage({ type: 'have-all' }));
            else send(encodeMessage({ type: 'bitfield', bitfield }));
            if (options.behaviour === 'flood-requests') {
              // asks for far more than any client queues, choked or not
              const request = encodeMessage({
                type: 'request',
                index: 0,
                begin: 0,
                length: 16_384,
              });
              const many = new Uint8Array(request.length * 20_000);
              for (let at = 0; at < 20_000; at++) many.set(request, at * request.length);
              send(many);
            }
            if (options.behaviour === 'dht-port') {
              send(encodeMessage({ type: 'port', port: 6999 }));
              sendBlock(0, 0, 16_384);
            }
            if (options.behaviour === 'unrequested-choked') {
              // blocks of the right size and place that nobody asked for, without unchoking
              for (let index = 0; index < Math.min(4, options.pieceCount); index++)
                sendBlock(index, 0, 16_384);
            }
            if (options.behaviour === 'flood-haves') {
              const have = encodeMessage({ type: 'have', index: 0 });
              const many = new Uint8Array(have.length * 200_000);
              for (let at = 0; at < 200_000; at++) many.set(have, at * have.length);
              send(many);
            }
          } else if (item.type === 'extended-handshake' && pex) {
            const id = item.handshake.extensions.ut_pex;
            if (id === undefined || id === 0) continue;
            const messages = options.behaviour === 'pex-flood' ? 10 : 1;
            const count = options.behaviour === 'pex-flood' ? 300 : 4000;
            const added = Array.from({ length: count }, (_, k) => ({
              host: `127.66.${k >> 8}.${k & 0xff}`,
              port: 6881,
              family: 4 as const,
            }));
            for (let at = 0; at < messages; at++) {
              send(encodeMessage({ type: 'extended', id, payload: encodePexMessage({ added }) }));
              peer.pexSent++;
            }
          } else if (item.type === 'extended' && options.behaviour === 'metadata-silent') {
            peer.requests++;
          } else if (item.type === 'interested') {
            if (options.behaviour !== 'unrequested-choked')
              send(encodeMessage({ type: 'unchoke' }));
          } else if (item.type === 'request') {
            peer.requests++;
            if (options.behaviour === 'corrupt') sendBlock(item.index, item.begin, item.length);
            if (options.behaviour === 'unrequested-unchoked') {
              // in place of what was asked: a block of a piece it said it lacks
              sendBlock(peer.requests % 2, 0, 16_384);
            }
            if (options.behaviour === 'misaligned')
              sendBlock(item.index, item.begin + 1, item.length - 1);
          }
        }
      } catch {
        ended = true;
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  peer.port = typeof address === 'object' && address ? address.port : 0;
  peer.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return peer;
}
