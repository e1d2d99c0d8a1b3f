import { randomBytes } from 'node:crypto';
import {
  answerHashRequest,
  fileRootFromPieceLayer,
  type MetainfoV2,
  type V2File,
} from '@bt/metainfo';
import { toHex } from '@bt/primitives';
import type { HashRequestMessage } from '@bt/wire';
import { describe, expect, it } from 'vitest';
import {
  MAX_HASHES_PER_REQUEST,
  PieceLayerFetch,
  filesMissingLayers,
} from './piece-layer-fetch.js';

const PIECE = 32_768;

/** A file of `pieces` pieces with a random piece layer, and the v2 side that lacks the layer. */
function torrentOf(...pieces: number[]): {
  v2: Pick<MetainfoV2, 'files' | 'pieceLayers'>;
  layers: Map<string, Uint8Array>;
} {
  const files: V2File[] = [];
  const layers = new Map<string, Uint8Array>();
  let firstPiece = 0;
  let offset = 0;
  for (const [i, count] of pieces.entries()) {
    const layer = new Uint8Array(randomBytes(count * 32));
    const piecesRoot = fileRootFromPieceLayer(layer, PIECE);
    const length = count * PIECE - 100;
    files.push({ path: [`f${i}`], length, piecesRoot, firstPiece, pieceCount: count, offset });
    layers.set(toHex(piecesRoot), layer);
    firstPiece += count;
    offset += count * PIECE;
  }
  return { v2: { files, pieceLayers: new Map() }, layers };
}

interface Harness {
  fetch: PieceLayerFetch<string>;
  sent: { peer: string; message: HashRequestMessage }[];
  liars: string[];
  completed: () => boolean;
}

function harness(v2: Pick<MetainfoV2, 'files' | 'pieceLayers'>): Harness {
  const sent: Harness['sent'] = [];
  const liars: string[] = [];
  let done = false;
  const fetch = new PieceLayerFetch<string>({
    pieceLength: PIECE,
    v2,
    send: (peer, message) => sent.push({ peer, message }),
    onLiar: (peer) => liars.push(peer),
    onComplete: () => (done = true),
  });
  return { fetch, sent, liars, completed: () => done };
}

/** The honest answer to a request, from the true layers. */
function answer(layers: Map<string, Uint8Array>, message: HashRequestMessage): Uint8Array {
  return answerHashRequest(layers.get(toHex(message.piecesRoot))!, PIECE, message)!;
}

