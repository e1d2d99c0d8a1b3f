/**
 * A row of the source table in a torrent's stats: a tracker, the DHT, peer exchange, local
 * discovery, peers given by hand. Its own module so every source (announcing, extensions, the
 * DHT) can give rows without importing the others.
 */
import type { TrackerStatus } from './tracker-tiers.js';

export interface SourceStatus {
  /** The tracker URL, or a bracketed name: `[DHT]`, `[Peer Exchange]`, `[Local Peer Discovery]`. */
  source: string;
  /** `working`, `announcing` (a lookup or announce under way), `idle`, `disabled`, or `error`. */
  state: TrackerStatus['state'];
  /** Why it is disabled or failing (`private torrent`, the tracker's failure reason). */
  message?: string;
  /** Seconds until the next announce or lookup. */
  nextUpdateIn?: number;
  seeds?: number;
  peers?: number;
  /** Bytes per second from this source (a web seed). */
  downloadRate?: number;
}
