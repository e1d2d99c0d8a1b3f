/**
 * Downloading: which blocks each peer is asked for (the picker's choice, a pipeline sized from
 * the peer's rate, blocks in flight bounded), what comes back (only blocks asked of that very
 * peer enter a piece; a peer that sends others is dropped), the verdicts on pieces (who sent a
 * piece that failed its hash is struck or banned), endgame cancels, interest and snubbing.
 * The one owner of the requests out and of who contributed to each piece; which blocks each
 * piece has is the picker's fact alone: the storage only stores them, and hashes a piece when
 * the picker says it is whole (`verifyPiece`), once.
 */
import { SessionError } from './errors.js';
import { MAX_PIPELINE, MIN_PIPELINE, type Peer } from './peer.js';
import { pipelineDepth, takeAll, type TokenBucket } from './rate.js';
import type { TorrentContext } from './torrent-context.js';

/**
 * Blocks asked for and not yet stored, per torrent over all peers (16 MiB): memory stays bounded,
 * and when the disk falls behind (blocks wait in the storage) fewer are asked for, so the
 * peers slow down instead of the process growing.
 */
const MAX_BLOCKS_IN_FLIGHT = 1024;

/**
 * Ordinary requests left with a peer when a piece is due now: the oldest, likely already on
 * their way (256 KiB); the rest are cancelled so the due piece comes next.
 */
const KEPT_ON_DEADLINE = 16;

export interface DownloadingHooks {
  /** Every wanted piece is verified. */
  completed(): void;
}

export class Downloading {
  private readonly ctx: TorrentContext;
  private readonly hooks: DownloadingHooks;
  /** Blocks per (full) piece: block keys are `piece * blocksPerPiece + block`. */
  private readonly blocksPerPiece: number;
  private readonly buckets: TokenBucket[];
  /** Peers whose blocks entered each piece not yet verified: blamed if it fails its hash. */
  private readonly contributors = new Map<number, Set<Peer>>();
  private pendingWrites = 0;
  private waitingForStorage = false;
  hashFailures = 0;
  /** Payload bytes received and thrown away (duplicates, late, corrupt). */
  wasted = 0;

  constructor(ctx: TorrentContext, bucket: TokenBucket, hooks: DownloadingHooks) {
    this.ctx = ctx;
    this.hooks = hooks;
    this.blocksPerPiece = Math.ceil(ctx.picker.geometry.pieceLength / ctx.picker.blockSize);
    this.buckets = [bucket, ...(ctx.options.globalDownload ? [ctx.options.globalDownload] : [])];
  }

  /** Block writes handed to the storage and not yet settled. */
  get writesInFlight(): number {
    return this.pendingWrites;
  }

  // Block keys ------------------------------------------------------------------------------

  /** The key of the block at `begin` of `piece`; -1 when no block starts there. */
  keyOf(piece: number, begin: number): number {
    const { picker } = this.ctx;
    if (!(piece >= 0 && piece < picker.pieceCount)) return -1;
    const block = begin / picker.blockSize;
    if (!Number.isInteger(block) || block < 0 || block >= picker.blockCount(piece)) return -1;
    return piece * this.blocksPerPiece + block;
  }

  private pieceOf(key: number): number {
    return Math.floor(key / this.blocksPerPiece);
  }

  private beginOf(key: number): number {
    return (key % this.blocksPerPiece) * this.ctx.picker.blockSize;
  }

  // Requests --------------------------------------------------------------------------------

  /** Sizes the peer's pipeline from its rate (once per tick). */
  resize(peer: Peer): void {
    peer.depth = Math.min(
      peer.maxRequests,
      pipelineDepth(peer.download.rate, {
        blockSize: this.ctx.picker.blockSize,
        min: MIN_PIPELINE,
        max: MAX_PIPELINE,
      }),
    );
  }

