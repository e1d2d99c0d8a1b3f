/**
 * Which blocks to ask which peer for (BEP 3 leaves the policy to the client; this is the
 * usual one). Rarest first with a random tie-break, a partially downloaded piece finished
 * before a new one is started, endgame (the last blocks asked of several peers, the losers
 * cancelled) once nothing is left unrequested, a sequential mode, and the BEP 6 `allowed fast`
 * and `suggest` hints. Pure: the torrent feeds it events and asks it for requests.
 */
import { type PieceGeometry, pieceCount, pieceSize } from '@bt/metainfo';
import { Bitfield } from '@bt/primitives';
import type { BlockRequest } from '@bt/wire';
import type { RandomSource } from './clock.js';

export const BLOCK_SIZE = 16_384;

export interface PiecePickerOptions {
  /** The torrent's piece geometry (a `Metainfo` is one); piece sizes come from `@bt/metainfo`. */
  geometry: PieceGeometry;
  blockSize?: number;
  sequential?: boolean;
  random?: RandomSource;
  /**
   * Pieces started or waiting for their verdict at once, when the storage holds that many in
   * memory: past it no new piece is started (the storage would have to keep arriving blocks
   * waiting, or spill), unless the peer has nothing else to do. Default unlimited.
   */
  maxActivePieces?: number;
}

/** What the picker needs to know about the peer it picks for. */
export interface PickerPeer {
  /** Pieces the peer has. */
  has: Bitfield;
  /** The peer chokes us: only its allowed-fast pieces may be requested (BEP 6). */
  choked: boolean;
  allowedFast?: ReadonlySet<number>;
  /** Pieces the peer suggested (BEP 6), tried before rarest-first. */
  suggested?: readonly number[];
  /** True when this peer has the block asked already (endgame must not ask twice). */
  isRequested?(piece: number, offset: number): boolean;
  /** Identifies the peer for pieces that must come from one peer only (after a hash failure). */
  id?: number;
  /** The peer has no request of ours outstanding: it may start a piece past `maxActivePieces`. */
  idle?: boolean;
  /**
   * New pieces in torrent order for this peer (a web seed: adjacent pieces join into one long
   * HTTP range), whatever the torrent's mode.
   */
  inOrder?: boolean;
}

/** Most peers asked for one block in endgame. */
const ENDGAME_REQUESTERS = 2;

const NONE = 0;
const REQUESTED = 1;
const RECEIVED = 2;

interface PartialPiece {
  /** Per block: NONE, REQUESTED or RECEIVED. */
  state: Uint8Array;
  /** Per block: how many peers have it asked (more than one in endgame). */
  requesters: Uint8Array;
  unrequested: number;
  received: number;
  /** Set for a piece refetched after a hash failure: only this peer may supply it. */
  owner?: number;
}

export interface BlockResult {
  /** False for a block we did not ask for or already have (an endgame duplicate). */
  accepted: boolean;
  /** Every block of the piece is in: verify it. */
  pieceComplete: boolean;
}

export class PiecePicker {
  readonly geometry: PieceGeometry;
  readonly pieceCount: number;
  readonly blockSize: number;
  /** Blocks of a full piece. */
  readonly blocksPerPiece: number;
  sequential: boolean;
  maxActivePieces: number;
  readonly have: Bitfield;
  private readonly availability: Uint32Array;
  /** Peers that have every piece, counted once rather than per piece. */
  private seeds = 0;
  private readonly partials = new Map<number, PartialPiece>();
  /** Pieces with every block in, waiting for their hash check. */
  private readonly verifying = new Set<number>();
  /** Pieces that failed their hash: fetched again from one peer, so a liar is caught alone. */
  private readonly exclusive = new Set<number>();
  private readonly wanted: Bitfield;
  /** Per piece: its file priority's rank (file selection); a higher rank is started first. */
  private readonly ranks: Uint8Array;
  private readonly random: RandomSource;
  /** Wanted pieces neither had, started nor verifying: endgame needs none. */
  private freshCount: number;
  /** Blocks of started pieces nobody has been asked for. */
  private unrequestedCount = 0;

