/**
 * The default peer transport: TCP sockets driven by `@bt/wire`'s pure codec. It dials and
 * accepts, exchanges the BEP 3 handshake (announcing BEP 6 fast and BEP 10 extensions), then
 * hands the engine a `PeerWire`: messages decoded in place from the socket's chunks (piece
 * blocks are views, never copied), requests batched into one write, piece blocks written after
 * their 13-byte header without a copy, keep-alives when quiet and a drop when the peer is
 * silent too long.
 *
 * Dialled sockets (where the downloading happens) read into one buffer shared by all of them
 * (Node's `onread`), not a fresh 64 KiB allocation per read: no page faults, no garbage. A read
 * is decoded to the end before the next one, and what the decoder has not consumed it copies,
 * so messages handed to the engine are valid only during `onMessage` (the engine copies blocks
 * into the piece cache there; `TorrentStorage.writeBlock` must not keep the view).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { bytesEqual, type PeerAddress } from '@bt/primitives';
import {
  WireDecoder,
  decodeReserved,
  encodeExtended,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeMessage,
  encodePieceHeader,
  encodeRequests,
  type BlockRequest,
  type HandshakeMessage,
  type Message,
} from '@bt/wire';
import { SessionError } from './errors.js';
import type {
  DialOptions,
  IncomingPeer,
  PeerCapabilities,
  PeerTransport,
  PeerWire,
  PeerWireHandlers,
} from './interfaces.js';

export interface TcpTransportOptions {
  /** Handshake must complete within this (ms). Default 10 s. */
  handshakeTimeoutMs?: number;
  /** A peer silent this long is dropped (ms). Default 180 s. */
  idleTimeoutMs?: number;
  /** A keep-alive is sent after this long without writing (ms). Default 90 s. */
  keepAliveMs?: number;
  /** Largest message accepted from a peer (bytes). Default: the wire's default. */
  maxMessageLength?: number;
}

const EXTENSIONS = { fast: true, extended: true, dht: false };

/** Where a socket's incoming bytes are delivered (`data` events; a transport may bring its own buffers). */
interface ChunkSource {
  listen(handler: (chunk: Uint8Array) => void): () => void;
}

/** Size of the read buffer a transport's dialled sockets share. */
const SHARED_READ_SIZE = 256 * 1024;

/**
 * A socket option that reads into `buffer` (shared by the transport's dialled sockets), and the
 * source that hands its reads out. The buffer is only lent to the handler for its call.
 */
function sharedReads(buffer: Uint8Array): {
  onread: { buffer: Uint8Array; callback: (bytes: number, buffer: Uint8Array) => boolean };
  source: ChunkSource;
} {
  let handler: ((chunk: Uint8Array) => void) | undefined;
  return {
    onread: {
      buffer,
      callback: (bytes, buffer) => {
        handler?.(buffer.subarray(0, bytes));
        return true;
      },
    },
    source: {
      listen(next) {
        handler = next;
        return () => {
          if (handler === next) handler = undefined;
        };
      },
    },
  };
}

function dataEvents(socket: Socket): ChunkSource {
  return {
    listen(handler) {
      socket.on('data', handler);
      return () => socket.off('data', handler);
    },
  };
}

export class TcpTransport implements PeerTransport {
  private readonly options: TcpTransportOptions;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** The one buffer every dialled socket reads into (made on the first dial). */
  private readBuffer: Uint8Array | undefined;

  constructor(options: TcpTransportOptions = {}) {
    this.options = options;
  }