  /** Keeps the peer's pipeline full: requests sized from its rate, batched into one write. */
  fill(peer: Peer): void {
    const { ctx } = this;
    if (ctx.state !== 'downloading' || !peer.amInterested) return;
    if (peer.peerChoking && peer.allowedFast.size === 0) return;
    if (ctx.deadlines.active) this.fillUrgent(peer);
    const depth = peer.snubbedAt !== undefined ? 1 : peer.depth;
    const busy = peer.outstanding.size > 0;
    // refill in batches, not per block, so the picker runs rarely on a fast peer and the
    // requests leave in few writes
    const batch = busy ? Math.max(1, depth >> 3) : 1;
    let room = depth - peer.outstanding.size;
    if (room < batch) return;
    // and keep the torrent's blocks in flight bounded however many peers there are
    let inFlight = this.pendingWrites;
    for (const other of ctx.peers) inFlight += other.outstanding.size;
    room = Math.min(room, MAX_BLOCKS_IN_FLIGHT - inFlight);
    if (room < batch) {
      this.waitingForStorage = this.pendingWrites > 0;
      return;
    }
    let allowance = room;
    if (this.buckets.some((bucket) => !bucket.unlimited)) {
      allowance = 0;
      while (allowance < room && takeAll(this.buckets, ctx.picker.blockSize)) allowance++;
      if (allowance === 0) return;
    }
    const requests = ctx.picker.pick(
      {
        has: peer.has,
        choked: peer.peerChoking,
        allowedFast: peer.allowedFast,
        suggested: peer.suggested,
        isRequested: (piece, offset) => peer.outstanding.has(this.keyOf(piece, offset)),
        id: peer.id,
        idle: !busy,
        inOrder: peer.source === 'webseed',
      },
      allowance,
    );
    if (requests.length === 0) {
      if (ctx.picker.complete || !ctx.picker.isInteresting(peer.has)) this.updateInterest(peer);
      return;
    }
    const now = ctx.clock.now();
    for (const request of requests)
      peer.outstanding.set(this.keyOf(request.index, request.begin), now);
    peer.wire.sendRequests(requests);
  }

  /**
   * Pieces with a deadline go first (`piece-deadlines.ts`, libtorrent's model): asked of a peer
   * among the fastest that have them, past its pipeline's depth (they must not queue behind
   * ordinary blocks) up to a second pipeline; a late piece's blocks are asked twice.
   */
  private fillUrgent(peer: Peer): void {
    const { ctx } = this;
    if (peer.snubbedAt !== undefined) return;
    const urgent = ctx.deadlines.urgent((piece) => ctx.picker.have.has(piece));
    const first = urgent[0];
    if (!first) return;
    if (peer.has.has(first.piece)) {
      // the fastest peers that have the most urgent piece take it
      let best = 0;
      for (const other of ctx.peers)
        if (!other.peerChoking && other.has.has(first.piece))
          best = Math.max(best, other.download.rate);
      if (peer.download.rate < best / 2) return;
    }
    let inFlight = this.pendingWrites;
    for (const other of ctx.peers) inFlight += other.outstanding.size;
    let room = Math.min(2 * peer.depth - peer.outstanding.size, MAX_BLOCKS_IN_FLIGHT - inFlight);
    if (room <= 0) return;
    if (this.buckets.some((bucket) => !bucket.unlimited)) {
      let allowance = 0;
      while (allowance < room && takeAll(this.buckets, ctx.picker.blockSize)) allowance++;
      room = allowance;
    }
    const now = ctx.clock.now();
    const requests = ctx.picker.pickUrgent(
      {
        has: peer.has,
        choked: peer.peerChoking,
        allowedFast: peer.allowedFast,
        isRequested: (piece, offset) => peer.outstanding.has(this.keyOf(piece, offset)),
        id: peer.id,
      },
      urgent.map(({ piece, deadline }) => ({ piece, duplicate: deadline <= now })),
      room,
    );
    if (requests.length === 0) return;
    // a piece due now must not wait behind a second of ordinary blocks: those not yet on their
    // way are cancelled (the peer drops them from its queue) and asked again later
    const due = new Set(urgent.filter(({ deadline }) => deadline <= now).map(({ piece }) => piece));
    if (requests.some((request) => due.has(request.index))) this.cancelOrdinary(peer);
    for (const request of requests)
      peer.outstanding.set(this.keyOf(request.index, request.begin), now);
    peer.wire.sendRequests(requests);
  }

  /** Cancels the peer's requests for pieces without a deadline, but the oldest few. */
  private cancelOrdinary(peer: Peer): void {
    const { ctx } = this;
    let kept = 0;
    for (const key of [...peer.outstanding.keys()]) {
      const piece = this.pieceOf(key);
      if (ctx.deadlines.deadlineOf(piece) !== undefined || kept++ < KEPT_ON_DEADLINE) continue;
      const begin = this.beginOf(key);
      peer.outstanding.delete(key);
      peer.withdraw(key);
      ctx.picker.requestDropped(piece, begin);
      peer.wire.send({
        type: 'cancel',
        index: piece,
        begin,
        length: ctx.picker.blockLength(piece, begin / ctx.picker.blockSize),
      });
    }
  }

