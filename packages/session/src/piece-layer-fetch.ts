/**
 * BEP 52 piece layers fetched from peers: a v2 or hybrid torrent that arrived as an info
 * dictionary (a magnet link) knows each file's `pieces root` but not the hashes of its pieces.
 * We ask peers for them with `hash request`s (runs of up to 512 hashes of a file's piece layer,
 * with the uncle hashes that prove the run against the root), check every answer with
 * `verifyHashAnswer`, and install each file's layer once all its runs are proven. A peer that
 * answers with hashes that do not prove out is a liar (dropped and banned by the owner); a
 * `hash reject` or a peer that goes away hands the run to another peer. Pure: the owner sends the
 * messages and keeps the clock.
 */
import {
  type HashRangeRequest,
  type MetainfoV2,
  pieceLayerHeight,
  V2_HASH_LENGTH,
  type V2File,
  verifyHashAnswer,
} from '@bt/metainfo';
import { bytesEqual, toHex } from '@bt/primitives';
import type { HashesMessage, HashRange, HashRejectMessage, HashRequestMessage } from '@bt/wire';

/** The longest run one request asks for (the BEP: SHOULD NOT be greater than 512). */
export const MAX_HASHES_PER_REQUEST = 512;
/** Runs asked of one peer at a time, so that the runs spread over the peers. */
export const MAX_RUNS_PER_PEER = 2;
/** An unanswered request is handed to another peer after this long. */
export const HASH_REQUEST_TIMEOUT_MS = 20_000;

interface Run {
  readonly file: V2File;
  readonly request: HashRangeRequest;
  /** The peer asked now, and when. */
  askedOf: unknown;
  askedAt: number;
  /** Peers that rejected it or failed to answer: asked again only when nobody else is left. */
  readonly refusedBy: Set<unknown>;
  done: boolean;
}

export interface PieceLayerFetchOptions<P> {
  pieceLength: number;
  v2: Pick<MetainfoV2, 'files' | 'pieceLayers'>;
  send(peer: P, message: HashRequestMessage): void;
  /** A peer answered with hashes that do not prove out against the file's root. */
  onLiar(peer: P): void;
  /** Every missing layer is installed in `v2.pieceLayers`. */
  onComplete(): void;
}

/** The files whose piece layer is needed and not known: longer than one piece, no layer yet. */
export function filesMissingLayers(
  pieceLength: number,
  v2: Pick<MetainfoV2, 'files' | 'pieceLayers'>,
): V2File[] {
  return v2.files.filter(
    (file) =>
      file.piecesRoot !== undefined &&
      file.length > pieceLength &&
      !v2.pieceLayers.has(toHex(file.piecesRoot)),
  );
}

export class PieceLayerFetch<P> {
  private readonly options: PieceLayerFetchOptions<P>;
  private readonly runs: Run[] = [];
  private readonly layers = new Map<V2File, Uint8Array>();
  private readonly peers = new Set<P>();
  private completed = false;

  constructor(options: PieceLayerFetchOptions<P>) {
    this.options = options;
    const baseLayer = pieceLayerHeight(options.pieceLength);
    for (const file of filesMissingLayers(options.pieceLength, options.v2)) {
      const count = file.pieceCount;
      const width = nextPowerOfTwo(count);
      const height = Math.log2(width);
      const length = Math.min(width, MAX_HASHES_PER_REQUEST);
      this.layers.set(file, new Uint8Array(count * V2_HASH_LENGTH));
      for (let index = 0; index < count; index += length) {
        this.runs.push({
          file,
          // every uncle from the run's subtree up to below the root (proof layer k is the
          // sibling at k levels above the base layer)
          request: { baseLayer, index, length, proofLayers: Math.max(0, height - 1) },
          askedOf: undefined,
          askedAt: 0,
          refusedBy: new Set(),
          done: false,
        });
      }
    }
    if (this.runs.length === 0) this.completed = true;
  }

  /** True once every layer is installed (at once when none was missing). */
  get done(): boolean {
    return this.completed;
  }

  /** Runs proven so far, of all. */
  progress(): { proven: number; total: number } {
    return { proven: this.runs.filter((run) => run.done).length, total: this.runs.length };
  }

