/**
 * How the engine reacts to each message of a peer (BEP 3, BEP 6 fast, BEP 10 handshake, BEP 5
 * `port`, BEP 52 hash requests): what the peer has goes to the picker's availability, choke and requests to
 * downloading, interest, requests and cancels to uploading. One exhaustive switch, called once
 * per message on the hot path.
 */
import { Bitfield } from '@bt/primitives';
import { WIRE_DEFAULTS } from '@bt/wire';
import { allowsPublicDiscovery } from './discovery.js';
import type { Downloading } from './downloading.js';
import type { ExtensionHost } from './extension-host.js';
import { SessionError } from './errors.js';
import type { Message } from './interfaces.js';
import type { Peer } from './peer.js';
import type { TorrentContext } from './torrent-context.js';
import type { Uploading } from './uploading.js';
import { V2Hashes } from './v2-hashes.js';

/** More messages than this from one peer within a tick (250 ms) is a flood. */
const MAX_MESSAGES_PER_TICK = 20_000;
/** BEP 6 hints kept per peer: the wire's one default. */
const MAX_ALLOWED_FAST = WIRE_DEFAULTS.maxAllowedFast;
const MAX_SUGGESTED = 64;
/** The most requests we queue for a peer, whatever its `reqq` says. */
const MAX_PEER_REQQ = 4096;

export class PeerReactions {
  private readonly ctx: TorrentContext;
  private readonly downloading: Downloading;
  private readonly uploading: Uploading;
  private readonly extensions: ExtensionHost | undefined;
  private readonly hashes: V2Hashes;

  constructor(
    ctx: TorrentContext,
    downloading: Downloading,
    uploading: Uploading,
    extensions?: ExtensionHost,
  ) {
    this.ctx = ctx;
    this.downloading = downloading;
    this.uploading = uploading;
    this.hashes = new V2Hashes(ctx);
    this.extensions = extensions;
  }

  onMessage(peer: Peer, message: Message): void {
    const { ctx, downloading, uploading } = this;
    if (++peer.messagesThisTick > MAX_MESSAGES_PER_TICK) {
      ctx.drop(peer, new SessionError('peer-flood', 'message flood'));
      return;
    }
    switch (message.type) {
      case 'piece':
        downloading.onBlock(peer, message.index, message.begin, message.block);
        return;
      case 'choke':
        downloading.onChoke(peer);
        return;
      case 'unchoke':
        peer.peerChoking = false;
        downloading.fill(peer);
        return;
      case 'interested':
        uploading.onInterested(peer);
        return;
      case 'not-interested':
        peer.peerInterested = false;
        return;
      case 'have':
        this.onHave(peer, message.index);
        return;
      case 'bitfield':
      case 'have-all':
      case 'have-none':
        this.onPieceSet(peer, message);
        return;
      case 'request':
        uploading.onRequest(peer, message.index, message.begin, message.length);
        return;
      case 'cancel':
        uploading.onCancel(peer, message.index, message.begin, message.length);
        return;
      case 'reject':
        downloading.onReject(peer, message.index, message.begin);
        return;
      case 'allowed-fast':
        if (peer.allowedFast.size < MAX_ALLOWED_FAST && message.index < ctx.picker.pieceCount)
          peer.allowedFast.add(message.index);
        downloading.fill(peer);
        return;
      case 'suggest':
        if (message.index < ctx.picker.pieceCount && peer.suggested.length < MAX_SUGGESTED)
          peer.suggested.push(message.index);
        return;
      case 'extended-handshake':
        peer.client = message.handshake.client;
        if (
          message.handshake.requestQueueLength !== undefined &&
          message.handshake.requestQueueLength > 0
        ) {
          peer.maxRequests = Math.min(MAX_PEER_REQQ, message.handshake.requestQueueLength);
          peer.depth = Math.min(peer.depth, peer.maxRequests);
        }
        this.extensions?.onMessage(peer, message);
        return;
      case 'port':
        // BEP 5: the peer's DHT node listens on this port of its address
        if (peer.address && ctx.options.onDhtNode && allowsPublicDiscovery(ctx.options.torrent))
          ctx.options.onDhtNode({ ...peer.address, port: message.port });
        return;
      case 'extended':
        this.extensions?.onMessage(peer, message);
        return;
      case 'hash-request':
        this.hashes.onRequest(peer, message);
        return;
      case 'hashes':
      case 'hash-reject':
        // BEP 52 answers to requests we never send (a torrent from a file has its layers)
        return;
      case 'keep-alive':
      case 'unknown':
        return;
    }
  }

  private onHave(peer: Peer, piece: number): void {
    const { ctx } = this;
    if (piece >= ctx.picker.pieceCount)
      return ctx.drop(peer, new SessionError('peer-protocol', `have ${piece} is out of range`));
    if (peer.countedAsSeed || !peer.has.set(piece)) return;
    ctx.picker.peerHas(piece);
    if (peer.isSeed && ctx.picker.complete) return this.bothSeeding(peer);
    this.downloading.updateInterest(peer);
  }

  /** BEP 3/6 want one of these first; some clients send a second, which only adds pieces. */
  private onPieceSet(
    peer: Peer,
    message: Extract<Message, { type: 'bitfield' | 'have-all' | 'have-none' }>,
  ): void {
    const { ctx } = this;
    const { pieceCount } = ctx.picker;
    const first = !peer.bitfieldSeen;
    peer.bitfieldSeen = true;
    let field: Bitfield | undefined;
    if (message.type === 'bitfield') {
      if (message.bitfield.length !== Math.ceil(pieceCount / 8))
        return ctx.drop(peer, new SessionError('peer-protocol', 'bitfield of the wrong size'));
      field = new Bitfield(pieceCount, message.bitfield);
    } else if (message.type === 'have-all') {
      field = Bitfield.full(pieceCount);
    }
    if (first && field?.complete && peer.has.empty) {
      for (let piece = 0; piece < pieceCount; piece++) peer.has.set(piece);
      peer.countedAsSeed = true;
      ctx.picker.peerBitfield(peer.has);
    } else if (field && !peer.countedAsSeed) {
      // haves that came first were counted already
      for (const piece of field.indices()) if (peer.has.set(piece)) ctx.picker.peerHas(piece);
    }
    if (peer.isSeed && ctx.picker.complete) return this.bothSeeding(peer);
    this.downloading.updateInterest(peer);
  }

  /** Two seeds have nothing to say to each other: closed without blame. */
  bothSeeding(peer: Peer): void {
    this.ctx.drop(peer);
  }
}