  async dial(address: PeerAddress, options: DialOptions): Promise<PeerWire> {
    options.signal?.throwIfAborted();
    this.readBuffer ??= new Uint8Array(SHARED_READ_SIZE);
    const reads = sharedReads(this.readBuffer);
    const socket = connect({
      host: address.host,
      port: address.port,
      noDelay: true,
      onread: reads.onread,
    });
    this.track(socket);
    const decoder = new WireDecoder({
      pieceCount: options.pieceCount,
      maxMessageLength: this.options.maxMessageLength,
    });
    try {
      const source = reads.source;
      const handshake = await this.readHandshake(socket, source, decoder, options.signal, () => {
        socket.write(
          encodeHandshake({
            infoHash: options.infoHash,
            peerId: options.peerId,
            extensions: EXTENSIONS,
          }),
        );
      });
      if (!bytesEqual(handshake.infoHash, options.infoHash)) {
        throw new SessionError('peer-protocol', 'the peer answered for another torrent');
      }
      return new TcpPeerWire(socket, source, decoder, address, handshake, false, this.options);
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  async listen(port: number, onPeer: (peer: IncomingPeer) => void, host?: string): Promise<number> {
    const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
      this.track(socket);
      const decoder = new WireDecoder({ maxMessageLength: this.options.maxMessageLength });
      const address: PeerAddress = {
        host: socket.remoteAddress?.replace(/^::ffff:/, '') ?? '0.0.0.0',
        port: socket.remotePort ?? 0,
        family:
          socket.remoteFamily === 'IPv6' && !socket.remoteAddress?.startsWith('::ffff:') ? 6 : 4,
      };
      const source = dataEvents(socket);
      this.readHandshake(socket, source, decoder, undefined, () => undefined).then(
        (handshake) => {
          let settled = false;
          onPeer({
            infoHash: handshake.infoHash,
            address,
            accept: async (peerId: Uint8Array, pieceCount?: number) => {
              if (settled) throw new SessionError('peer-protocol', 'incoming peer already settled');
              settled = true;
              if (pieceCount !== undefined) decoder.setPieceCount(pieceCount);
              socket.write(
                encodeHandshake({ infoHash: handshake.infoHash, peerId, extensions: EXTENSIONS }),
              );
              return new TcpPeerWire(
                socket,
                source,
                decoder,
                address,
                handshake,
                true,
                this.options,
              );
            },
            reject: () => {
              settled = true;
              socket.destroy();
            },
          });
        },
        () => socket.destroy(),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new SessionError('listen-failed', `cannot listen on port ${port}: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    server.on('error', () => undefined);
    const bound = server.address();
    return typeof bound === 'object' && bound ? bound.port : port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  /** Reads until the decoder yields the handshake; the socket is paused after it. */
  private readHandshake(
    socket: Socket,
    source: ChunkSource,
    decoder: WireDecoder,
    signal: AbortSignal | undefined,
    onConnect: () => void,
  ): Promise<HandshakeMessage> {
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(
        () => finish(new SessionError('peer-protocol', 'no handshake in time')),
        this.options.handshakeTimeoutMs ?? 10_000,
      );
      const onAbort = (): void =>
        finish(new SessionError('peer-protocol', 'dial aborted', { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const onData = (chunk: Uint8Array): void => {
        try {
          decoder.push(chunk);
          const item = decoder.next();
          if (item === undefined) return;
          if (item.type !== 'handshake')
            throw new SessionError('peer-protocol', 'expected a handshake');
          finish(undefined, item);
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const onClose = (): void =>
        finish(new SessionError('peer-protocol', 'connection closed during the handshake'));
      const onError = (error: Error): void =>
        finish(new SessionError('peer-protocol', error.message, { cause: error }));
      const finish = (error: Error | undefined, handshake?: HandshakeMessage): void => {
        clearTimeout(timeout);
        signal?.removeEventListener('abort', onAbort);
        unlisten();
        socket.off('close', onClose);
        socket.off('error', onError);
        socket.off('connect', onConnect);
        if (error || !handshake) {
          socket.destroy();
          reject(error ?? new Error('no handshake'));
          return;
        }
        socket.pause();
        // bytes after the handshake stay in the decoder: copy them out of the read buffer
        decoder.detach();
        resolve(handshake);
      };
      const unlisten = source.listen(onData);
      socket.once('close', onClose);
      socket.once('error', onError);
      if (socket.connecting) socket.once('connect', onConnect);
      else onConnect();
    });
  }
}

/** A handshaken TCP peer. */
class TcpPeerWire implements PeerWire {
  readonly address: PeerAddress;
  readonly peerId: Uint8Array;
  readonly capabilities: PeerCapabilities;
  readonly incoming: boolean;
  private readonly socket: Socket;
  private readonly source: ChunkSource;
  private readonly decoder: WireDecoder;
  private handlers: PeerWireHandlers | undefined;
  private closed = false;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    socket: Socket,
    source: ChunkSource,
    decoder: WireDecoder,
    address: PeerAddress,
    handshake: HandshakeMessage,
    incoming: boolean,
    options: TcpTransportOptions,
  ) {
    this.socket = socket;
    this.source = source;
    this.decoder = decoder;
    this.address = address;
    this.peerId = handshake.peerId.slice();
    const theirs = decodeReserved(handshake.reserved);
    this.capabilities = {
      fast: theirs.fast && EXTENSIONS.fast,
      extended: theirs.extended && EXTENSIONS.extended,
    };
    this.incoming = incoming;
    const idle = options.idleTimeoutMs ?? 180_000;
    const keepAlive = options.keepAliveMs ?? 90_000;
    this.timer = setInterval(
      () => {
        const now = Date.now();
        if (now - this.lastReceived > idle)
          this.close(new SessionError('peer-protocol', 'peer silent too long'));
        else if (now - this.lastSent > keepAlive) this.write(new Uint8Array(4));
      },
      Math.min(keepAlive, 30_000),
    );
    this.timer.unref?.();
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  start(handlers: PeerWireHandlers): void {
    this.handlers = handlers;
    this.source.listen((chunk: Uint8Array) => {
      this.lastReceived = Date.now();
      try {
        this.decoder.push(chunk);
      } catch (error) {
        this.close(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.drain();
    });
    this.socket.on('drain', () => this.handlers?.onDrain?.());
    this.socket.once('close', () => this.close());
    this.socket.once('error', (error) => this.close(error));
    this.drain();
    if (!this.closed) this.socket.resume();
  }

  private drain(): void {
    try {
      for (
        let item = this.decoder.next();
        item !== undefined && !this.closed;
        item = this.decoder.next()
      ) {
        if (item.type === 'handshake')
          throw new SessionError('peer-protocol', 'a second handshake');
        this.handlers!.onMessage(item);
      }
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.lastSent = Date.now();
    this.socket.write(bytes);
  }

  send(message: Message): void {
    if (message.type === 'extended-handshake') {
      const { handshake } = message;
      this.write(
        encodeExtended(
          0,
          encodeExtendedHandshake({
            extensions: handshake.extensions,
            port: handshake.port,
            client: handshake.client,
            requestQueueLength: handshake.requestQueueLength,
          }),
        ),
      );
      return;
    }
    this.write(encodeMessage(message));
  }

  sendRequests(requests: readonly BlockRequest[]): void {
    if (requests.length > 0) this.write(encodeRequests(requests));
  }

  sendPiece(index: number, begin: number, block: Uint8Array): void {
    if (this.closed) return;
    this.lastSent = Date.now();
    this.socket.cork();
    this.socket.write(encodePieceHeader(index, begin, block.length));
    this.socket.write(block);
    process.nextTick(() => this.socket.uncork());
  }

  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.socket.destroy();
    this.handlers?.onClose(error);
  }
}
