/**
 * The sans-IO uTP endpoint (BEP 29): every connection of one UDP socket, routed by the
 * sender's address and the connection id. It never touches a socket or a clock: the shell feeds
 * it datagrams with `receive(datagram, from, now)`, calls `tick(now)` every few tens of
 * milliseconds for timeouts, and `flush(now)` once per batch of I/O (when `requestFlush` asked
 * for it), sending the datagrams each returns. ACKs are delayed to the flush, so a burst of
 * packets read together is answered by one ACK.
 *
 * Hostile input is bounded: datagrams that are not uTP are dropped (counted), packets for
 * unknown connections get at most a few RESETs per tick, SYNs beyond the connection and
 * half-open limits are refused, and each connection holds no more than its receive window.
 */
import type { PeerAddress } from '@bt/primitives';
import {
  type ConnectionHost,
  type ConnectionSettings,
  UtpConnection,
  microseconds,
} from './connection.js';
import { UtpError } from './errors.js';
import { HEADER_LENGTH, PacketType, type UtpPacket, decodePacket, writeHeader } from './packet.js';

/** A datagram to send. `bytes` belongs to the receiver of the value. */
export interface Datagram {
  bytes: Uint8Array;
  to: PeerAddress;
}

export interface UtpCoreOptions {
  /** An incoming connection was accepted (its ACK is on the way); `open` it to read. */
  onConnection?: (connection: UtpConnection) => void;
  /** Accept incoming connections at all. Default true when `onConnection` is given. */
  acceptIncoming?: boolean;
  /**
   * Called (once until the next `flush`) when a connection has something to send outside
   * `receive` and `tick`: the shell should call `flush(now)` soon (e.g. `setImmediate`).
   */
  requestFlush?: () => void;
  /** Random 16-bit values for connection ids and sequence numbers. Default: Web Crypto. */
  random16?: () => number;
  /** Payload bytes per packet. Default 1,400 (a 1,420-byte datagram fits a 1,500-byte MTU). */
  packetSize?: number;
  /** Receive buffer of each connection (bytes, advertised as `wnd_size`). Default 1 MiB. */
  receiveWindow?: number;
  /** Largest congestion window (bytes). Default 4 MiB. */
  maxWindow?: number;
  /** LEDBAT target queuing delay (µs). Default 100,000 (BEP 29). */
  targetDelay?: number;
  /** `bufferedBytes` above which writers wait for `onDrain`. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Timeouts in a row, with nothing at all heard from the remote side meanwhile, before a connection
   * fails. Default 10 (about 35 s: the timeout doubles from the round-trip estimate up to 4 s).
   */
  maxRetransmissions?: number;
  /** SYNs sent before a dial fails (1 s, then doubling). Default 3. */
  maxSynAttempts?: number;
  /** Close a connection silent for this long (ms). Default 300,000. */
  idleTimeout?: number;
  /** Most connections at once. Default 1,024. */
  maxConnections?: number;
  /** Most incoming connections that have not yet sent data. Default 64. */
  maxHalfOpen?: number;
  /** Most of those from one host (a flood from one address leaves room for others). Default 4. */
  maxHalfOpenPerHost?: number;
  /** Most RESETs sent to unknown connections per tick. Default 16. */
  maxResetsPerTick?: number;
}

export interface UtpCoreStats {
  connections: number;
  halfOpen: number;
  /** Datagrams that were not valid uTP. */
  invalidPackets: number;
  /** Packets for no connection we know. */
  unknownPackets: number;
  /** SYNs refused by a limit. */
  refusedSyns: number;
}

export class UtpCore {
  readonly #options: UtpCoreOptions;
  readonly #settings: ConnectionSettings;
  readonly #connections = new Map<string, UtpConnection>();
  readonly #host: ConnectionHost;
  #outbox: Datagram[] = [];
  readonly #flushing = new Set<UtpConnection>();
  #flushRequested = false;
  #resetsLeft: number;
  #closed = false;
  readonly #stats = { invalidPackets: 0, unknownPackets: 0, refusedSyns: 0 };

