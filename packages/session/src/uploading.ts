/**
 * Uploading: the peers' requests (queued in order, bounded, refused while we choke them), blocks
 * read from the storage a few at a time and sent within the rate limits and the socket's
 * back-pressure, and choking (BEP 3: which peers get the upload slots, decided by the choker;
 * BEP 6: what a choked peer had queued is rejected one by one).
 */
import { WIRE_DEFAULTS } from '@bt/wire';
import type { BlockRequest } from '@bt/wire';
import { Choker } from './choker.js';
import { SessionError } from './errors.js';
import type { Peer } from './peer.js';
import { takeAll, type TokenBucket } from './rate.js';
import type { TorrentContext } from './torrent-context.js';

/** Bytes queued on a peer's socket above which we stop reading blocks for it until it drains. */
const UPLOAD_HIGH_WATER = 4 * 1024 * 1024;
/** How far down a peer's queue pieces are read ahead (requests, 2 MiB of 16 KiB blocks). */
const READ_AHEAD_REQUESTS = 128;
/** Blocks read from the storage at once per peer (those not in its read cache). */
const READS_PER_PEER = 16;
/** The largest block a peer may ask for (128 KiB, as mainstream clients). */
const MAX_REQUEST_LENGTH = 131_072;

export class Uploading {
  private readonly ctx: TorrentContext;
  private readonly choker: Choker;
  private readonly slots: number;
  private readonly maxPeerRequests: number;
  private readonly buckets: TokenBucket[];

  constructor(ctx: TorrentContext, bucket: TokenBucket) {
    this.ctx = ctx;
    this.slots = ctx.options.uploadSlots ?? 4;
    this.maxPeerRequests = ctx.options.maxPeerRequests ?? WIRE_DEFAULTS.maxPeerRequests;
    this.choker = new Choker({ slots: this.slots });
    this.buckets = [bucket, ...(ctx.options.globalUpload ? [ctx.options.globalUpload] : [])];
  }

  // Requests --------------------------------------------------------------------------------

  onRequest(peer: Peer, index: number, begin: number, length: number): void {
    const { picker } = this.ctx;
    const valid =
      index < picker.pieceCount &&
      length > 0 &&
      length <= MAX_REQUEST_LENGTH &&
      begin + length <= picker.pieceSize(index) &&
      picker.have.has(index);
    if (peer.amChoking || !valid) {
      // what the peer had out when we choked it crosses the choke on the wire (at most our
      // `reqq`); more than that since the choke is a flood
      if (++peer.refusedRequests > this.maxPeerRequests)
        return this.ctx.drop(
          peer,
          new SessionError(
            'peer-flood',
            `request flood: ${peer.refusedRequests} requests refused since we choked it`,
          ),
        );
      if (peer.wire.capabilities.fast) peer.wire.send({ type: 'reject', index, begin, length });
      else if (!valid)
        this.ctx.drop(
          peer,
          new SessionError('peer-protocol', `request for piece ${index}, which we do not have`),
        );
      return;
    }
    if (peer.uploadQueue.length >= this.maxPeerRequests) {
      this.ctx.drop(
        peer,
        new SessionError('peer-flood', `request flood: over ${this.maxPeerRequests} queued`),
      );
      return;
    }
    peer.uploadQueue.push({ index, begin, length });
    this.readAhead(peer, peer.uploadQueue.length - 1);
    this.serve(peer);
  }

  onCancel(peer: Peer, index: number, begin: number, length: number): void {
    const at = peer.uploadQueue.findIndex(
      (item) => item.index === index && item.begin === begin && item.length === length,
    );
    if (at >= 0) peer.uploadQueue.splice(at, 1);
  }

  /** Sends what the peer asked for, unless a send for it is already running. */
  serve(peer: Peer): void {
    if (peer.serving || peer.uploadQueue.length === 0 || peer.amChoking) return;
    peer.serving = true;
    void this.serveLoop(peer).finally(() => {
      peer.serving = false;
    });
  }

