/**
 * A `ByteStream` over a Node `net.Socket`. Writes made in one tick go out in one `writev` (the
 * socket is corked on the first and uncorked on the next tick), so a piece's header and its
 * block leave together without being copied. Dialled sockets can read into one buffer shared by
 * every connection (Node's `onread`), lent to the reader for the call: no allocation per read.
 */
import { connect, type Socket } from 'node:net';
import type { PeerAddress } from '@bt/primitives';
import type { ByteStream, ByteStreamHandlers } from '../byte-stream.js';

/** Size of a shared read buffer: one read takes up to this much from a socket. */
export const SHARED_READ_SIZE = 256 * 1024;

export interface ConnectTcpOptions {
  /**
   * Read into this buffer (shared with other sockets: chunks are lent for the `onData` call
   * only) instead of a fresh buffer per read.
   */
  readBuffer?: Uint8Array;
}

/** Starts a TCP connection to `address`; the stream is usable at once (writes wait for the connection). */
export function connectTcp(address: PeerAddress, options: ConnectTcpOptions = {}): TcpStream {
  const readBuffer = options.readBuffer;
  // The socket's reads go to the stream made from it just below.
  const target: { stream?: TcpStream } = {};
  const socket = connect({
    host: address.host,
    port: address.port,
    noDelay: true,
    ...(readBuffer && {
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          target.stream!.deliver(buffer.subarray(0, bytes), true);
          return true;
        },
      },
    }),
  });
  target.stream = new TcpStream(socket, address, readBuffer !== undefined);
  return target.stream;
}

/** The address a socket's remote side has (IPv4-mapped IPv6 shown as IPv4). */
export function socketAddress(socket: Socket): PeerAddress {
  const raw = socket.remoteAddress ?? '0.0.0.0';
  const mapped = raw.startsWith('::ffff:') && raw.includes('.');
  return {
    host: mapped ? raw.slice(7) : raw,
    port: socket.remotePort ?? 0,
    family: socket.remoteFamily === 'IPv6' && !mapped ? 6 : 4,
  };
}

export class TcpStream implements ByteStream {
  readonly remoteAddress: PeerAddress;
  readonly socket: Socket;
  readonly #sharedReads: boolean;
  #handlers: ByteStreamHandlers | undefined;
  /** Reads that arrived before `open`, copied (the shared buffer is reused). */
  #early: Uint8Array[] | undefined;
  #corked = false;
  #closed = false;
  #error: Error | undefined;

  /**
   * Wraps a socket. With `sharedReads` the socket was made with an `onread` that calls `deliver`;
   * otherwise its `data` events are read.
   */
  constructor(
    socket: Socket,
    remoteAddress: PeerAddress = socketAddress(socket),
    sharedReads = false,
  ) {
    this.socket = socket;
    this.remoteAddress = remoteAddress;
    this.#sharedReads = sharedReads;
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    socket.once('close', () => this.#finish(this.#error));
    socket.on('drain', () => this.#handlers?.onDrain());
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  open(handlers: ByteStreamHandlers): void {
    if (this.#handlers) throw new Error('the stream is already open');
    this.#handlers = handlers;
    const early = this.#early;
    this.#early = undefined;
    if (early) for (const chunk of early) handlers.onData(chunk);
    if (!this.#sharedReads) {
      this.socket.on('data', (chunk: Uint8Array) =>
        this.deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), false),
      );
    }
    if (this.#closed) handlers.onClose(this.#error);
  }

  /** @internal a read of the socket; `lent` when it views a shared buffer. */
  deliver(chunk: Uint8Array, lent: boolean): void {
    if (this.#closed) return;
    const handlers = this.#handlers;
    if (handlers) handlers.onData(chunk);
    else (this.#early ??= []).push(lent ? chunk.slice() : chunk);
  }

  write(bytes: Uint8Array, onSent?: () => void): void {
    if (this.#closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
    if (onSent === undefined) this.socket.write(bytes);
    else this.socket.write(bytes, () => onSent());
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.socket.uncork();
  };

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(error?: Error): void {
    if (this.#closed) return;
    this.socket.destroy();
    this.#finish(error);
  }

  #finish(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.onClose(error);
  }
}