  constructor(options: PiecePickerOptions) {
    this.geometry = options.geometry;
    this.pieceCount = pieceCount(options.geometry);
    this.blockSize = options.blockSize ?? BLOCK_SIZE;
    this.blocksPerPiece = Math.ceil(options.geometry.pieceLength / this.blockSize);
    this.sequential = options.sequential ?? false;
    this.maxActivePieces = options.maxActivePieces ?? Number.POSITIVE_INFINITY;
    this.random = options.random ?? Math.random;
    this.have = new Bitfield(this.pieceCount);
    this.availability = new Uint32Array(this.pieceCount);
    this.wanted = Bitfield.full(this.pieceCount);
    this.ranks = new Uint8Array(this.pieceCount).fill(1);
    this.freshCount = this.pieceCount;
  }

  /** Bytes of piece `piece` (`@bt/metainfo`'s `pieceSize`). */
  pieceSize(piece: number): number {
    return pieceSize(this.geometry, piece);
  }

  blockCount(piece: number): number {
    return Math.ceil(this.pieceSize(piece) / this.blockSize);
  }

  blockLength(piece: number, block: number): number {
    return Math.min(this.blockSize, this.pieceSize(piece) - block * this.blockSize);
  }

  /** Marks pieces found on disk (after a recheck). */
  setHave(pieces: { has(index: number): boolean }): void {
    for (let piece = 0; piece < this.pieceCount; piece++) {
      if (!pieces.has(piece)) continue;
      if (this.isFresh(piece)) this.freshCount--;
      this.dropPartial(piece);
      this.verifying.delete(piece);
      this.have.set(piece);
    }
  }

  private dropPartial(piece: number): void {
    const partial = this.partials.get(piece);
    if (!partial) return;
    this.unrequestedCount -= partial.unrequested;
    this.partials.delete(piece);
  }

  /** Limits downloading to some pieces (file selection); all are wanted by default. */
  setWanted(piece: number, wanted: boolean): void {
    const wasFresh = this.isFresh(piece);
    if (wanted) this.wanted.set(piece);
    else this.wanted.clear(piece);
    this.freshCount += Number(this.isFresh(piece)) - Number(wasFresh);
  }

  /** The piece's priority rank (`file-selection.ts`: 2 high, 1 normal, 0 low). */
  setPriority(piece: number, rank: number): void {
    this.ranks[piece] = rank;
  }

  isWanted(piece: number): boolean {
    return this.wanted.has(piece);
  }

  /** Bytes of wanted pieces, and of those verified: progress of a selection. */
  wantedBytes(): { total: number; verified: number } {
    let total = 0;
    let verified = 0;
    for (let piece = 0; piece < this.pieceCount; piece++) {
      if (!this.wanted.has(piece)) continue;
      const size = this.pieceSize(piece);
      total += size;
      if (this.have.has(piece)) verified += size;
    }
    return { total, verified };
  }

  /** True once every wanted piece is verified. */
  get complete(): boolean {
    return this.freshCount === 0 && this.partials.size === 0 && this.verifying.size === 0;
  }

  /** Bytes of verified pieces. */
  get verifiedBytes(): number {
    const { pieceLength } = this.geometry;
    let bytes = this.have.count * pieceLength;
    if (this.have.has(this.pieceCount - 1))
      bytes -= pieceLength - this.pieceSize(this.pieceCount - 1);
    return bytes;
  }

  /** Bytes still to download (BEP 3 `left`). */
  get leftBytes(): number {
    return this.geometry.length - this.verifiedBytes;
  }

  // Availability ----------------------------------------------------------------------------

  availabilityOf(piece: number): number {
    return this.seeds + (this.availability[piece] ?? 0);
  }

  peerHas(piece: number): void {
    if (piece >= 0 && piece < this.pieceCount) this.availability[piece]!++;
  }

  peerBitfield(pieces: Bitfield): void {
    if (pieces.complete) {
      this.seeds++;
      return;
    }
    for (const piece of pieces.indices()) this.availability[piece]!++;
  }

  /** A peer left: its pieces count no more (`countedAsSeed`: it was counted by `peerBitfield` as a seed). */
  peerGone(pieces: Bitfield, countedAsSeed = pieces.complete): void {
    if (countedAsSeed) {
      this.seeds = Math.max(0, this.seeds - 1);
      return;
    }
    for (const piece of pieces.indices()) {
      if (this.availability[piece]! > 0) this.availability[piece]!--;
    }
  }