  /** New deadlines: the fastest peers are asked first. */
  fillUrgentAll(): void {
    const peers = [...this.ctx.peers].sort((a, b) => b.download.rate - a.download.rate);
    for (const peer of peers) this.fill(peer);
  }

  /** Fills every peer's pipeline (but `except`'s). */
  fillAll(except?: Peer): void {
    for (const peer of this.ctx.peers) if (peer !== except) this.fill(peer);
  }

  /** Tells the peer whether we want something it has, and asks it for blocks if so. */
  updateInterest(peer: Peer): void {
    const interesting = this.ctx.picker.isInteresting(peer.has);
    if (interesting && !peer.amInterested) {
      peer.amInterested = true;
      peer.wire.send({ type: 'interested' });
    } else if (!interesting && peer.amInterested) {
      peer.amInterested = false;
      peer.wire.send({ type: 'not-interested' });
    }
    if (interesting) this.fill(peer);
  }

  /** Every request out to the peer goes back to the picker; a late answer is then wasted quietly. */
  withdrawAll(peer: Peer): void {
    for (const key of peer.outstanding.keys()) {
      this.ctx.picker.requestDropped(this.pieceOf(key), this.beginOf(key));
      peer.withdraw(key);
    }
    peer.outstanding.clear();
  }

  /** The peer choked us: without BEP 6 its queue is gone; with it, it rejects one by one. */
  onChoke(peer: Peer): void {
    peer.peerChoking = true;
    if (!peer.wire.capabilities.fast) this.withdrawAll(peer);
  }

  onReject(peer: Peer, piece: number, begin: number): void {
    const key = this.keyOf(piece, begin);
    if (key >= 0 && peer.outstanding.delete(key)) this.ctx.picker.requestDropped(piece, begin);
  }

  /** The peer is gone: its requests go to others. */
  onPeerGone(peer: Peer): void {
    this.withdrawAll(peer);
    this.fillAll();
  }

  // Blocks ----------------------------------------------------------------------------------

  onBlock(peer: Peer, piece: number, begin: number, block: Uint8Array): void {
    const { ctx } = this;
    const key = this.keyOf(piece, begin);
    if (key < 0 || !peer.outstanding.delete(key)) {
      if (key >= 0 && peer.withdrawn.delete(key)) {
        // we withdrew the request (a cancel crossed it on the wire): wasted, not a lie
        peer.download.add(block.length);
        ctx.downloadMeter.add(block.length);
        this.wasted += block.length;
        return;
      }
      // only blocks asked of this very peer may enter a piece: anything else is a lie or a bug
      this.wasted += block.length;
      return ctx.drop(
        peer,
        new SessionError(
          'peer-unrequested',
          key < 0
            ? `block at ${begin} of piece ${piece} is not aligned to a block`
            : `block at ${begin} of piece ${piece} was not requested from this peer`,
        ),
      );
    }
    const now = ctx.clock.now();
    peer.download.add(block.length);
    ctx.downloadMeter.add(block.length);
    peer.lastBlockAt = now;
    if (peer.snubbedAt !== undefined) peer.snubbedAt = undefined;
    if (block.length !== ctx.picker.blockLength(piece, begin / ctx.picker.blockSize)) {
      this.wasted += block.length;
      ctx.picker.requestDropped(piece, begin);
      return ctx.drop(
        peer,
        new SessionError(
          'peer-unrequested',
          `block at ${begin} of piece ${piece} has ${block.length} bytes, not the length requested`,
        ),
      );
    }
    const result = ctx.picker.blockReceived(piece, begin, peer.id);
    if (!result.accepted) {
      this.wasted += block.length;
      this.fill(peer);
      return;
    }
    // endgame: the others asked for this block are told not to bother
    if (ctx.picker.endgame) {
      for (const other of ctx.peers) {
        if (other === peer || !other.outstanding.delete(key)) continue;
        other.withdraw(key);
        other.wire.send({ type: 'cancel', index: piece, begin, length: block.length });
      }
    }
    let contributors = this.contributors.get(piece);
    if (!contributors) this.contributors.set(piece, (contributors = new Set()));
    contributors.add(peer);
    this.pendingWrites++;
    ctx.storage.writeBlock(piece, begin, block).then(
      () => {
        this.pendingWrites--;
        this.storageCaughtUp();
      },
      (error: unknown) => {
        this.pendingWrites--;
        this.storageFailed(error, `writing piece ${piece} failed`);
      },
    );
    // the picker, which knows which blocks were asked and received, says when a piece is whole:
    // the storage only stores, and hashes when told to
    if (result.pieceComplete) {
      ctx.storage.verifyPiece(piece).then(
        (verdict) => this.onVerdict(verdict.index, verdict.ok),
        (error: unknown) => this.storageFailed(error, `verifying piece ${piece} failed`),
      );
    }
    this.fill(peer);
  }

