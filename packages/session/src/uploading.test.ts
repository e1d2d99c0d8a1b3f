import type { PieceGeometry } from '@bt/metainfo';
import { describe, expect, it } from 'vitest';
import { WIRE_DEFAULTS } from '@bt/wire';
import { ManualClock } from './clock.js';
import type { Message, PeerWire, TorrentStorage } from './interfaces.js';
import { Peer } from './peer.js';
import { PeerRegistry } from './peer-registry.js';
import { PieceDeadlines } from './piece-deadlines.js';
import { PiecePicker } from './piece-picker.js';
import { RateMeter, TokenBucket } from './rate.js';
import type { TorrentContext, TorrentOptions } from './torrent-context.js';
import { Uploading } from './uploading.js';

/** A one-file piece geometry (`@bt/metainfo`'s `PieceGeometry`). */
function oneFile(pieceLength: number, length: number): PieceGeometry {
  return { pieceLength, length, files: [{ offset: 0, length }] };
}

const BLOCK = 16_384;

/** A seed of two 64 KiB pieces whose storage reads wait until the test lets them go. */
function setup(options: { cached?: boolean; peekMisses?: boolean } = {}) {
  const clock = new ManualClock();
  const picker = new PiecePicker({
    geometry: oneFile(4 * BLOCK, 8 * BLOCK),
    blockSize: BLOCK,
  });
  picker.setHave({ has: () => true });
  const pending: (() => void)[] = [];
  const released: Uint8Array[] = [];
  const reads: [number, number][] = [];
  const storage: TorrentStorage = {
    writeBlock: () => Promise.resolve(undefined),
    verifyPiece: (index) => Promise.resolve({ index, ok: false }),
    readBlock: (piece, offset, length) => {
      reads.push([piece, offset]);
      return new Promise<Uint8Array>((resolve) =>
        pending.push(() => resolve(new Uint8Array(length))),
      );
    },
    releaseBlock: (block) => released.push(block),
    // a storage with a read cache; `peekMisses`: nothing is in it yet
    ...(options.cached
      ? {
          peekBlock: (_piece: number, _offset: number, length: number) =>
            options.peekMisses ? undefined : new Uint8Array(length),
        }
      : {}),
    recheck: () => Promise.resolve({ has: () => true }),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const peers = new Set<Peer>();
  const dropped: Peer[] = [];
  const ctx: TorrentContext = {
    options: { uploadSlots: 1 } as TorrentOptions,
    clock,
    picker,
    deadlines: new PieceDeadlines(),
    storage,
    registry: new PeerRegistry(),
    peers,
    state: 'seeding',
    signal: new AbortController().signal,
    downloadMeter: new RateMeter(clock),
    uploadMeter: new RateMeter(clock),
    emit: () => undefined,
    drop: (peer) => {
      dropped.push(peer);
      peers.delete(peer);
    },
    fail: () => undefined,
  };
  const uploading = new Uploading(ctx, new TokenBucket(clock));
  let nextId = 1;
  const connect = (fast = true) => {
    const sent: Message[] = [];
    const pieces: { index: number; begin: number; onSent?: () => void }[] = [];
    const wire: PeerWire = {
      address: { host: '127.0.0.1', port: 6880 + nextId, family: 4 },
      peerId: new Uint8Array(20),
      capabilities: { fast, extended: false },
      incoming: true,
      start: () => undefined,
      send: (message) => sent.push(message),
      sendRequests: () => undefined,
      sendPiece: (index, begin, _block, onSent) => pieces.push({ index, begin, onSent }),
      bufferedBytes: 0,
      close: () => undefined,
    };
    const peer = new Peer({ id: nextId++, wire, pieceCount: 2, clock, source: 'manual' });
    peers.add(peer);
    return { peer, sent, pieces };
  };
  /** Lets every read go, those it leads to as well, until none is left. */
  const settleReads = async () => {
    do {
      for (const resolve of pending.splice(0)) resolve();
      await new Promise((resolve) => setImmediate(resolve));
    } while (pending.length > 0);
  };
  return { uploading, connect, settleReads, released, clock, pending, reads, dropped };
}

describe('Uploading', () => {
  it('sends the blocks asked for and gives each back to the storage once it is sent', async () => {
    const { uploading, connect, settleReads, released } = setup();
    const { peer, pieces } = connect();
    uploading.onInterested(peer);
    expect(peer.amChoking).toBe(false);
    uploading.onRequest(peer, 0, 0, BLOCK);
    uploading.onRequest(peer, 1, BLOCK, BLOCK);
    await settleReads();
    expect(pieces.map(({ index, begin }) => [index, begin])).toEqual([
      [0, 0],
      [1, BLOCK],
    ]);
    expect(released).toEqual([]);
    for (const piece of pieces) piece.onSent?.();
    expect(released).toHaveLength(2);
  });

  it('answers a request at once when the storage has the block in memory', () => {
    const { uploading, connect } = setup({ cached: true });
    const { peer, pieces } = connect();
    uploading.onInterested(peer);
    uploading.onRequest(peer, 0, 2 * BLOCK, BLOCK);
    // sent in the same turn, with no read finished
    expect(pieces.map(({ index, begin }) => [index, begin])).toEqual([[0, 2 * BLOCK]]);
  });

  it('starts reading a piece as soon as a request for it joins the queue', async () => {
    const { uploading, connect, settleReads, reads, released } = setup({
      cached: true,
      peekMisses: true,
    });
    const { peer, pieces } = connect();
    uploading.onInterested(peer);
    uploading.onRequest(peer, 0, 0, BLOCK);
    uploading.onRequest(peer, 0, BLOCK, BLOCK);
    uploading.onRequest(peer, 1, 0, BLOCK);
    uploading.onRequest(peer, 1, BLOCK, BLOCK);
    // piece 0: the read ahead and the read to answer; piece 1: read ahead once, on arrival
    expect(reads.filter(([index]) => index === 1)).toEqual([[1, 0]]);
    await settleReads();
    expect(pieces).toHaveLength(4);
    // the blocks read ahead went back to the storage at once
    expect(released.length).toBeGreaterThanOrEqual(2);
  });

  it('BEP 6: rejects the requests whose blocks were being read when it choked the peer', async () => {
    const { uploading, connect, settleReads, released, clock } = setup();
    const first = connect();
    uploading.onInterested(first.peer);
    uploading.onRequest(first.peer, 0, 0, BLOCK);
    uploading.onRequest(first.peer, 0, BLOCK, BLOCK);
    // the peer says it wants nothing more: the next rechoke chokes it, reads still in flight
    first.peer.peerInterested = false;
    clock.advance(10_000);
    uploading.rechoke(clock.now());
    expect(first.peer.amChoking).toBe(true);
    await settleReads();
    // nothing was sent after the choke: the request being read and the one queued were refused
    expect(first.pieces).toEqual([]);
    const rejects = first.sent.filter((message) => message.type === 'reject');
    expect(rejects).toHaveLength(2);
    expect(rejects).toEqual(
      expect.arrayContaining([
        { type: 'reject', index: 0, begin: 0, length: BLOCK },
        { type: 'reject', index: 0, begin: BLOCK, length: BLOCK },
      ]),
    );
    // the block read for nothing went back to the storage
    expect(released).toHaveLength(1);
  });

  it('counts requests that cross our choke per choke, so being choked again and again never gets an honest peer dropped', () => {
    const { uploading, connect, clock, dropped } = setup();
    const { peer, sent } = connect();
    for (let round = 0; round < 5; round++) {
      uploading.onInterested(peer);
      expect(peer.amChoking).toBe(false);
      // the next rechoke chokes it with its whole `reqq` still on the wire towards us
      peer.peerInterested = false;
      clock.advance(10_000);
      uploading.rechoke(clock.now());
      expect(peer.amChoking).toBe(true);
      for (let request = 0; request < WIRE_DEFAULTS.maxPeerRequests; request++)
        uploading.onRequest(peer, 0, 0, BLOCK);
    }
    expect(dropped).toEqual([]);
    expect(sent.filter((message) => message.type === 'reject')).toHaveLength(
      5 * WIRE_DEFAULTS.maxPeerRequests,
    );
  });

  it('drops a peer that sends more requests than our reqq while choked', () => {
    const { uploading, connect, dropped } = setup();
    const { peer, sent } = connect();
    for (let request = 0; request <= WIRE_DEFAULTS.maxPeerRequests; request++)
      uploading.onRequest(peer, 0, 0, BLOCK);
    expect(sent.filter((message) => message.type === 'reject')).toHaveLength(
      WIRE_DEFAULTS.maxPeerRequests,
    );
    expect(dropped).toEqual([peer]);
  });
});