  /** Copies per piece: the minimum over missing pieces plus the share above it (like mainstream clients). */
  distributedCopies(): number {
    let minimum = Number.POSITIVE_INFINITY;
    for (let piece = 0; piece < this.pieceCount; piece++)
      minimum = Math.min(minimum, this.availabilityOf(piece));
    if (!Number.isFinite(minimum)) return 0;
    let above = 0;
    for (let piece = 0; piece < this.pieceCount; piece++)
      if (this.availabilityOf(piece) > minimum) above++;
    return minimum + (this.pieceCount > 0 ? above / this.pieceCount : 0);
  }

  /** True when the peer has a wanted piece we lack. */
  isInteresting(pieces: Bitfield): boolean {
    if (this.complete) return false;
    if (pieces.complete) return true;
    for (let piece = 0; piece < this.pieceCount; piece++)
      if (pieces.has(piece) && this.isWantedMissing(piece)) return true;
    return false;
  }

  private isWantedMissing(piece: number): boolean {
    return this.wanted.has(piece) && !this.have.has(piece);
  }

  // Picking ---------------------------------------------------------------------------------

  /** Endgame: every missing block is already asked of someone. */
  get endgame(): boolean {
    return this.freshCount === 0 && this.unrequestedCount === 0 && !this.complete;
  }

  /** Up to `max` block requests for this peer, marked as requested. */
  pick(peer: PickerPeer, max: number): BlockRequest[] {
    const requests: BlockRequest[] = [];
    if (max <= 0 || this.complete) return requests;
    const allowed = (piece: number): boolean =>
      peer.has.has(piece) && (!peer.choked || (peer.allowedFast?.has(piece) ?? false));
    const mine = (partial: PartialPiece): boolean =>
      partial.owner === undefined || partial.owner === peer.id;
    if (peer.choked && !peer.allowedFast?.size) return requests;

    // 1. finish what is started
    for (const [piece, partial] of this.partials) {
      if (requests.length >= max) return requests;
      if (partial.unrequested === 0 || !allowed(piece) || !mine(partial)) continue;
      this.takeBlocks(piece, partial, requests, max);
    }
    // 2. suggested pieces, 3. new pieces, while memory holds them; past that one for an idle
    // peer when no verdict is coming that would free memory (started pieces may be stuck)
    const stuck = requests.length === 0 && peer.idle === true && this.verifying.size === 0;
    const limit = Math.min(max, requests.length + this.room(stuck));
    if (requests.length < limit && peer.suggested) {
      for (const piece of peer.suggested) {
        if (requests.length >= limit) break;
        if (this.isFresh(piece) && allowed(piece))
          this.takeBlocks(piece, this.start(piece, peer.id), requests, limit);
      }
    }
    if (requests.length < limit) {
      const needed = Math.ceil((limit - requests.length) / this.blocksPerPiece);
      for (const piece of this.freshPieces(allowed, needed, peer.inOrder ?? false)) {
        this.takeBlocks(piece, this.start(piece, peer.id), requests, limit);
        if (requests.length >= limit) return requests;
      }
    }
    // 4. endgame: ask again for blocks others have outstanding
    if (requests.length === 0 && this.endgame) {
      for (const [piece, partial] of this.partials) {
        if (!allowed(piece) || !mine(partial)) continue;
        for (let block = 0; block < partial.state.length; block++) {
          if (requests.length >= max) return requests;
          // two asks per block are enough to beat one slow peer; more only waste bandwidth
          if (
            partial.state[block] !== REQUESTED ||
            partial.requesters[block]! >= ENDGAME_REQUESTERS
          )
            continue;
          const offset = block * this.blockSize;
          if (peer.isRequested?.(piece, offset)) continue;
          partial.requesters[block]!++;
          requests.push({ index: piece, begin: offset, length: this.blockLength(piece, block) });
        }
      }
    }
    return requests;
  }

