/**
 * Peers over uTP (BEP 29): `@bt/wire`'s one peer shell over each `@bt/utp` connection, on one
 * UDP socket bound to the session's listen port. Incoming connections are routed by the
 * info-hash of their handshake, as over TCP. Datagrams on the socket that are not uTP (the DHT's
 * bencoded messages) go to `onOtherDatagram`, so a DHT can share the port
 * (`createDht({ socket: transport.socket })`). MSE/PE runs over it as over TCP: the session's
 * `EncryptedTransport` gives `wrapIncoming` and wraps each dial's stream (`wrapStream`).
 */
import type { PeerAddress } from '@bt/primitives';
import { type UtpSocket, type UtpSocketOptions, createUtpSocket } from '@bt/utp/node';
import { type ByteStream, PeerWire, type PeerWireOptions, WireConnectionError } from '@bt/wire';
import type { Socket } from 'node:dgram';
import type { DialOptions, IncomingPeer, PeerTransport } from './interfaces.js';

export type UtpTransportOptions = Omit<
  PeerWireOptions,
  'peerId' | 'infoHash' | 'pieceCount' | 'incoming'
> & {
  /** How often wires are ticked (ms). Default 1,000. */
  tickInterval?: number;
  /** Datagrams on the socket that are not uTP. */
  onOtherDatagram?: UtpSocketOptions['onOtherDatagram'];
  /** Tuning and limits of the uTP endpoint. */
  utp?: UtpSocketOptions['core'];
  /** Wraps each accepted connection's stream before the wire reads it (an MSE/PE responder). */
  wrapIncoming?: (stream: ByteStream) => ByteStream;
};

export class UtpTransport implements PeerTransport {
  readonly #options: UtpTransportOptions;
  readonly #wires = new Set<PeerWire>();
  #socket: Promise<UtpSocket> | undefined;
  #onPeer: ((peer: IncomingPeer) => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: UtpTransportOptions = {}) {
    this.#options = options;
  }

  /** The UDP socket, once bound (by `listen`, or by the first dial on an ephemeral port). */
  async socket(): Promise<Socket | undefined> {
    return this.#socket ? (await this.#socket).socket : undefined;
  }

  /** Tells whether a wire runs over this transport. */
  owns(wire: unknown): boolean {
    return this.#wires.has(wire as PeerWire);
  }

  /** Dials; `wrapStream` wraps the connection before the handshake (an MSE/PE initiator). */
  async dial(
    address: PeerAddress,
    options: DialOptions & { wrapStream?: (stream: ByteStream) => ByteStream },
  ): Promise<PeerWire> {
    options.signal?.throwIfAborted();
    if (this.#closed) throw new WireConnectionError('connection-closed', 'the transport is closed');
    const socket = await this.#bind(0, undefined);
    if ((address.family === 6) !== (socket.address().family === 6))
      throw new WireConnectionError(
        'connection-failed',
        `no uTP socket of the family of ${address.host} (one socket per family)`,
      );
    const connection = socket.connect(address);
    const wire = this.#track(
      new PeerWire(options.wrapStream ? options.wrapStream(connection) : connection, {
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
      throw error;
    }
  }

  async listen(port: number, onPeer: (peer: IncomingPeer) => void, host?: string): Promise<number> {
    this.#onPeer = onPeer;
    const socket = await this.#bind(port, host);
    return socket.address().port;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wire of this.#wires) wire.close();
    this.#wires.clear();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await (await socket.catch(() => undefined))?.close();
  }

  #bind(port: number, host: string | undefined): Promise<UtpSocket> {
    this.#socket ??= createUtpSocket({
      port,
      ...(host !== undefined && { host }),
      onConnection: (connection) => this.#incoming(connection),
      ...(this.#options.onOtherDatagram && { onOtherDatagram: this.#options.onOtherDatagram }),
      ...(this.#options.utp && { core: this.#options.utp }),
    });
    return this.#socket;
  }

  #incoming(connection: Parameters<NonNullable<UtpSocketOptions['onConnection']>>[0]): void {
    const onPeer = this.#onPeer;
    if (this.#closed || !onPeer) {
      connection.close();
      return;
    }
    const wrap = this.#options.wrapIncoming;
    const wire = this.#track(
      new PeerWire(wrap ? wrap(connection) : connection, {
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
  }

  #track(wire: PeerWire): PeerWire {
    this.#wires.add(wire);
    wire.tick(Date.now());
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, this.#options.tickInterval ?? 1000);
      this.#timer.unref();
    }
    return wire;
  }

  readonly #tick = (): void => {
    const now = Date.now();
    for (const wire of this.#wires) {
      wire.tick(now);
      if (wire.closed) this.#wires.delete(wire);
    }
  };
}

/** Buffers the decoder fills before reading: no need to zero them first. */
function allocateUninitialized(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
