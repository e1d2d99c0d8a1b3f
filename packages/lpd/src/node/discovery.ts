/**
 * The multicast shell of BEP 14 on `node:dgram`: one socket per address family bound to the
 * group's port (shared with other clients on the host), joined to the group, sending announces
 * and handing on the announces of others, their own looped-back ones recognised by the cookie,
 * malformed ones and floods dropped (`AnnounceLimiter`). Pacing is the caller's
 * (`AnnounceSchedule`): `announce` sends at once.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { PeerAddress } from '@bt/primitives';
import {
  decodeAnnounce,
  encodeAnnounce,
  LPD_IPV4_GROUP,
  LPD_IPV6_GROUP,
  LPD_PORT,
  type LpdAnnounce,
} from '../announce.js';
import { LpdError } from '../errors.js';
import { AnnounceLimiter, type AnnounceLimiterOptions } from '../limiter.js';

/** Why a received datagram was not handed on. */
export type LpdDropReason = 'own' | 'malformed' | 'oversized' | 'rate-limited';

export interface LocalPeerDiscoveryOptions {
  /** Another client announced: `peer` is the datagram's source address with the announced port. */
  onAnnounce(announce: LpdAnnounce, peer: PeerAddress): void;
  /** A datagram was dropped (for counters and logs). */
  onDropped?(reason: LpdDropReason, from: string): void;
  /** Families to use. Default both; a family whose socket cannot be opened is left out. */
  families?: readonly (4 | 6)[];
  /**
   * The local IPv4 address of the interface to announce and listen on (BEP 14: the interfaces
   * that accept BitTorrent connections). Default: the system's choice by its routes.
   */
  interface4?: string;
  /** The group port. Default `LPD_PORT` (6771). */
  port?: number;
  /** Default: 16 random hex characters. */
  cookie?: string;
  /** Multicast TTL (BEP 14 suggests more than 1). Default 16. */
  ttl?: number;
  limiter?: AnnounceLimiterOptions;
  /** Milliseconds for the limiter. Default `Date.now`. */
  now?: () => number;
}

export interface LocalPeerDiscoveryStats {
  sent: number;
  received: number;
  /** Malformed, oversized or over the rate (our own looped-back announces are not counted). */
  dropped: number;
}

/** Opens the sockets; rejects with `socket-error` when no family could be opened. */
export async function openLocalPeerDiscovery(
  options: LocalPeerDiscoveryOptions,
): Promise<LocalPeerDiscovery> {
  const discovery = new LocalPeerDiscovery(options);
  await discovery.open();
  return discovery;
}

export class LocalPeerDiscovery {
  readonly cookie: string;
  private readonly options: LocalPeerDiscoveryOptions;
  private readonly sockets = new Map<4 | 6, Socket>();
  private readonly limiter: AnnounceLimiter;
  private readonly now: () => number;
  private readonly counters: LocalPeerDiscoveryStats = { sent: 0, received: 0, dropped: 0 };
  private closed = false;

  constructor(options: LocalPeerDiscoveryOptions) {
    this.options = options;
    this.cookie = options.cookie ?? randomBytes(8).toString('hex');
    this.limiter = new AnnounceLimiter(options.limiter);
    this.now = options.now ?? Date.now;
  }

  /** The families whose sockets are open. */
  get families(): (4 | 6)[] {
    return [...this.sockets.keys()];
  }

  get stats(): LocalPeerDiscoveryStats {
    return { ...this.counters };
  }

  async open(): Promise<void> {
    const failures: unknown[] = [];
    for (const family of this.options.families ?? [4, 6]) {
      try {
        this.sockets.set(family, await this.openSocket(family));
      } catch (error) {
        failures.push(error);
      }
    }
    if (this.sockets.size === 0)
      throw new LpdError('socket-error', 'no multicast socket could be opened', {
        cause: failures[0],
      });
  }

  private async openSocket(family: 4 | 6): Promise<Socket> {
    const socket = createSocket({
      type: family === 4 ? 'udp4' : 'udp6',
      reuseAddr: true,
      ipv6Only: family === 6,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: this.options.port ?? LPD_PORT, exclusive: false }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      const group = family === 4 ? LPD_IPV4_GROUP : LPD_IPV6_GROUP;
      const local = family === 4 ? this.options.interface4 : undefined;
      if (local !== undefined) {
        socket.setMulticastInterface(local);
        socket.addMembership(group, local);
      } else {
        socket.addMembership(group);
      }
      socket.setMulticastTTL(this.options.ttl ?? 16);
      socket.setMulticastLoopback(true);
    } catch (error) {
      socket.close();
      throw error;
    }
    socket.on('message', (datagram, remote) => this.receive(datagram, remote.address, family));
    socket.on('error', () => {
      // a failed send or receive of one datagram: the next one may work
    });
    socket.unref();
    return socket;
  }

  /** Announces the swarms on every open family, at once. */
  announce(infoHashes: readonly Uint8Array[], port: number): void {
    if (this.closed || infoHashes.length === 0) return;
    for (const [family, socket] of this.sockets) {
      const datagram = encodeAnnounce({ family, port, infoHashes, cookie: this.cookie });
      const group = family === 4 ? LPD_IPV4_GROUP : LPD_IPV6_GROUP;
      socket.send(datagram, this.options.port ?? LPD_PORT, group, (error) => {
        if (!error) this.counters.sent++;
      });
    }
  }

  private receive(datagram: Uint8Array, from: string, family: 4 | 6): void {
    this.counters.received++;
    if (!this.limiter.allow(from, this.now())) return this.drop('rate-limited', from);
    let announce: LpdAnnounce;
    try {
      announce = decodeAnnounce(datagram);
    } catch (error) {
      const reason = LpdError.isInstance(error) && error.code === 'oversized-announce';
      return this.drop(reason ? 'oversized' : 'malformed', from);
    }
    if (announce.cookie === this.cookie) {
      this.options.onDropped?.('own', from);
      return;
    }
    // a link-local source carries its zone after '%', which an address to dial keeps
    const host = family === 6 ? from.toLowerCase() : from;
    this.options.onAnnounce(announce, { host, port: announce.port, family });
  }

  private drop(reason: LpdDropReason, from: string): void {
    this.counters.dropped++;
    this.options.onDropped?.(reason, from);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.sockets.values()].map(
        (socket) => new Promise<void>((resolve) => socket.close(() => resolve())),
      ),
    );
    this.sockets.clear();
  }
}
