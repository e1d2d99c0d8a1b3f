/**
 * BEP 52 hash requests from peers: a v2 or hybrid torrent whose piece layers we hold answers a
 * request for a run of a file's piece layer with the hashes and their proof (`hashes`), and
 * anything else with `hash reject`, as the BEP requires one or the other. Leaf hashes (base
 * layer 0) are not kept, so those requests are rejected. We send no hash requests ourselves
 * (a torrent from a file has its layers), so `hashes` and `hash reject` from peers are ignored.
 */
import { answerHashRequest } from '@bt/metainfo';
import { toHex } from '@bt/primitives';
import type { HashRequestMessage } from '@bt/wire';
import type { Peer } from './peer.js';
import type { TorrentContext } from './torrent-context.js';

/** Hash requests answered per peer before the rest are rejected (a peer has no reason to ask more). */
const MAX_HASH_REQUESTS_PER_PEER = 4096;

export class V2Hashes {
  private readonly ctx: TorrentContext;
  private readonly answered = new WeakMap<Peer, number>();

  constructor(ctx: TorrentContext) {
    this.ctx = ctx;
  }

  onRequest(peer: Peer, request: HashRequestMessage): void {
    const answer = this.answer(peer, request);
    const range = {
      piecesRoot: request.piecesRoot,
      baseLayer: request.baseLayer,
      index: request.index,
      length: request.length,
      proofLayers: request.proofLayers,
    };
    peer.wire.send(
      answer === undefined
        ? { type: 'hash-reject', ...range }
        : { type: 'hashes', ...range, hashes: answer },
    );
  }

  private answer(peer: Peer, request: HashRequestMessage): Uint8Array | undefined {
    const { torrent } = this.ctx.options;
    const layers = torrent.v2?.pieceLayers;
    if (layers === undefined) return undefined;
    const count = (this.answered.get(peer) ?? 0) + 1;
    this.answered.set(peer, count);
    if (count > MAX_HASH_REQUESTS_PER_PEER) return undefined;
    const layer = layers.get(toHex(request.piecesRoot));
    if (layer === undefined) return undefined;
    return answerHashRequest(layer, torrent.pieceLength, request);
  }
}