describe('PieceLayerFetch', () => {
  it('asks for every layer in runs of at most 512 hashes spread over the peers, and installs them once proven', () => {
    const { v2, layers } = torrentOf(1500, 3, 1);
    expect(filesMissingLayers(PIECE, v2).map((file) => file.pieceCount)).toEqual([1500, 3]);
    const h = harness(v2);
    h.fetch.addPeer('a', 0);
    h.fetch.addPeer('b', 0);
    // 1500 hashes: 3 runs of 512; 3 hashes: one run of 4 (the layer padded to a power of two)
    expect(h.sent.map(({ message }) => [message.index, message.length])).toEqual([
      [0, 512],
      [512, 512],
      [1024, 512],
      [0, 4],
    ]);
    expect(new Set(h.sent.map(({ peer }) => peer))).toEqual(new Set(['a', 'b']));
    for (const { peer, message } of h.sent) {
      expect(message.length).toBeLessThanOrEqual(MAX_HASHES_PER_REQUEST);
      h.fetch.onHashes(peer, { ...message, type: 'hashes', hashes: answer(layers, message) }, 1);
    }
    expect(h.completed()).toBe(true);
    expect(h.liars).toEqual([]);
    for (const [root, layer] of layers) {
      if (layer.length > 32) expect(v2.pieceLayers.get(root)).toEqual(layer);
    }
    expect(v2.pieceLayers.size).toBe(2);
  });

  it('calls a peer whose hashes fail the proof a liar, and asks another for the same run', () => {
    const { v2, layers } = torrentOf(40);
    const h = harness(v2);
    h.fetch.addPeer('liar', 0);
    const [first] = h.sent;
    const forged = answer(layers, first!.message);
    forged[5]! ^= 0xff;
    h.fetch.addPeer('honest', 0);
    h.fetch.onHashes('liar', { ...first!.message, type: 'hashes', hashes: forged }, 1);
    expect(h.liars).toEqual(['liar']);
    expect(v2.pieceLayers.size).toBe(0);
    const again = h.sent.at(-1)!;
    expect(again.peer).toBe('honest');
    expect(again.message.index).toBe(first!.message.index);
    h.fetch.onHashes(
      'honest',
      { ...again.message, type: 'hashes', hashes: answer(layers, again.message) },
      2,
    );
    expect(h.completed()).toBe(true);
  });

  it('refuses answers that drop the proof, carry too many hashes, or were never asked of that peer', () => {
    const { v2, layers } = torrentOf(1100);
    const h = harness(v2);
    h.fetch.addPeer('a', 0);
    const asked = h.sent[0]!.message;
    const honest = answer(layers, asked);
    // unsolicited: another peer, another index: ignored, nobody blamed
    h.fetch.onHashes('b', { ...asked, type: 'hashes', hashes: honest }, 1);
    h.fetch.onHashes('a', { ...asked, index: 2048, type: 'hashes', hashes: honest }, 1);
    expect(h.liars).toEqual([]);
    expect(h.fetch.progress().proven).toBe(0);
    // the run without its uncle hashes cannot be proven
    h.fetch.onHashes('a', { ...asked, type: 'hashes', hashes: honest.subarray(0, 512 * 32) }, 1);
    expect(h.liars).toEqual(['a']);
    h.fetch.addPeer('c', 2);
    const next = h.sent.at(-1)!;
    const padded = new Uint8Array(answer(layers, next.message).length + 32);
    padded.set(answer(layers, next.message));
    h.fetch.onHashes('c', { ...next.message, type: 'hashes', hashes: padded }, 3);
    expect(h.liars).toEqual(['a', 'c']);
    expect(v2.pieceLayers.size).toBe(0);
  });

  it('moves a rejected run or one whose peer left to another peer, and says when nobody connected can help', () => {
    const { v2, layers } = torrentOf(10);
    const h = harness(v2);
    h.fetch.addPeer('a', 0);
    const asked = h.sent[0]!.message;
    h.fetch.onReject('a', { ...asked, type: 'hash-reject' }, 1);
    // nobody else: the only peer refused
    expect(h.fetch.stalled()).toBe(true);
    h.fetch.addPeer('b', 2);
    expect(h.fetch.stalled()).toBe(false);
    expect(h.sent.at(-1)!.peer).toBe('b');
    h.fetch.removePeer('b', 3);
    h.fetch.addPeer('c', 4);
    const last = h.sent.at(-1)!;
    expect(last.peer).toBe('c');
    h.fetch.onHashes(
      'c',
      { ...last.message, type: 'hashes', hashes: answer(layers, last.message) },
      5,
    );
    expect(h.completed()).toBe(true);
    expect(h.fetch.stalled()).toBe(false);
  });

  it('hands a request unanswered for too long to another peer', () => {
    const { v2 } = torrentOf(10);
    const h = harness(v2);
    h.fetch.addPeer('slow', 0);
    h.fetch.addPeer('other', 0);
    const first = h.sent[0]!;
    h.fetch.tick(19_000);
    expect(h.sent).toHaveLength(1);
    h.fetch.tick(20_000);
    expect(h.sent).toHaveLength(2);
    expect(h.sent[1]!.peer).not.toBe(first.peer);
  });

  it('has nothing to do for files of one piece or whose layers are known', () => {
    const { v2, layers } = torrentOf(1, 5);
    for (const [root, layer] of layers) v2.pieceLayers.set(root, layer);
    const h = harness(v2);
    expect(h.fetch.done).toBe(true);
    h.fetch.addPeer('a', 0);
    expect(h.sent).toEqual([]);
  });
});