  constructor(options: UtpCoreOptions = {}) {
    this.#options = options;
    const packetSize = options.packetSize ?? 1400;
    if (!Number.isInteger(packetSize) || packetSize < 150 || packetSize > 65_000)
      throw new UtpError('invalid-argument', `packetSize ${packetSize} is outside 150-65000`);
    this.#settings = {
      packetSize,
      receiveWindow: options.receiveWindow ?? 1024 * 1024,
      maxWindow: options.maxWindow ?? 4 * 1024 * 1024,
      targetDelay: options.targetDelay ?? 100_000,
      highWaterMark: options.highWaterMark ?? 1024 * 1024,
      maxRetransmissions: options.maxRetransmissions ?? 10,
      maxSynAttempts: options.maxSynAttempts ?? 3,
      idleTimeout: options.idleTimeout ?? 300_000,
    };
    if (this.#settings.receiveWindow < packetSize)
      throw new UtpError('invalid-argument', 'receiveWindow is smaller than one packet');
    this.#resetsLeft = options.maxResetsPerTick ?? 16;
    this.#host = {
      send: (bytes, to) => this.#outbox.push({ bytes, to }),
      wantFlush: (connection) => {
        this.#flushing.add(connection);
        if (!this.#flushRequested) {
          this.#flushRequested = true;
          this.#options.requestFlush?.();
        }
      },
      remove: (connection) => {
        const key = connectionKey(connection.remoteAddress, connection.receiveId);
        if (this.#connections.get(key) === connection) this.#connections.delete(key);
        this.#flushing.delete(connection);
      },
    };
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  stats(): UtpCoreStats {
    let halfOpen = 0;
    for (const connection of this.#connections.values())
      if (connection.state === 'syn-received') halfOpen++;
    return { connections: this.#connections.size, halfOpen, ...this.#stats };
  }

  /**
   * Opens a connection to `to`; its SYN is in the datagrams of this call's `flush` (requested).
   * Write at once: bytes wait for the handshake. The connection closes with
   * `connection-timeout` or `connection-refused` when nobody answers.
   */
  connect(to: PeerAddress, now: number): UtpConnection {
    if (this.#closed) throw new UtpError('closed', 'the uTP endpoint is closed');
    if (this.#connections.size >= (this.#options.maxConnections ?? 1024))
      throw new UtpError('too-many-connections', 'the uTP connection limit is reached');
    let receiveId = 0;
    for (let attempt = 0; ; attempt++) {
      receiveId = this.#random16();
      if (!this.#connections.has(connectionKey(to, receiveId))) break;
      if (attempt > 64) throw new UtpError('too-many-connections', 'no free connection id');
    }
    const connection = new UtpConnection({
      host: this.#host,
      settings: this.#settings,
      remoteAddress: to,
      receiveId,
      sendId: (receiveId + 1) & 0xffff,
      incoming: false,
      seq: 1,
      now,
    });
    this.#connections.set(connectionKey(to, receiveId), connection);
    connection.start(now);
    if (!this.#flushRequested && this.#outbox.length > 0) {
      this.#flushRequested = true;
      this.#options.requestFlush?.();
    }
    return connection;
  }

  /**
   * One datagram from `from`. Returns what must go out at once (data the ACK let through,
   * resends, the answer to a SYN); ACKs wait for `flush`. The core keeps views of `datagram`
   * (out-of-order payloads): pass a buffer nobody reuses.
   */
  receive(datagram: Uint8Array, from: PeerAddress, now: number): readonly Datagram[] {
    if (this.#closed) return [];
    let packet: UtpPacket;
    try {
      packet = decodePacket(datagram);
    } catch {
      this.#stats.invalidPackets++;
      return [];
    }
    if (packet.type === PacketType.syn) {
      this.#receiveSyn(packet, from, now);
    } else {
      const connection = this.#connections.get(connectionKey(from, packet.connectionId));
      if (connection) connection.handle(packet, now);
      else this.#unknown(packet, from, now);
    }
    return this.#takeOutbox();
  }

  /** Delayed ACKs and written data of the connections that asked for a flush. */
  flush(now: number): readonly Datagram[] {
    this.#flushRequested = false;
    if (this.#flushing.size > 0) {
      const connections = [...this.#flushing];
      this.#flushing.clear();
      for (const connection of connections) connection.flush(now);
    }
    return this.#takeOutbox();
  }

  /** Timeouts and retransmissions; call every 10-100 ms. Includes a `flush`. */
  tick(now: number): readonly Datagram[] {
    this.#resetsLeft = this.#options.maxResetsPerTick ?? 16;
    for (const connection of [...this.#connections.values()]) connection.tick(now);
    return this.flush(now);
  }

  /** Closes every connection (each sends a FIN) and refuses anything after. */
  close(): readonly Datagram[] {
    for (const connection of [...this.#connections.values()])
      connection.close(new UtpError('closed', 'the uTP endpoint was closed'));
    this.#closed = true;
    return this.#takeOutbox();
  }

  #takeOutbox(): readonly Datagram[] {
    if (this.#outbox.length === 0) return EMPTY;
    const out = this.#outbox;
    this.#outbox = [];
    return out;
  }

  #receiveSyn(packet: UtpPacket, from: PeerAddress, now: number): void {
    // BEP 29: the initiator receives on the SYN's id and sends on that id + 1.
    const receiveId = (packet.connectionId + 1) & 0xffff;
    const existing = this.#connections.get(connectionKey(from, receiveId));
    if (existing) {
      existing.handle(packet, now);
      return;
    }
    const accept = this.#options.acceptIncoming ?? this.#options.onConnection !== undefined;
    let halfOpen = 0;
    let halfOpenHere = 0;
    if (accept) {
      for (const connection of this.#connections.values()) {
        if (connection.state !== 'syn-received') continue;
        halfOpen++;
        if (connection.remoteAddress.host === from.host) halfOpenHere++;
      }
    }
    if (
      !accept ||
      this.#connections.size >= (this.#options.maxConnections ?? 1024) ||
      halfOpen >= (this.#options.maxHalfOpen ?? 64) ||
      halfOpenHere >= (this.#options.maxHalfOpenPerHost ?? 4)
    ) {
      this.#stats.refusedSyns++;
      this.#reset(packet.connectionId, packet.seq, from, now);
      return;
    }
    const connection = new UtpConnection({
      host: this.#host,
      settings: this.#settings,
      remoteAddress: from,
      receiveId,
      sendId: packet.connectionId,
      incoming: true,
      seq: this.#random16(),
      now,
    });
    this.#connections.set(connectionKey(from, receiveId), connection);
    connection.accept(packet, now);
    this.#options.onConnection?.(connection);
  }

  /** A packet for no connection we know: a RESET (within the per-tick budget) unless it is one. */
  #unknown(packet: UtpPacket, from: PeerAddress, now: number): void {
    this.#stats.unknownPackets++;
    if (packet.type === PacketType.reset) return;
    // Its sender receives on the id it sent with minus one (it sends on receive id + 1) when
    // it initiated, or plus one otherwise; answer on the id the packet named, as libtorrent does.
    this.#reset(packet.connectionId, packet.seq, from, now);
  }

  #reset(connectionId: number, ack: number, to: PeerAddress, now: number): void {
    if (this.#resetsLeft <= 0) return;
    this.#resetsLeft--;
    const bytes = new Uint8Array(HEADER_LENGTH);
    writeHeader(bytes, {
      type: PacketType.reset,
      connectionId,
      timestamp: microseconds(now),
      timestampDifference: 0,
      windowSize: 0,
      seq: this.#random16(),
      ack,
    });
    this.#outbox.push({ bytes, to });
  }

  #random16(): number {
    if (this.#options.random16) return this.#options.random16() & 0xffff;
    const value = new Uint16Array(1);
    globalThis.crypto.getRandomValues(value);
    return value[0]!;
  }
}

const EMPTY: readonly Datagram[] = Object.freeze([]);

function connectionKey(address: PeerAddress, id: number): string {
  return `${address.host}|${address.port}|${id}`;
}
