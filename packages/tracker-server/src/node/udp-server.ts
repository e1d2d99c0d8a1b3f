/**
 * A UDP tracker server (BEP 15, BEP 41) over a `TrackerRegistry` (by default a `SwarmRegistry`): connect, announce and scrape
 * on one socket, stateless connection ids, answers in the request's address family (6-byte
 * peers to IPv4 clients, 18-byte peers to IPv6 clients). Every malformed datagram gets an
 * error reply (or, below 16 bytes, silence) and is counted; nothing a client sends can stop
 * the server or grow its memory beyond the registry's limits.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressFamily } from '@bt/primitives';
import {
  type AnnounceRequestPacket,
  decodeRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  type ScrapeRequestPacket,
  UdpTrackerError,
} from '@bt/tracker-udp';
import { ConnectionIds } from '../connection-ids.js';
import {
  SwarmRegistry,
  type SwarmRegistryOptions,
  type TrackerRegistry,
} from '../swarm-registry.js';

/** Datagrams longer than this are refused: the longest valid request (a 74-hash scrape) is 1496 bytes. */
const MAX_REQUEST_LENGTH = 2048;

export interface UdpTrackerServerOptions extends SwarmRegistryOptions {
  /**
   * The swarm registry to serve (share one with an HTTP tracker). When absent the server makes
   * its own from the registry options (`interval`, `allowList`, `maxTorrents`...); when present
   * those options are ignored and the registry's own `interval` is what clients are told.
   */
  registry?: TrackerRegistry;
  /**
   * Honour the announce's IPv4 `ip` field instead of the datagram's source address. Off by
   * default: it lets anyone list any address. Useful behind NAT on a private network.
   */
  trustIpField?: boolean;
  /** Seconds between `registry.prune()` calls. Default: min(interval, 60). */
  pruneInterval?: number;
  /**
   * Bytes of socket receive buffer asked of the OS (which may cap it, e.g. Linux's
   * `net.core.rmem_max`), so bursts of announces queue instead of being dropped. Default 4 MiB.
   */
  receiveBufferSize?: number;
}

export interface UdpTrackerServerStats {
  /** Datagrams received. */
  received: number;
  connects: number;
  announces: number;
  scrapes: number;
  /** Error replies sent (malformed requests, bad connection ids, refused torrents). */
  errors: number;
  /** Requests that failed to decode (each also got an error reply when it carried a transaction id). */
  malformed: number;
  /** Announces and scrapes with a connection id we did not issue (or that expired). */
  badConnectionIds: number;
  /** Datagrams too short to answer (below 16 bytes). */
  ignored: number;
  /** Requests that hit a bug of ours (answered with an error; the server carries on). */
  internalErrors: number;
  torrents: number;
  peers: number;
  seeders: number;
  leechers: number;
}

export interface UdpTrackerServerAddress {
  port: number;
  host: string;
  family: AddressFamily;
}

