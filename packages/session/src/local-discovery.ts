/**
 * Local peer discovery (BEP 14) in the session: one multicast service for all torrents (the
 * `LocalDiscovery` interface; `@bt/lpd/node` by default). Every active public torrent is
 * announced when it starts and every 5 minutes, never more than one announce a minute in all
 * (`AnnounceSchedule` of `@bt/lpd`); announces of others go to the torrents they name as peers
 * with source `lpd`, at most `MAX_PEERS_PER_TORRENT` per torrent. A private torrent (BEP 27) is
 * neither announced nor given peers. Each torrent's `[Local Peer Discovery]` row comes from here.
 */
import { AnnounceSchedule } from '@bt/lpd';
import { openLocalPeerDiscovery } from '@bt/lpd/node';
import { formatPeerAddress, toHex, type PeerAddress } from '@bt/primitives';
import type { SourceStatus } from './sources.js';

/** The multicast side of local discovery, as the session drives it. */
export interface LocalDiscovery {
  /** Multicasts one announce of these swarms, with the port we accept peers on. */
  announce(infoHashes: readonly Uint8Array[], port: number): void;
  close(): Promise<void>;
}

export interface LocalDiscoveryOptions {
  /** Another client on the network is in these swarms, reachable at `peer`. */
  onAnnounce(infoHashes: readonly Uint8Array[], peer: PeerAddress): void;
  /** The address the session listens on, when it is one: announces go out on its interface. */
  host?: string;
}

/** Opens a `LocalDiscovery`; rejects when it cannot (the rows then say why). */
export type LocalDiscoveryFactory = (options: LocalDiscoveryOptions) => Promise<LocalDiscovery>;

/**
 * The default: `@bt/lpd/node`, on both families, or on the interface of the listening address
 * when the session listens on one IPv4 address.
 */
export const multicastLocalDiscovery: LocalDiscoveryFactory = async (options) => {
  const host = options.host;
  const ipv4 = host !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(host) && host !== '0.0.0.0';
  const ipv6Only = host !== undefined && host.includes(':') && host !== '::';
  return openLocalPeerDiscovery({
    families: ipv4 ? [4] : ipv6Only ? [6] : [4, 6],
    interface4: ipv4 ? host : undefined,
    onAnnounce: (announce, peer) => options.onAnnounce(announce.infoHashes, peer),
  });
};

/** Peers one torrent takes from local discovery; a LAN has few, a flood is refused past this. */
export const MAX_PEERS_PER_TORRENT = 200;
const ROW = '[Local Peer Discovery]';

/** A torrent as local discovery sees it. */
export interface LocalDiscoveryTorrent {
  readonly infoHash: Uint8Array;
  /** Downloading or seeding (announced), not paused, stopped or checking. */
  readonly active: boolean;
  /** BEP 27: false for a private torrent. */
  readonly publicDiscovery: boolean;
  /** Adds the peer to its pool (source `lpd`). */
  addPeers(addresses: readonly PeerAddress[]): void;
}

export interface LocalPeerDiscoveryServiceOptions {
  /** `undefined`: local discovery is turned off (the rows say so). */
  factory: LocalDiscoveryFactory | undefined;
  host?: string;
  /** The port we accept peers on (0: not listening, nothing announced). */
  port(): number;
  /** The torrent of an info-hash, if the session has it. */
  torrent(infoHash: Uint8Array): LocalDiscoveryTorrent | undefined;
  schedule?: AnnounceSchedule;
}

export class LocalPeerDiscoveryService {
  private readonly options: LocalPeerDiscoveryServiceOptions;
  private readonly schedule: AnnounceSchedule;
  private discovery: LocalDiscovery | undefined;
  private failure: string | undefined;
  /** Per torrent (hex), the addresses local discovery gave it. */
  private readonly found = new Map<string, Set<string>>();
  private closed = false;

  constructor(options: LocalPeerDiscoveryServiceOptions) {
    this.options = options;
    this.schedule = options.schedule ?? new AnnounceSchedule();
  }

  /** Opens the multicast side (when turned on); a failure is kept for the rows, not thrown. */
  async start(): Promise<void> {
    if (!this.options.factory) return;
    try {
      const discovery = await this.options.factory({
        host: this.options.host,
        onAnnounce: (infoHashes, peer) => this.onAnnounce(infoHashes, peer),
      });
      if (this.closed) await discovery.close();
      else this.discovery = discovery;
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
    }
  }

  /** Keeps the schedule to the active public torrents and sends the announce that is due. */
  tick(now: number, torrents: Iterable<LocalDiscoveryTorrent>): void {
    if (!this.discovery) return;
    const wanted = new Set<string>();
    for (const torrent of torrents) {
      if (!torrent.active || !torrent.publicDiscovery) continue;
      wanted.add(toHex(torrent.infoHash));
      this.schedule.add(torrent.infoHash, now);
    }
    for (const key of [...this.found.keys()]) if (!wanted.has(key)) this.found.delete(key);
    for (const infoHash of this.schedule.infoHashes()) {
      if (!wanted.has(toHex(infoHash))) this.schedule.remove(infoHash);
    }
    const port = this.options.port();
    if (port === 0) return;
    const due = this.schedule.due(now);
    if (due.length > 0) this.discovery.announce(due, port);
  }

  private onAnnounce(infoHashes: readonly Uint8Array[], peer: PeerAddress): void {
    for (const infoHash of infoHashes) {
      const torrent = this.options.torrent(infoHash);
      if (!torrent?.active || !torrent.publicDiscovery) continue;
      const key = toHex(infoHash);
      let found = this.found.get(key);
      if (!found) this.found.set(key, (found = new Set()));
      const address = formatPeerAddress(peer);
      if (!found.has(address)) {
        if (found.size >= MAX_PEERS_PER_TORRENT) continue;
        found.add(address);
      }
      torrent.addPeers([peer]);
    }
  }

  /**
   * The torrent's `[Local Peer Discovery]` row (none while local discovery is turned off): the
   * peers it gave, `seeds` those of them connected now as seeds (`isSeed` answers by `host:port`).
   */
  rows(
    torrent: Pick<LocalDiscoveryTorrent, 'infoHash' | 'publicDiscovery'>,
    now: number,
    isSeed: (address: string) => boolean,
  ): SourceStatus[] {
    return this.options.factory ? [this.row(torrent, now, isSeed)] : [];
  }

  private row(
    torrent: Pick<LocalDiscoveryTorrent, 'infoHash' | 'publicDiscovery'>,
    now: number,
    isSeed: (address: string) => boolean,
  ): SourceStatus {
    if (!torrent.publicDiscovery)
      return { source: ROW, state: 'disabled', message: 'private torrent' };
    if (this.failure !== undefined) return { source: ROW, state: 'error', message: this.failure };
    const found = this.found.get(toHex(torrent.infoHash));
    let seeds = 0;
    for (const address of found ?? []) if (isSeed(address)) seeds++;
    const next = this.schedule.nextAnnounceAt(torrent.infoHash);
    return {
      source: ROW,
      state: this.discovery ? 'working' : 'idle',
      nextUpdateIn: next === undefined ? undefined : Math.max(0, Math.round((next - now) / 1000)),
      seeds,
      peers: found?.size ?? 0,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const discovery = this.discovery;
    this.discovery = undefined;
    await discovery?.close();
  }
}