  private async serveLoop(peer: Peer): Promise<void> {
    const { ctx } = this;
    while (peer.uploadQueue.length > 0 && !peer.amChoking && ctx.peers.has(peer)) {
      if (peer.wire.bufferedBytes > UPLOAD_HIGH_WATER) return; // onDrain resumes
      const batch: BlockRequest[] = [];
      let sent = false;
      while (batch.length < READS_PER_PEER && peer.uploadQueue.length > 0) {
        if (peer.wire.bufferedBytes > UPLOAD_HIGH_WATER) break;
        const next = peer.uploadQueue[0]!;
        if (!takeAll(this.buckets, next.length)) break;
        peer.uploadQueue.shift();
        this.readAhead(peer, READ_AHEAD_REQUESTS - 1);
        // in memory already: answered in the turn the request arrived, no read to wait for
        const cached = ctx.storage.peekBlock?.(next.index, next.begin, next.length);
        if (cached === undefined) batch.push(next);
        else {
          this.sendBlock(peer, next, cached);
          sent = true;
        }
      }
      if (batch.length === 0 && sent) continue;
      if (batch.length === 0) {
        const wait = Math.max(
          ...this.buckets.map((bucket) => bucket.waitTime(peer.uploadQueue[0]?.length ?? 0)),
          10,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const reading = Promise.all(
        batch.map((item) =>
          ctx.storage.readBlock(item.index, item.begin, item.length).catch(() => undefined),
        ),
      );
      const blocks = await reading;
      for (let at = 0; at < batch.length; at++) {
        const block = blocks[at];
        if (block !== undefined) this.sendBlock(peer, batch[at]!, block);
        else this.refuse(peer, batch[at]!);
      }
    }
  }

  /** Sends a block read for `peer` (or gives it back if the peer went away or choked meanwhile). */
  private sendBlock(peer: Peer, item: BlockRequest, block: Uint8Array): void {
    const { ctx } = this;
    if (peer.amChoking || !ctx.peers.has(peer)) {
      ctx.storage.releaseBlock?.(block);
      this.refuse(peer, item);
      return;
    }
    // the storage may lend the block from its read cache: give it back once sent
    peer.wire.sendPiece(item.index, item.begin, block, () => ctx.storage.releaseBlock?.(block));
    peer.upload.add(block.length);
    ctx.uploadMeter.add(block.length);
  }

  /**
   * Read-ahead, for a storage with a read cache (`peekBlock`): the request at `position` of the
   * queue, when it is the first of its piece there and within the next `READ_AHEAD_REQUESTS`,
   * has its piece read now, so the read overlaps with sending what comes before it and the
   * block is in memory when its turn comes. Called as a request joins the queue and as each
   * request moves up into that horizon: every piece is asked for once, about 2 MiB ahead.
   */
  private readAhead(peer: Peer, position: number): void {
    const { storage } = this.ctx;
    if (storage.peekBlock === undefined || position >= READ_AHEAD_REQUESTS) return;
    const item = peer.uploadQueue[position];
    if (item === undefined || peer.uploadQueue[position - 1]?.index === item.index) return;
    storage.readBlock(item.index, item.begin, item.length).then(
      (block) => storage.releaseBlock?.(block),
      () => undefined,
    );
  }

  /**
   * A request taken off the queue that will not be answered (we choked the peer while its block
   * was being read, or the read failed): BEP 6 says so with a reject, or the peer would wait for
   * it until its own timeout. Without the fast extension a choke already cancelled it.
   */
  private refuse(peer: Peer, item: BlockRequest): void {
    if (this.ctx.peers.has(peer) && peer.wire.capabilities.fast)
      peer.wire.send({ type: 'reject', index: item.index, begin: item.begin, length: item.length });
  }

  // Choking ---------------------------------------------------------------------------------

  /** Time to run the choker (every 10 s). */
  due(now: number): boolean {
    return this.choker.due(now);
  }

  /** The peer became interested: a free upload slot goes at once rather than at the next rechoke. */
  onInterested(peer: Peer): void {
    peer.peerInterested = true;
    if (this.choker.current.size < this.slots + 1 && peer.amChoking)
      this.rechoke(this.ctx.clock.now());
  }

  /** The peer left: its slot goes to another at once. */
  onPeerGone(peer: Peer): void {
    if (this.choker.current.has(peer.id)) this.rechoke(this.ctx.clock.now());
  }

  rechoke(now: number): void {
    const { ctx } = this;
    const unchoke = this.choker.rechoke(
      [...ctx.peers].map((peer) => ({
        id: peer.id,
        interested: peer.peerInterested,
        downloadRate: peer.download.rate,
        uploadRate: peer.upload.rate,
        snubbed: peer.snubbedAt !== undefined,
      })),
      now,
      ctx.state === 'seeding',
    );
    for (const peer of ctx.peers) {
      const shouldChoke = !unchoke.has(peer.id);
      if (shouldChoke === peer.amChoking) continue;
      peer.amChoking = shouldChoke;
      peer.wire.send({ type: shouldChoke ? 'choke' : 'unchoke' });
      if (shouldChoke) {
        if (peer.wire.capabilities.fast) {
          for (const item of peer.uploadQueue) peer.wire.send({ type: 'reject', ...item });
        }
        peer.uploadQueue.length = 0;
      } else {
        // a new choke period: what crossed the last choke is no flood
        peer.refusedRequests = 0;
        this.serve(peer);
      }
    }
  }
}
