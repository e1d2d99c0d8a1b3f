/**
 * The typed events a torrent (and the session, for all its torrents) reports to front-ends,
 * and the small hub that delivers them. Names are `<noun>-<action>`.
 */
import type { SessionError } from './errors.js';

/** `metadata`: a magnet link's torrent fetching its info dictionary from peers (BEP 9). */
export type TorrentState =
  'metadata' | 'checking' | 'downloading' | 'seeding' | 'paused' | 'stopped' | 'error';

/**
 * Errors are `SessionError`s: `code` says what happened, `party` whether a peer, a tracker or
 * our own I/O failed.
 */
export interface TorrentEventMap {
  'state-changed': { state: TorrentState; previous: TorrentState };
  'check-progress': { checkedPieces: number; totalPieces: number };
  'check-finished': { piecesHave: number; pieceCount: number };
  'piece-verified': { piece: number; piecesHave: number; pieceCount: number };
  'piece-failed': { piece: number; peers: string[] };
  /** `utp`: the connection runs over uTP (BEP 29), not TCP. */
  'peer-connected': { address: string; incoming: boolean; encrypted: boolean; utp: boolean };
  /** `error` says why we closed it, or how the connection failed; none for a clean close. */
  'peer-disconnected': { address: string; error?: SessionError };
  /** Dialling failed. */
  'peer-failed': { address: string; error: SessionError };
  'peer-dropped': { address: string; reason: 'self' | 'duplicate' };
  /** The peer sent data for `piece` that failed its hash, and is banned. */
  'peer-banned': { address: string; piece: number; error: SessionError };
  'peer-snubbed': { address: string };
  'tracker-announced': {
    url: string;
    event: string;
    peers: number;
    seeds?: number;
    leechers?: number;
  };
  'tracker-failed': { url: string; event: string; error: SessionError };
  'torrent-completed': { totalBytes: number };
  /** BEP 9: a magnet's info dictionary arrived and matched its info-hash. */
  'metadata-received': { size: number; name: string };
  /** BEP 9: metadata from this peer failed the info-hash; the peer is banned. */
  'metadata-failed': { address: string; error: SessionError };
  'torrent-error': { error: SessionError };
}

export type TorrentEventType = keyof TorrentEventMap;

/** Any event, tagged with its type. */
export type TorrentEvent = {
  [K in TorrentEventType]: { type: K } & TorrentEventMap[K];
}[TorrentEventType];

type Listener<T> = (event: T) => void;

/** Synchronous, typed delivery; a listener that throws does not stop the others. */
export class EventHub<Map extends object> {
  private readonly listeners = new globalThis.Map<keyof Map, Set<Listener<never>>>();
  private readonly any = new Set<Listener<{ type: keyof Map } & Map[keyof Map]>>();

  on<K extends keyof Map>(type: K, listener: Listener<Map[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  onAny(listener: (event: never) => void): () => void {
    const wrapped = listener as Listener<{ type: keyof Map } & Map[keyof Map]>;
    this.any.add(wrapped);
    return () => this.any.delete(wrapped);
  }

  emit<K extends keyof Map>(type: K, event: Map[K]): void {
    for (const listener of this.listeners.get(type) ?? []) {
      try {
        (listener as Listener<Map[K]>)(event);
      } catch {
        // a front-end's bug must not break the engine
      }
    }
    if (this.any.size === 0) return;
    const tagged = { type, ...event } as { type: keyof Map } & Map[keyof Map];
    for (const listener of this.any) {
      try {
        listener(tagged);
      } catch {
        // as above
      }
    }
  }
}
