import type { PieceGeometry } from '@bt/metainfo';
import { describe, expect, it } from 'vitest';
import type { BlockRequest } from '@bt/wire';
import { ManualClock } from './clock.js';
import { Downloading } from './downloading.js';
import type { SessionError } from './errors.js';
import type { Message, PeerWire, PieceVerdict, TorrentStorage } from './interfaces.js';
import { Peer } from './peer.js';
import { PeerRegistry } from './peer-registry.js';
import { PieceDeadlines } from './piece-deadlines.js';
import { PiecePicker } from './piece-picker.js';
import { RateMeter, TokenBucket } from './rate.js';
import type { TorrentContext, TorrentOptions } from './torrent-context.js';

/** A one-file piece geometry (`@bt/metainfo`'s `PieceGeometry`). */
function oneFile(pieceLength: number, length: number): PieceGeometry {
  return { pieceLength, length, files: [{ offset: 0, length }] };
}

/** Two pieces of 64 KiB in 32 KiB blocks: block keys must follow the picker's block size. */
const BLOCK = 32_768;

function setup(pieceCount = 2) {
  const clock = new ManualClock();
  const picker = new PiecePicker({
    geometry: oneFile(2 * BLOCK, pieceCount * 2 * BLOCK),
    blockSize: BLOCK,
  });
  const written: [number, number][] = [];
  /** The pieces whose verdict was asked, in order; `settle` gives the storage's answer. */
  const verified: number[] = [];
  const answers = new Map<number, (ok: boolean) => void>();
  const settle = async (piece: number, ok: boolean) => {
    answers.get(piece)?.(ok);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const storage: TorrentStorage = {
    writeBlock: (piece, offset) => {
      written.push([piece, offset]);
      return Promise.resolve();
    },
    verifyPiece: (piece) => {
      verified.push(piece);
      return new Promise<PieceVerdict>((resolve) =>
        answers.set(piece, (ok) => resolve({ index: piece, ok })),
      );
    },
    readBlock: () => Promise.reject(new Error('not used')),
    recheck: () => Promise.resolve({ has: () => false }),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const peers = new Set<Peer>();
  const dropped: [Peer, SessionError | undefined][] = [];
  const deadlines = new PieceDeadlines();
  const ctx: TorrentContext = {
    options: {} as TorrentOptions,
    clock,
    picker,
    deadlines,
    storage,
    registry: new PeerRegistry(),
    peers,
    state: 'downloading',
    signal: new AbortController().signal,
    downloadMeter: new RateMeter(clock),
    uploadMeter: new RateMeter(clock),
    emit: () => undefined,
    drop: (peer, error) => {
      dropped.push([peer, error]);
      peers.delete(peer);
    },
    fail: () => undefined,
  };
  const events: string[] = [];
  ctx.emit = (type) => void events.push(type);
  const downloading = new Downloading(ctx, new TokenBucket(clock), { completed: () => undefined });
  let nextId = 1;
  const connect = (pieces = Array.from({ length: pieceCount }, (_, piece) => piece)) => {
    const sent: Message[] = [];
    const asked: BlockRequest[] = [];
    const wire: PeerWire = {
      address: { host: '127.0.0.1', port: 6880 + nextId, family: 4 },
      peerId: new Uint8Array(20),
      capabilities: { fast: true, extended: false },
      incoming: false,
      start: () => undefined,
      send: (message) => sent.push(message),
      sendRequests: (requests) => asked.push(...requests),
      sendPiece: () => undefined,
      bufferedBytes: 0,
      close: () => undefined,
    };
    const peer = new Peer({ id: nextId++, wire, pieceCount, clock, source: 'manual' });
    for (const piece of pieces) peer.has.set(piece);
    peer.peerChoking = false;
    peers.add(peer);
    downloading.updateInterest(peer);
    return { peer, sent, asked };
  };
  return {
    downloading,
    connect,
    dropped,
    written,
    verified,
    settle,
    picker,
    events,
    deadlines,
    clock,
  };
}

describe('Downloading', () => {
  it('takes the blocks asked of a peer, keyed by the picker’s block size', () => {
    const { downloading, connect, dropped, written } = setup();
    const { peer, asked } = connect();
    expect(asked.map((request) => request.length)).toEqual([BLOCK, BLOCK, BLOCK, BLOCK]);
    for (const request of asked)
      downloading.onBlock(peer, request.index, request.begin, new Uint8Array(request.length));
    expect(dropped).toEqual([]);
    expect(written).toHaveLength(4);
    expect(peer.outstanding.size).toBe(0);
  });

  it('drops a peer for a block not asked of it, and one off the block grid', () => {
    const { downloading, connect, dropped, written } = setup();
    const first = connect();
    // a peer with nothing we want is asked nothing, so any block of it is a lie
    const second = connect([]);
    expect(second.asked).toEqual([]);
    downloading.onBlock(second.peer, 0, 0, new Uint8Array(BLOCK));
    expect(dropped.map(([peer, error]) => [peer.id, error?.code])).toEqual([
      [second.peer.id, 'peer-unrequested'],
    ]);
    // 16 KiB into a 32 KiB block is no block start, even though it is aligned to 16 KiB
    downloading.onBlock(first.peer, 0, 16_384, new Uint8Array(16_384));
    expect(dropped.map(([peer, error]) => [peer.id, error?.code])).toEqual([
      [second.peer.id, 'peer-unrequested'],
      [first.peer.id, 'peer-unrequested'],
    ]);
    expect(written).toEqual([]);
  });

  it('wastes a late answer to a withdrawn request quietly', () => {
    const { downloading, connect, dropped, written } = setup();
    const { peer } = connect();
    downloading.withdrawAll(peer);
    downloading.onBlock(peer, 1, BLOCK, new Uint8Array(BLOCK));
    expect(dropped).toEqual([]);
    expect(written).toEqual([]);
    expect(downloading.wasted).toBe(BLOCK);
    // a second copy of it was never asked for
    downloading.onBlock(peer, 1, BLOCK, new Uint8Array(BLOCK));
    expect(dropped.map(([, error]) => error?.code)).toEqual(['peer-unrequested']);
  });

  it('stores a block two peers send in endgame once, and asks for each piece’s verdict once', async () => {
    const { downloading, connect, dropped, written, verified, settle, picker } = setup();
    const first = connect();
    // every block is asked of the first peer: the second is asked the same ones (endgame)
    const second = connect();
    expect(picker.endgame).toBe(true);
    expect(second.asked).toEqual(first.asked);
    for (const request of second.asked)
      downloading.onBlock(second.peer, request.index, request.begin, new Uint8Array(BLOCK));
    // the first peer's copies crossed our cancels on the wire
    expect(first.sent.filter((message) => message.type === 'cancel')).toHaveLength(4);
    for (const request of first.asked)
      downloading.onBlock(first.peer, request.index, request.begin, new Uint8Array(BLOCK));
    expect(dropped).toEqual([]);
    expect(written.map(([piece, offset]) => `${piece}:${offset}`).sort()).toEqual([
      '0:0',
      `0:${BLOCK}`,
      '1:0',
      `1:${BLOCK}`,
    ]);
    expect(verified.sort()).toEqual([0, 1]);
    expect(downloading.wasted).toBe(4 * BLOCK);
    await settle(0, true);
    await settle(1, true);
    expect(picker.complete).toBe(true);
    expect(verified).toHaveLength(2);
  });

  it('verifies a piece two peers completed together once, and blames both when it fails', async () => {
    const { downloading, connect, dropped, verified, settle, picker, events } = setup();
    const first = connect();
    // endgame: the second peer is asked every block too
    const second = connect();
    expect(second.asked).toHaveLength(4);
    // piece 0 from both: the first block from one, the second from the other
    downloading.onBlock(first.peer, 0, 0, new Uint8Array(BLOCK));
    expect(verified).toEqual([]);
    downloading.onBlock(second.peer, 0, BLOCK, new Uint8Array(BLOCK));
    expect(verified).toEqual([0]);
    // a late copy of a block of it changes nothing
    downloading.onBlock(first.peer, 0, BLOCK, new Uint8Array(BLOCK));
    expect(verified).toEqual([0]);
    await settle(0, false);
    expect(events).toContain('piece-failed');
    expect(downloading.hashFailures).toBe(1);
    expect(picker.have.has(0)).toBe(false);
    // one shared failure is a strike for each, not a ban
    expect(dropped).toEqual([]);
  });

  it('puts a piece due now before the ordinary blocks queued with the peer', () => {
    const { downloading, connect, dropped, deadlines, clock } = setup(64);
    const { peer, sent, asked } = connect();
    const ordinary = asked.length;
    expect(ordinary).toBeGreaterThan(32);
    const waiting = new Set(asked.map((request) => request.index));
    const due = Array.from({ length: 64 }, (_, piece) => piece).find(
      (piece) => !waiting.has(piece),
    )!;
    const reader = deadlines.owner();
    deadlines.set(reader, due, clock.now());
    downloading.fillUrgentAll();
    // all but the 16 oldest ordinary blocks are cancelled, and the due piece asked next
    const cancels = sent.filter((message) => message.type === 'cancel');
    expect(cancels).toHaveLength(ordinary - 16);
    expect(asked.slice(ordinary, ordinary + 2).map((request) => request.index)).toEqual([due, due]);
    // the cancelled blocks are asked again after it, and an answer that crossed a cancel is no lie
    expect(asked.length).toBeGreaterThan(ordinary + 2);
    const crossed = cancels[0]!;
    if (crossed.type !== 'cancel') throw new Error('unreachable');
    downloading.onBlock(peer, crossed.index, crossed.begin, new Uint8Array(BLOCK));
    downloading.onBlock(peer, crossed.index, crossed.begin, new Uint8Array(BLOCK));
    expect(dropped).toEqual([]);
  });
});
