/**
 * Peers over TCP: dials and listens, wrapping each socket in a `PeerWire`. Dialled sockets read
 * into one buffer shared by all of them. Incoming connections are routed by the info-hash of
 * their handshake before we answer, so one port serves many torrents. One timer per transport
 * (not per peer) ticks every wire for handshake timeouts, idle peers and keep-alives.
 */
import { createServer, type Server } from 'node:net';
import type { PeerAddress } from '@bt/primitives';
import { WireConnectionError, WireError } from '../errors.js';
import type { ByteStream } from '../byte-stream.js';
import type { HandshakeExtensions, HandshakeMessage } from '../messages.js';
import { PeerWire, type PeerWireOptions } from '../peer-wire.js';
import { connectTcp, SHARED_READ_SIZE, TcpStream } from './tcp-stream.js';

/** What every wire of the transport is made with (the torrent-specific fields come per dial). */
export type TcpTransportOptions = Omit<
  PeerWireOptions,
  'peerId' | 'infoHash' | 'pieceCount' | 'incoming'
> & {
  /** How often wires are ticked (ms). Default 1,000. */
  tickInterval?: number;
  /**
   * Wraps each accepted connection's stream before the wire reads it (e.g. an MSE/PE responder
   * that also passes plain handshakes through); its failure closes the connection.
   */
  wrapIncoming?: (stream: ByteStream) => ByteStream;
};

export interface TcpDialOptions {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** The torrent's piece count: the wire checks bitfields and indices against it. */
  pieceCount?: number;
  /** Reserved bits of this connection, over the transport's (e.g. no DHT for a private torrent). */
  reserved?: Partial<HandshakeExtensions>;
  /** Wraps the connection's stream before the handshake (e.g. an MSE/PE initiator). */
  wrapStream?: (stream: ByteStream) => ByteStream;
  signal?: AbortSignal;
}

/** Per-connection options of `IncomingTcpPeer.accept`. */
export interface TcpAcceptOptions {
  /** Reserved bits of this connection, over the transport's. */
  reserved?: Partial<HandshakeExtensions>;
}

/** An incoming connection whose handshake named a torrent: accept it to answer, or reject it. */
export interface IncomingTcpPeer {
  readonly infoHash: Uint8Array;
  readonly address: PeerAddress;
  readonly handshake: HandshakeMessage;
  /** The connection is encrypted (see `TcpTransportOptions.wrapIncoming`). */
  readonly encrypted: boolean;
  /** Sends our handshake back; resolves with the wire, ready to `start`. */
  accept(peerId: Uint8Array, pieceCount?: number, options?: TcpAcceptOptions): Promise<PeerWire>;
  reject(): void;
}

export class TcpTransport {
  readonly #options: TcpTransportOptions;
  readonly #wires = new Set<PeerWire>();
  #server: Server | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The one buffer every dialled socket reads into (made on the first dial). */
  #readBuffer: Uint8Array | undefined;
  #closed = false;

  constructor(options: TcpTransportOptions = {}) {
    this.#options = options;
  }

  /** Connects and handshakes; resolves with a wire ready to `start`. */
  async dial(address: PeerAddress, options: TcpDialOptions): Promise<PeerWire> {
    options.signal?.throwIfAborted();
    if (this.#closed) throw new WireConnectionError('connection-closed', 'the transport is closed');
    this.#readBuffer ??= allocateUninitialized(SHARED_READ_SIZE);
    const socketStream = connectTcp(address, { readBuffer: this.#readBuffer });
    const stream = options.wrapStream ? options.wrapStream(socketStream) : socketStream;
    const wire = this.#track(
      new PeerWire(stream, {
        ...this.#options,
        peerId: options.peerId,
        infoHash: options.infoHash,
        pieceCount: options.pieceCount,
        reserved: { ...this.#options.reserved, ...options.reserved },
        allocate: this.#options.allocate ?? allocateUninitialized,
      }),
    );
    try {
      await wire.handshake({ signal: options.signal });
      return wire;
    } catch (error) {
      wire.close(error instanceof Error ? error : undefined);
      // A socket that never connected: say so, with the address.
      if (
        WireError.isInstance(error) &&
        error.code === 'connection-failed' &&
        !wire.remoteHandshake
      ) {
        const cause = error.cause instanceof Error ? error.cause.message : error.message;
        throw new WireConnectionError(
          'connection-failed',
          `could not connect to ${address.host}:${address.port}: ${cause}`,
          { cause: error.cause ?? error },
        );
      }
      throw error;
    }
  }

  /** Accepts peers on `port` (0: any free one); resolves with the bound port. */
  async listen(
    port: number,
    onPeer: (peer: IncomingTcpPeer) => void,
    host?: string,
  ): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => {
      if (this.#closed) {
        socket.destroy();
        return;
      }
      const socketStream = new TcpStream(socket);
      const wrap = this.#options.wrapIncoming;
      const wire = this.#track(
        new PeerWire(wrap ? wrap(socketStream) : socketStream, {
          ...this.#options,
          incoming: true,
          allocate: this.#options.allocate ?? allocateUninitialized,
        }),
      );
      wire.receiveHandshake().then(
        (handshake) => {
          let settled = false;
          onPeer({
            infoHash: handshake.infoHash,
            address: wire.address,
            handshake,
            encrypted: wire.encrypted,
            accept: async (peerId, pieceCount, acceptOptions) => {
              if (settled)
                throw new WireConnectionError('not-ready', 'the incoming peer is already settled');
              settled = true;
              await wire.handshake({
                infoHash: handshake.infoHash,
                peerId,
                pieceCount,
                reserved: acceptOptions?.reserved,
              });
              return wire;
            },
            reject: () => {
              settled = true;
              wire.close();
            },
          });
        },
        () => wire.close(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new WireConnectionError(
            'connection-failed',
            `cannot listen on port ${port}: ${error.message}`,
            {
              cause: error,
            },
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    server.on('error', () => undefined);
    this.#server = server;
    const bound = server.address();
    return typeof bound === 'object' && bound ? bound.port : port;
  }

  /** Closes every wire and the listening socket. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wire of this.#wires) wire.close();
    this.#wires.clear();
    this.#stopTimer();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #track(wire: PeerWire): PeerWire {
    this.#wires.add(wire);
    wire.tick(Date.now());
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, this.#options.tickInterval ?? 1000);
      this.#timer.unref?.();
    }
    return wire;
  }

  readonly #tick = (): void => {
    const now = Date.now();
    for (const wire of this.#wires) {
      wire.tick(now);
      if (wire.closed) this.#wires.delete(wire);
    }
    if (this.#wires.size === 0) this.#stopTimer();
  };

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Buffers the decoder fills before reading: no need to zero them first. */
function allocateUninitialized(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
