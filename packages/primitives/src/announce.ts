/**
 * The announce and scrape shapes every tracker transport speaks (BEP 3, BEP 15, BEP 48), so
 * the engine treats an HTTP and a UDP tracker alike while neither package imports the other.
 * Types only: the codecs live in `@bt/tracker-http` and `@bt/tracker-udp`.
 */
import type { PeerAddress } from './address.js';
import type { InfoHash, PeerId } from './identifiers.js';

/** BEP 3 / BEP 15 announce events; `none` is a regular interval announce. */
export type AnnounceEvent = 'none' | 'started' | 'completed' | 'stopped';

export interface AnnounceRequest {
  infoHash: InfoHash;
  peerId: PeerId;
  /** The port we accept peer connections on. */
  port: number;
  uploaded: number;
  downloaded: number;
  /** Bytes still to download; 0 for a seeder. */
  left: number;
  event?: AnnounceEvent;
  /** Peers wanted; trackers cap it. */
  numwant?: number;
  /** A random 32-bit value that identifies us across IP changes (BEP 15 `key`). */
  key?: number;
  /** Our address as we want the tracker to record it, where the transport allows it. */
  ip?: string;
}

/** A peer as a tracker lists it: an address, with its peer id where the tracker sent one. */
export interface TrackerPeer extends PeerAddress {
  peerId?: PeerId;
}

export interface AnnounceResult {
  /** Seconds until the next regular announce. */
  interval: number;
  /** Seconds the tracker wants at least between announces, where it says. */
  minInterval?: number;
  /** Seeders (`complete`), where the tracker says. */
  complete?: number;
  /** Leechers (`incomplete`), where the tracker says. */
  incomplete?: number;
  peers: TrackerPeer[];
  /** BEP 3 `warning message`: the announce worked but the tracker has something to say. */
  warning?: string;
  /** HTTP `tracker id`, to send back on later announces. */
  trackerId?: string;
}

export interface ScrapeFile {
  infoHash: InfoHash;
  /** Seeders. */
  complete: number;
  /** Completed downloads ever reported. */
  downloaded: number;
  /** Leechers. */
  incomplete: number;
  name?: string;
}

export interface ScrapeResult {
  files: ScrapeFile[];
}