  private storageFailed(error: unknown, message: string): void {
    if (this.ctx.signal.aborted) return;
    this.ctx.fail(
      new SessionError('storage-failed', `${message}: ${String(error)}`, { cause: error }),
    );
  }

  /** Blocks waiting in the storage held the pipelines back: refill them once half are stored. */
  private storageCaughtUp(): void {
    if (!this.waitingForStorage || this.pendingWrites > MAX_BLOCKS_IN_FLIGHT / 2) return;
    this.waitingForStorage = false;
    this.fillAll();
  }

  // Verdicts --------------------------------------------------------------------------------

  private onVerdict(piece: number, ok: boolean): void {
    const { ctx } = this;
    const contributors = this.contributors.get(piece) ?? new Set<Peer>();
    this.contributors.delete(piece);
    // a verdict that lands while paused still counts: the picker must not wait for it forever
    if (ctx.state === 'stopped' || ctx.state === 'error') return;
    if (ok) {
      if (ctx.picker.have.has(piece)) return;
      ctx.picker.pieceVerified(piece);
      // a piece one peer sent alone and right clears that peer of earlier shared failures
      if (contributors.size === 1) {
        const [only] = contributors;
        if (only?.address) ctx.registry.hashPassed(only.address);
      }
      ctx.emit('piece-verified', {
        piece,
        piecesHave: ctx.picker.have.count,
        pieceCount: ctx.picker.pieceCount,
      });
      for (const peer of ctx.peers) {
        if (!peer.has.has(piece) || !peer.wire.capabilities.fast)
          peer.wire.send({ type: 'have', index: piece });
      }
      if (ctx.picker.complete) this.hooks.completed();
      // its memory in the storage is free again: pieces held back for it may start
      else this.fillAll();
      return;
    }
    this.hashFailures++;
    this.wasted += ctx.picker.pieceSize(piece);
    // the piece is fetched again from one peer alone, so a liar is caught by itself
    ctx.picker.pieceFailed(piece);
    // requests still out for the piece would mix old senders into the refetch
    for (const peer of ctx.peers) {
      for (const key of peer.outstanding.keys()) {
        if (this.pieceOf(key) !== piece) continue;
        peer.outstanding.delete(key);
        peer.withdraw(key);
        const begin = this.beginOf(key);
        peer.wire.send({
          type: 'cancel',
          index: piece,
          begin,
          length: ctx.picker.blockLength(piece, begin / ctx.picker.blockSize),
        });
      }
    }
    ctx.emit('piece-failed', { piece, peers: [...contributors].map((peer) => peer.label) });
    const sole = contributors.size === 1;
    for (const peer of contributors) {
      // a peer without an address is not in the registry: it is dropped when it alone failed
      const banned = peer.address ? ctx.registry.hashFailed(peer.address, sole) : sole;
      if (!banned) continue;
      const error = new SessionError(
        'peer-banned',
        `sent data for piece ${piece} that failed its hash`,
      );
      ctx.emit('peer-banned', { address: peer.label, piece, error });
      if (ctx.peers.has(peer)) ctx.drop(peer, error);
    }
    this.fillAll();
  }

  // Health ----------------------------------------------------------------------------------

  /**
   * A peer with requests out and no block for the snub timeout is snubbed (its requests go to
   * others, it keeps one); snubbed as long again, it is replaced when someone else could come.
   */
  checkSnubs(now: number): void {
    const { ctx } = this;
    const snubTimeout = ctx.options.snubTimeoutMs ?? 30_000;
    for (const peer of ctx.peers) {
      if (
        peer.outstanding.size > 0 &&
        now - peer.lastBlockAt > snubTimeout &&
        peer.snubbedAt === undefined
      ) {
        peer.snubbedAt = now;
        this.withdrawAll(peer);
        ctx.emit('peer-snubbed', { address: peer.label });
        this.fillAll(peer);
      }
      if (
        peer.snubbedAt !== undefined &&
        now - peer.snubbedAt > snubTimeout &&
        ctx.registry.dialable > 0
      ) {
        ctx.drop(peer, new SessionError('peer-stalled', 'no block for too long'));
      }
    }
  }
}