  /**
   * Up to `max` block requests for pieces with a deadline (`piece-deadlines.ts`), in the order
   * given, before anything `pick` would choose: their unrequested blocks, a new piece started
   * past `maxActivePieces`, and for a piece marked `duplicate` (its time has come) blocks
   * already asked of another peer, at most twice each, as in endgame.
   */
  pickUrgent(
    peer: PickerPeer,
    pieces: readonly { piece: number; duplicate: boolean }[],
    max: number,
  ): BlockRequest[] {
    const requests: BlockRequest[] = [];
    if (max <= 0 || (peer.choked && !peer.allowedFast?.size)) return requests;
    for (const { piece, duplicate } of pieces) {
      if (requests.length >= max) break;
      if (!peer.has.has(piece) || (peer.choked && !peer.allowedFast?.has(piece))) continue;
      if (this.isFresh(piece)) this.start(piece, peer.id);
      const partial = this.partials.get(piece);
      if (!partial || (partial.owner !== undefined && partial.owner !== peer.id)) continue;
      if (partial.unrequested > 0) {
        // what this peer was just given needs no second ask from it
        this.takeBlocks(piece, partial, requests, max);
        continue;
      }
      if (!duplicate) continue;
      for (let block = 0; block < partial.state.length && requests.length < max; block++) {
        if (partial.state[block] !== REQUESTED || partial.requesters[block]! >= ENDGAME_REQUESTERS)
          continue;
        const offset = block * this.blockSize;
        if (peer.isRequested?.(piece, offset) !== false) continue;
        partial.requesters[block]!++;
        requests.push({ index: piece, begin: offset, length: this.blockLength(piece, block) });
      }
    }
    return requests;
  }

  /** Blocks of new pieces that may be started within `maxActivePieces` (`atLeastOne`: one past it). */
  private room(atLeastOne: boolean): number {
    const pieces = Math.max(atLeastOne ? 1 : 0, this.maxActivePieces - this.activePieces);
    return pieces * this.blocksPerPiece;
  }

  /** Pieces started or waiting for their verdict. */
  get activePieces(): number {
    return this.partials.size + this.verifying.size;
  }

  private isFresh(piece: number): boolean {
    return this.isWantedMissing(piece) && !this.partials.has(piece) && !this.verifying.has(piece);
  }

  /** Untouched pieces the peer may serve: in order (sequential) or rarest first, ties shuffled. */
  private freshPieces(
    allowed: (piece: number) => boolean,
    needed: number,
    inOrder: boolean,
  ): number[] {
    const sequential = this.sequential || inOrder;
    if (needed === 1 && !sequential) {
      // the common refill: one scan, the rarest piece with reservoir-sampled ties
      let best = -1;
      let bestAvailability = Number.POSITIVE_INFINITY;
      let bestRank = -1;
      let ties = 0;
      for (let piece = 0; piece < this.pieceCount; piece++) {
        if (!this.isFresh(piece) || !allowed(piece)) continue;
        const availability = this.availabilityOf(piece);
        const rank = this.ranks[piece]!;
        // a higher file priority first, then the rarest
        if (rank > bestRank || (rank === bestRank && availability < bestAvailability)) {
          best = piece;
          bestAvailability = availability;
          bestRank = rank;
          ties = 1;
        } else if (
          rank === bestRank &&
          availability === bestAvailability &&
          this.random() * ++ties < 1
        ) {
          best = piece;
        }
      }
      return best < 0 ? [] : [best];
    }
    const candidates: number[] = [];
    if (sequential) {
      // in torrent order, the pieces of a higher file priority first
      for (let rank = this.topRank(); rank >= 0 && candidates.length <= needed; rank--) {
        for (let piece = 0; piece < this.pieceCount && candidates.length <= needed; piece++)
          if (this.ranks[piece] === rank && this.isFresh(piece) && allowed(piece))
            candidates.push(piece);
      }
      return candidates;
    }
    for (let piece = 0; piece < this.pieceCount; piece++)
      if (this.isFresh(piece) && allowed(piece)) candidates.push(piece);
    // a higher file priority always ahead, then the rarest, ties shuffled
    const keys = new Float64Array(this.pieceCount);
    for (const piece of candidates)
      keys[piece] =
        (3 - this.ranks[piece]!) * 1e9 + this.availabilityOf(piece) + this.random() * 0.5;
    candidates.sort((a, b) => keys[a]! - keys[b]!);
    return candidates;
  }