  /** A peer that may have the hashes (connected, speaks the protocol). */
  addPeer(peer: P, now: number): void {
    this.peers.add(peer);
    this.pump(now);
  }

  removePeer(peer: P, now: number): void {
    if (!this.peers.delete(peer)) return;
    for (const run of this.runs) {
      if (!run.done && run.askedOf === peer) run.askedOf = undefined;
    }
    this.pump(now);
  }

  /** A `hashes` message from `peer`. Answers nobody asked this peer for are ignored. */
  onHashes(peer: P, message: HashesMessage, now: number): void {
    const run = this.runFor(peer, message);
    if (run === undefined) return;
    run.askedOf = undefined;
    const proven = verifyHashAnswer(
      run.file.piecesRoot!,
      run.file.pieceCount,
      run.request,
      message.hashes,
    );
    if (proven === undefined) {
      run.refusedBy.add(peer);
      this.peers.delete(peer);
      this.options.onLiar(peer);
      this.pump(now);
      return;
    }
    // the run may reach past the layer's last piece (hashes that only balance the tree)
    const layer = this.layers.get(run.file)!;
    const keep = Math.min(proven.length, layer.length - run.request.index * V2_HASH_LENGTH);
    layer.set(proven.subarray(0, keep), run.request.index * V2_HASH_LENGTH);
    run.done = true;
    if (this.runs.every((each) => each.file !== run.file || each.done)) {
      this.options.v2.pieceLayers.set(toHex(run.file.piecesRoot!), layer);
    }
    if (this.runs.every((each) => each.done)) {
      this.completed = true;
      this.options.onComplete();
      return;
    }
    this.pump(now);
  }

  /** A `hash reject`: another peer is asked (this one again only when nobody else is left). */
  onReject(peer: P, message: HashRejectMessage, now: number): void {
    const run = this.runFor(peer, message);
    if (run === undefined) return;
    run.askedOf = undefined;
    run.refusedBy.add(peer);
    this.pump(now);
  }

  /** Hands requests unanswered for too long to other peers. */
  tick(now: number): void {
    for (const run of this.runs) {
      if (run.done || run.askedOf === undefined) continue;
      if (now - run.askedAt >= HASH_REQUEST_TIMEOUT_MS) {
        run.refusedBy.add(run.askedOf);
        run.askedOf = undefined;
      }
    }
    this.pump(now);
  }

  /** True when every connected peer has refused some run we still need: none of them can help. */
  stalled(): boolean {
    if (this.completed) return false;
    return this.runs.some(
      (run) =>
        !run.done &&
        run.askedOf === undefined &&
        [...this.peers].every((peer) => run.refusedBy.has(peer)),
    );
  }

  private runFor(peer: P, range: HashRange): Run | undefined {
    if (this.completed) return undefined;
    return this.runs.find(
      (run) =>
        !run.done &&
        run.askedOf === peer &&
        run.request.index === range.index &&
        run.request.length === range.length &&
        run.request.baseLayer === range.baseLayer &&
        bytesEqual(run.file.piecesRoot!, range.piecesRoot),
    );
  }

  /** Asks each idle run of the least busy peer that has not refused it (a few runs per peer). */
  private pump(now: number): void {
    if (this.completed || this.peers.size === 0) return;
    const load = new Map<P, number>();
    for (const peer of this.peers) load.set(peer, 0);
    for (const run of this.runs) {
      if (!run.done && run.askedOf !== undefined && load.has(run.askedOf as P)) {
        load.set(run.askedOf as P, load.get(run.askedOf as P)! + 1);
      }
    }
    for (const run of this.runs) {
      if (run.done || run.askedOf !== undefined) continue;
      let best: P | undefined;
      for (const peer of this.peers) {
        if (run.refusedBy.has(peer) || load.get(peer)! >= MAX_RUNS_PER_PEER) continue;
        if (best === undefined || load.get(peer)! < load.get(best)!) best = peer;
      }
      if (best === undefined) continue;
      run.askedOf = best;
      run.askedAt = now;
      load.set(best, load.get(best)! + 1);
      this.options.send(best, {
        type: 'hash-request',
        piecesRoot: run.file.piecesRoot!,
        ...run.request,
      });
    }
  }
}

function nextPowerOfTwo(count: number): number {
  let width = 1;
  while (width < count) width *= 2;
  return width;
}