export class UdpTrackerServer {
  readonly registry: TrackerRegistry;
  readonly #trustIpField: boolean;
  readonly #pruneInterval: number;
  readonly #receiveBufferSize: number;
  /** Replies are written here; replaced when a send had to be queued (the queue keeps it). */
  #scratch = new Uint8Array(65_536);
  /** Where the registry writes the compact peers of a reply: the scratch past the 20-byte header. */
  #scratchPeers = this.#scratch.subarray(20);
  readonly #ids: ConnectionIds;
  readonly #counters = {
    received: 0,
    connects: 0,
    announces: 0,
    scrapes: 0,
    errors: 0,
    malformed: 0,
    badConnectionIds: 0,
    ignored: 0,
    internalErrors: 0,
  };
  #socket: Socket | undefined;
  #pruneTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: UdpTrackerServerOptions = {}) {
    this.registry = options.registry ?? new SwarmRegistry(options);
    this.#trustIpField = options.trustIpField ?? false;
    this.#pruneInterval = options.pruneInterval ?? Math.min(this.registry.interval, 60);
    this.#ids = new ConnectionIds(options.now);
    this.#receiveBufferSize = options.receiveBufferSize ?? 4 * 1024 * 1024;
  }

  /** Binds `host:port` (port 0: any free port). `::` listens on IPv6 and IPv4 both. */
  async listen(port = 0, host = '127.0.0.1'): Promise<UdpTrackerServerAddress> {
    if (this.#socket)
      throw new UdpTrackerError('invalid-request', 'the server is already listening');
    const family: AddressFamily = host.includes(':') ? 6 : 4;
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: false,
      // Replies only ever go to a datagram's source, an IP literal: skip the resolver (and the
      // tick it costs per reply).
      lookup: literalLookup,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(this.#receiveBufferSize);
    } catch {
      // The OS refused the size; its default still works.
    }
    // Errors on an unconnected UDP socket after bind are per-datagram (e.g. a send to an
    // unroutable address); they must not take the tracker down.
    socket.on('error', () => undefined);
    socket.on('message', (message: Buffer, remote: RemoteInfo) => {
      try {
        this.#receive(socket, message, remote);
      } catch {
        // A bug of ours must not take the tracker down for everyone: count it, answer, go on.
        this.#counters.internalErrors++;
        if (message.length >= 16)
          this.#error(socket, remote, peekTransactionId(message), 'internal error');
      }
    });
    this.#socket = socket;
    this.#pruneTimer = setInterval(() => this.registry.prune(), this.#pruneInterval * 1000);
    this.#pruneTimer.unref();
    const address = socket.address();
    return { port: address.port, host: address.address, family };
  }

  /** The bound address, once listening. */
  address(): UdpTrackerServerAddress | undefined {
    if (!this.#socket) return undefined;
    const address = this.#socket.address();
    return { port: address.port, host: address.address, family: address.family === 'IPv6' ? 6 : 4 };
  }

  async close(): Promise<void> {
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  stats(): UdpTrackerServerStats {
    const registry = this.registry.stats();
    return {
      ...this.#counters,
      torrents: registry.torrents,
      peers: registry.peers,
      seeders: registry.seeders,
      leechers: registry.leechers,
    };
  }

  #receive(socket: Socket, message: Uint8Array, remote: RemoteInfo): void {
    this.#counters.received++;
    if (message.length < 16) {
      this.#counters.ignored++;
      return;
    }
    const transactionId = peekTransactionId(message);
    if (message.length > MAX_REQUEST_LENGTH) {
      this.#counters.malformed++;
      this.#error(socket, remote, transactionId, `request too long (${message.length} bytes)`);
      return;
    }
    let request;
    try {
      request = decodeRequest(message);
    } catch (error) {
      this.#counters.malformed++;
      const reason = UdpTrackerError.isInstance(error) ? error.message : 'unreadable request';
      this.#error(socket, remote, transactionId, `malformed request: ${reason}`);
      return;
    }
    switch (request.action) {
      case 'connect': {
        this.#counters.connects++;
        const id = new Uint8Array(8);
        this.#ids.mint(remote.address, remote.port, id, 0);
        socket.send(
          encodeConnectResponse({ transactionId, connectionId: id }),
          remote.port,
          remote.address,
        );
        return;
      }
      case 'announce':
        this.#announce(socket, request, remote);
        return;
      case 'scrape':
        this.#scrape(socket, request, remote);
        return;
    }
  }

  #announce(socket: Socket, request: AnnounceRequestPacket, remote: RemoteInfo): void {
    if (!this.#ids.verify(remote.address, remote.port, request.connectionId, 0)) {
      this.#counters.badConnectionIds++;
      this.#error(socket, remote, request.transactionId, 'unknown or expired connection id');
      return;
    }
    this.#counters.announces++;
    if (request.port === 0) {
      this.#error(
        socket,
        remote,
        request.transactionId,
        'announce port 0 is not a port peers can reach',
      );
      return;
    }
    if (!this.registry.isAllowed(request.infoHash)) {
      this.#error(socket, remote, request.transactionId, 'torrent not on this tracker');
      return;
    }
    let host = remote.address;
    let family: AddressFamily = remote.family === 'IPv6' ? 6 : 4;
    if (family === 6 && host.startsWith('::ffff:') && host.includes('.')) {
      host = host.slice(7);
      family = 4;
    }
    const ip = request.ip;
    if (this.#trustIpField && family === 4 && (ip[0]! | ip[1]! | ip[2]! | ip[3]!) !== 0) {
      host = `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
    }
    const result = this.registry.announce({
      infoHash: request.infoHash,
      peer: { host, port: request.port, family, peerId: request.peerId },
      event: request.event,
      left: request.left,
      numwant: request.numwant < 0 ? undefined : request.numwant,
      family,
      compact: true,
      compactInto: this.#scratchPeers,
    });
    const reply = encodeAnnounceResponse(
      {
        transactionId: request.transactionId,
        interval: Math.min(Math.round(result.interval), 0xffffffff),
        leechers: result.incomplete,
        seeders: result.complete,
        peers: result.compactPeers ?? result.peers,
      },
      family,
      this.#scratch,
    );
    this.#send(socket, reply, remote);
  }

  #scrape(socket: Socket, request: ScrapeRequestPacket, remote: RemoteInfo): void {
    if (!this.#ids.verify(remote.address, remote.port, request.connectionId, 0)) {
      this.#counters.badConnectionIds++;
      this.#error(socket, remote, request.transactionId, 'unknown or expired connection id');
      return;
    }
    this.#counters.scrapes++;
    const files = this.registry.scrape(request.infoHashes);
    const reply = encodeScrapeResponse({
      transactionId: request.transactionId,
      entries: files.map((file) => ({
        seeders: file.complete,
        completed: file.downloaded,
        leechers: file.incomplete,
      })),
    });
    socket.send(reply, remote.port, remote.address);
  }

  /**
   * Sends a reply written in the scratch buffer. Node sends synchronously when the socket
   * takes the datagram at once; when it queues it instead, the queue holds the buffer, so the
   * next replies get a fresh one.
   */
  #send(socket: Socket, reply: Uint8Array, remote: RemoteInfo): void {
    socket.send(reply, remote.port, remote.address);
    if (reply.buffer === this.#scratch.buffer && socket.getSendQueueCount() > 0) {
      this.#scratch = new Uint8Array(this.#scratch.length);
      this.#scratchPeers = this.#scratch.subarray(20);
    }
  }

  #error(socket: Socket, remote: RemoteInfo, transactionId: number, message: string): void {
    this.#counters.errors++;
    socket.send(encodeErrorResponse({ transactionId, message }), remote.port, remote.address);
  }
}

/** dgram's resolver hook, for IP literals only: answers at once, in the caller's tick. */
function literalLookup(
  address: string,
  family: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, typeof family === 'number' ? family : address.includes(':') ? 6 : 4);
}

/** A request's transaction id (bytes 12-15); the caller checked there are 16 bytes. */
function peekTransactionId(message: Uint8Array): number {
  return ((message[12]! << 24) | (message[13]! << 16) | (message[14]! << 8) | message[15]!) >>> 0;
}