  /** The highest rank any piece has (1 when no file priority was set). */
  private topRank(): number {
    let top = 0;
    for (const rank of this.ranks) if (rank > top) top = rank;
    return top;
  }

  private start(piece: number, peerId: number | undefined): PartialPiece {
    const blocks = this.blockCount(piece);
    const partial: PartialPiece = {
      state: new Uint8Array(blocks),
      requesters: new Uint8Array(blocks),
      unrequested: blocks,
      received: 0,
      owner: this.exclusive.has(piece) ? peerId : undefined,
    };
    this.freshCount--;
    this.unrequestedCount += blocks;
    this.partials.set(piece, partial);
    return partial;
  }

  private takeBlocks(
    piece: number,
    partial: PartialPiece,
    requests: BlockRequest[],
    max: number,
  ): void {
    for (let block = 0; block < partial.state.length && requests.length < max; block++) {
      if (partial.state[block] !== NONE) continue;
      partial.state[block] = REQUESTED;
      partial.requesters[block] = 1;
      partial.unrequested--;
      this.unrequestedCount--;
      requests.push({
        index: piece,
        begin: block * this.blockSize,
        length: this.blockLength(piece, block),
      });
    }
  }

  // Events ----------------------------------------------------------------------------------

  /** A block arrived (from `peerId`, where pieces are refetched from one peer). */
  blockReceived(piece: number, offset: number, peerId?: number): BlockResult {
    const partial = this.partials.get(piece);
    const block = offset / this.blockSize;
    if (!partial || !Number.isInteger(block) || block >= partial.state.length) {
      return { accepted: false, pieceComplete: false };
    }
    // a piece refetched after a hash failure takes blocks from its one peer only
    if (partial.owner !== undefined && peerId !== undefined && peerId !== partial.owner) {
      return { accepted: false, pieceComplete: false };
    }
    const state = partial.state[block]!;
    if (state === RECEIVED) return { accepted: false, pieceComplete: false };
    if (state === NONE) {
      partial.unrequested--;
      this.unrequestedCount--;
    }
    partial.state[block] = RECEIVED;
    partial.requesters[block] = 0;
    partial.received++;
    if (partial.received === partial.state.length) {
      this.partials.delete(piece);
      this.verifying.add(piece);
      return { accepted: true, pieceComplete: true };
    }
    return { accepted: true, pieceComplete: false };
  }

  /** A request will not be answered (cancelled, rejected, choked, timed out, peer gone). */
  requestDropped(piece: number, offset: number): void {
    const partial = this.partials.get(piece);
    const block = offset / this.blockSize;
    if (!partial || !Number.isInteger(block) || partial.state[block] !== REQUESTED) return;
    if (partial.requesters[block]! > 0) partial.requesters[block]!--;
    if (partial.requesters[block] === 0) {
      partial.state[block] = NONE;
      partial.unrequested++;
      this.unrequestedCount++;
      // the owner of an exclusive piece gave up on it entirely: anyone may finish it
      if (partial.owner !== undefined && partial.requesters.every((count) => count === 0))
        partial.owner = undefined;
    }
  }

  /** How many peers have a block asked. */
  requestersOf(piece: number, offset: number): number {
    return this.partials.get(piece)?.requesters[offset / this.blockSize] ?? 0;
  }

  pieceVerified(piece: number): void {
    this.exclusive.delete(piece);
    if (this.isFresh(piece)) this.freshCount--;
    this.verifying.delete(piece);
    this.dropPartial(piece);
    this.have.set(piece);
  }

  /** The piece failed its hash: every block of it is fetched again. */
  pieceFailed(piece: number): void {
    if (this.have.has(piece)) return;
    const wasFresh = this.isFresh(piece);
    this.verifying.delete(piece);
    this.dropPartial(piece);
    this.exclusive.add(piece);
    if (!wasFresh && this.isFresh(piece)) this.freshCount++;
  }

  /** Pieces started but not complete, with blocks received. */
  get partialCount(): number {
    return this.partials.size;
  }
}
