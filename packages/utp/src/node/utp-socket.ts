/**
 * uTP over a Node UDP socket: the thin shell around `UtpCore`. It owns one `dgram` socket (or
 * shares one: then its owner hands it the datagrams that `isUtpDatagram` accepts), one timer for
 * every connection (not one per packet), and a flush per turn of the event loop, so ACKs of a
 * burst of packets read together go out as one. Datagrams that are not uTP (the DHT's bencoded
 * `d...`) go to `onOtherDatagram`, so one port serves both, as in libtorrent.
 */
import { type Socket, createSocket } from 'node:dgram';
import type { PeerAddress } from '@bt/primitives';
import type { UtpConnection } from '../connection.js';
import { UtpError } from '../errors.js';
import { isUtpDatagram } from '../packet.js';
import { type Datagram, UtpCore, type UtpCoreOptions, type UtpCoreStats } from '../utp-core.js';
import { literalLookup } from '@bt/primitives/node';

export interface UtpSocketOptions {
  /** UDP port to bind (0: any). Ignored with `socket`. Default 0. */
  port?: number;
  /** Address to bind. Default `0.0.0.0`; an IPv6 address makes an IPv6 socket. */
  host?: string;
  /**
   * A bound UDP socket shared with others (the DHT, the UDP tracker client). The shell only
   * sends on it; its owner passes the datagrams for which `isUtpDatagram(bytes)` holds to
   * `receive`. `close()` leaves it open.
   */
  socket?: Socket;
  /** An incoming connection (after its SYN was answered). Without it, SYNs are refused. */
  onConnection?: (connection: UtpConnection) => void;
  /** Datagrams on our own socket that are not uTP (bencoded DHT messages start with `d`). */
  onOtherDatagram?: (bytes: Uint8Array, from: PeerAddress) => void;
  /** How often timeouts are checked (ms). Default 50. */
  tickInterval?: number;
  /** Kernel buffer sizes asked for (bytes); the system may cap them. Default 4 MiB each. */
  socketBufferSize?: number;
  /** Tuning and limits of the core. */
  core?: Omit<UtpCoreOptions, 'onConnection' | 'requestFlush' | 'acceptIncoming'>;
}

const clock = (): number => performance.now();

/** Binds (or shares) a UDP socket and speaks uTP on it. */
export async function createUtpSocket(options: UtpSocketOptions = {}): Promise<UtpSocket> {
  let socket = options.socket;
  if (!socket) {
    const host = options.host ?? '0.0.0.0';
    const ipv6 = host.includes(':');
    const bound = createSocket({
      type: ipv6 ? 'udp6' : 'udp4',
      ipv6Only: ipv6,
      lookup: literalLookup,
    });
    await new Promise<void>((resolve, reject) => {
      bound.once('error', (error) =>
        reject(
          new UtpError(
            'socket-error',
            `cannot bind UDP ${host}:${options.port ?? 0}: ${error.message}`,
            {
              cause: error,
            },
          ),
        ),
      );
      bound.bind(options.port ?? 0, host, () => resolve());
    });
    const size = options.socketBufferSize ?? 4 * 1024 * 1024;
    try {
      bound.setRecvBufferSize(size);
      bound.setSendBufferSize(size);
    } catch {
      // the system's limits apply
    }
    socket = bound;
  }
  return new UtpSocket(socket, options);
}

export class UtpSocket {
  readonly socket: Socket;
  readonly #shared: boolean;
  readonly #core: UtpCore;
  readonly #options: UtpSocketOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #flushScheduled = false;
  #closed = false;

  /** Use `createUtpSocket`; this wraps a bound socket. */
  constructor(socket: Socket, options: UtpSocketOptions = {}) {
    this.socket = socket;
    this.#shared = options.socket !== undefined;
    this.#options = options;
    this.#core = new UtpCore({
      ...options.core,
      acceptIncoming: options.onConnection !== undefined,
      ...(options.onConnection && { onConnection: (connection) => this.#accepted(connection) }),
      requestFlush: this.#scheduleFlush,
    });
    if (!this.#shared) {
      socket.on('message', this.#onMessage);
      socket.on('error', () => undefined);
    }
  }

  /** Where the socket is bound. */
  address(): PeerAddress {
    const bound = this.socket.address();
    return { host: bound.address, port: bound.port, family: bound.family === 'IPv6' ? 6 : 4 };
  }

  /**
   * Opens a uTP connection; usable at once (writes wait for the handshake). It closes with a
   * `UtpError` (`connection-timeout`, `connection-refused`) when the remote side never answers.
   */
  connect(address: PeerAddress): UtpConnection {
    if (this.#closed) throw new UtpError('closed', 'the uTP socket is closed');
    const connection = this.#core.connect(address, clock());
    this.#startTimer();
    return connection;
  }

  /** A datagram from a shared socket (see `UtpSocketOptions.socket`). */
  receive(bytes: Uint8Array, from: PeerAddress): void {
    if (this.#closed) return;
    this.#send(this.#core.receive(bytes, from, clock()));
  }

  stats(): UtpCoreStats {
    return this.#core.stats();
  }

  /** Closes every connection (a FIN each) and, unless shared, the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#send(this.#core.close());
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#shared) {
      this.socket.off('message', this.#onMessage);
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    }
  }

  #accepted(connection: UtpConnection): void {
    this.#startTimer();
    this.#options.onConnection?.(connection);
  }

  readonly #onMessage = (
    message: Buffer,
    rinfo: { address: string; port: number; family: string },
  ): void => {
    const from: PeerAddress = {
      host: rinfo.address,
      port: rinfo.port,
      family: rinfo.family === 'IPv6' ? 6 : 4,
    };
    if (!isUtpDatagram(message)) {
      this.#options.onOtherDatagram?.(message, from);
      return;
    }
    if (this.#closed) return;
    this.#send(this.#core.receive(message, from, clock()));
  };

  readonly #scheduleFlush = (): void => {
    if (this.#flushScheduled || this.#closed) return;
    this.#flushScheduled = true;
    setImmediate(this.#flush);
  };

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#closed) return;
    this.#send(this.#core.flush(clock()));
  };

  #send(datagrams: readonly Datagram[]): void {
    for (const datagram of datagrams) {
      // No callback: Node sends at once without a request object; failures surface as `error`
      // events (ignored: uTP retransmits).
      this.socket.send(datagram.bytes, datagram.to.port, datagram.to.host);
    }
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(this.#tick, this.#options.tickInterval ?? 50);
    this.#timer.unref();
  }

  readonly #tick = (): void => {
    if (this.#closed) return;
    this.#send(this.#core.tick(clock()));
    if (this.#core.connectionCount === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };
}
