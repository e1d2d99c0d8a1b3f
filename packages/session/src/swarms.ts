/**
 * The swarms a torrent is in (BEP 52's upgrade path): a v1 torrent and a v2-only torrent are in
 * one (the SHA-1 info-hash; the SHA-256 one truncated to 20 bytes), a hybrid torrent in both. We
 * announce every swarm's hash to trackers and the DHT, and take peers that name either in their
 * handshake.
 */

import { bytesEqual } from '@bt/primitives';

/** What the swarms are read from: a `TorrentDescription`, or a magnet's hashes. */
export interface SwarmSource {
  readonly infoHash: Uint8Array;
  readonly version?: 'v1' | 'v2' | 'hybrid';
  /** The v2 side: its full 32-byte SHA-256 info-hash. */
  readonly v2?: { readonly infoHash?: Uint8Array };
}

/** The 20-byte info-hashes of every swarm of the torrent, its own `infoHash` first. */
export function swarmInfoHashes(source: SwarmSource): Uint8Array[] {
  const hashes = [source.infoHash];
  const v2 = source.v2?.infoHash;
  if (source.version === 'hybrid' && v2 !== undefined && v2.length === 32) {
    const truncated = v2.subarray(0, 20);
    if (!bytesEqual(truncated, source.infoHash)) hashes.push(truncated);
  }
  return hashes;
}
