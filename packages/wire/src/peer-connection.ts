/**
 * One peer over a Node `Duplex` (a `net.Socket` by default): the thin I/O shell around the pure
 * codec. It does both handshake directions (BEP 3, with BEP 10's extension handshake), tracks
 * the four choke/interest states, keeps our outstanding requests with per-request timeouts and
 * settles them on `piece`, `reject` and `choke` (BEP 6 semantics when the fast extension is
 * negotiated), answers the peer's requests it cannot serve, sends keep-alives and drops an idle
 * peer, respects write backpressure, counts bytes and rates, and tears down cleanly.
 *
 * Messages reach the engine two ways: synchronously through `on('message')`, and as an
 * `AsyncIterable` from `messages()`, whose bounded queue pauses the socket when it is full.
 */
import { connect as connectTcp, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WireDecoder } from './decoder.js';
import { encodeExtended, encodeMessage, encodePieceHeader } from './encode.js';
import { WireConnectionError, WireError, WireProtocolError } from './errors.js';
import {
  type ExtendedHandshake,
  type ExtendedHandshakeInit,
  encodeExtendedHandshake,
} from './extended-handshake.js';
import { encodeHandshake } from './handshake.js';
import type {
  BlockRequest,
  HandshakeExtensions,
  HandshakeMessage,
  Message,
  WireItem,
} from './messages.js';
import { RateMeter } from './rate.js';

export interface PeerConnectionOptions {
  /** Our 20-byte peer id. */
  peerId: Uint8Array;
  /** The torrent's info-hash, when known before the peer's handshake (outgoing connections). */
  infoHash?: Uint8Array;
  /** The torrent's number of pieces, when known: enables bitfield and index checks. */
  pieceCount?: number;
  /** Extensions we announce. Default: BEP 10 and BEP 6 on, BEP 5 off. */
  extensions?: Partial<HandshakeExtensions>;
  /** Our BEP 10 handshake (sent when both sides announce BEP 10). Default: `{ requestQueueLength: maxPeerRequests }`. */
  extendedHandshake?: ExtendedHandshakeInit;
  /** Longest frame accepted from the peer. Default 262,160 bytes. */
  maxMessageLength?: number;
  /** Longest block the peer may request. Default 16 KiB. */
  maxRequestLength?: number;
  /** Requests of the peer we keep at once; more are rejected (BEP 6) or dropped. Default 500. */
  maxPeerRequests?: number;
  /** Milliseconds a request of ours may stay unanswered. Default 60,000. */
  requestTimeout?: number;
  /** Milliseconds the peer has to complete its handshake. Default 30,000. */
  handshakeTimeout?: number;
  /** Milliseconds of silence on our side before a keep-alive is sent (BEP 3: two minutes). Default 120,000. */
  keepAliveInterval?: number;
  /** Milliseconds without a byte from the peer before it is dropped. Default 180,000. */
  idleTimeout?: number;
  /** Buffered outgoing bytes above which writes report `false` and `drained()` waits. Default 256 KiB. */
  writeHighWaterMark?: number;
  /** Buffered outgoing bytes past which `sendPiece` refuses (`write-buffer-full`). Default 4 MiB. */
  maxWriteBuffer?: number;
  /** Messages held for `messages()` before reading from the peer pauses. Default 256. */
  messageQueueLength?: number;
  /** Aborting it destroys the connection. */
  signal?: AbortSignal;
}

export interface ConnectOptions extends PeerConnectionOptions {
  /** Milliseconds to wait for the TCP connection. Default 10,000. */
  connectTimeout?: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
}

export interface HandshakeOptions extends WaitOptions {
  /** The torrent to speak for; needed when it was not given to the constructor (incoming connections). */
  infoHash?: Uint8Array;
  pieceCount?: number;
}

export interface RequestOptions extends WaitOptions {
  /** Overrides `requestTimeout` for this request. */
  timeout?: number;
}

/** Byte and message counters of a connection, and its rates over the last five seconds. */
export interface PeerConnectionStats {
  bytesReceived: number;
  bytesSent: number;
  /** Block bytes of `piece` messages received. */
  payloadBytesReceived: number;
  /** Block bytes of `piece` messages sent. */
  payloadBytesSent: number;
  messagesReceived: number;
  messagesSent: number;
  /** Bytes per second received (all bytes). */
  downloadRate: number;
  /** Bytes per second sent (all bytes). */
  uploadRate: number;
  payloadDownloadRate: number;
  payloadUploadRate: number;
  /** Our requests awaiting a block. */
  pendingRequests: number;
  /** Requests of the peer we have not answered. */
  peerRequests: number;
  /** Bytes written but not yet flushed to the socket. */
  bufferedBytes: number;
}

export interface PeerConnectionEvents {
  /** Every message after the handshake, synchronously, after the connection's own bookkeeping. */
  message: (message: Message) => void;
  /** The connection closed; `error` says why unless it was closed by `close()`. */
  close: (error: WireError | undefined) => void;
}

interface Pending {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
  readonly promise: Promise<Uint8Array>;
  resolve(block: Uint8Array): void;
  reject(error: WireError): void;
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: WireError): void;
}

const DEFAULT_EXTENSIONS: HandshakeExtensions = { extended: true, fast: true, dht: false };

export class PeerConnection {
  readonly #stream: Duplex;
  readonly #decoder: WireDecoder;
  readonly #peerId: Uint8Array;
  #infoHash: Uint8Array | undefined;
  readonly #extensions: HandshakeExtensions;
  readonly #extendedInit: ExtendedHandshakeInit;

  readonly #requestTimeout: number;
  readonly #keepAliveInterval: number;
  readonly #idleTimeout: number;
  readonly #highWaterMark: number;
  readonly #maxWriteBuffer: number;
  readonly #maxPeerRequests: number;
  readonly #queueLimit: number;

  #handshakeSent = false;
  #extendedHandshakeSent = false;
  #remoteHandshake: HandshakeMessage | undefined;
  #remoteExtended: ExtendedHandshake | undefined;
  #remoteExtensions: Record<string, number> = {};
  #handshakeDeadline: number;
  #handshakeWaiters: Waiter<HandshakeMessage>[] = [];
  #extendedWaiters: Waiter<ExtendedHandshake | undefined>[] = [];

  #amChoking = true;
  #amInterested = false;
  #peerChoking = true;
  #peerInterested = false;

  readonly #pending = new Map<string, Pending>();
  readonly #peerRequests = new Set<string>();
  readonly #allowedFastSent = new Set<number>();
  readonly #peerAllowedFast = new Set<number>();

  readonly #listeners = {
    message: new Set<PeerConnectionEvents['message']>(),
    close: new Set<PeerConnectionEvents['close']>(),
  };
  #queue: Message[] = [];
  #iterating = false;
  #queueWaiter: (() => void) | undefined;
  #pausedForQueue = false;

  #corked = false;
  #lastReceived: number;
  #lastSent: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onSignalAbort: () => void;

  #closed = false;
  #closeReason: WireError | undefined;
  readonly #streamClosed: Promise<void>;

  #bytesReceived = 0;
  #bytesSent = 0;
  #payloadReceived = 0;
  #payloadSent = 0;
  #messagesReceived = 0;
  #messagesSent = 0;
  readonly #downloadRate = new RateMeter();
  readonly #uploadRate = new RateMeter();
  readonly #payloadDownloadRate = new RateMeter();
  readonly #payloadUploadRate = new RateMeter();

  constructor(stream: Duplex, options: PeerConnectionOptions) {
    if (options.peerId.length !== 20)
      throw new RangeError(`peerId must be 20 bytes, got ${options.peerId.length}`);
    if (options.infoHash && options.infoHash.length !== 20) {
      throw new RangeError(`infoHash must be 20 bytes, got ${options.infoHash.length}`);
    }
    this.#stream = stream;
    this.#peerId = options.peerId;
    this.#infoHash = options.infoHash;
    this.#extensions = { ...DEFAULT_EXTENSIONS, ...options.extensions };
    this.#maxPeerRequests = options.maxPeerRequests ?? 500;
    this.#extendedInit = options.extendedHandshake ?? { requestQueueLength: this.#maxPeerRequests };
    this.#requestTimeout = options.requestTimeout ?? 60_000;
    this.#keepAliveInterval = options.keepAliveInterval ?? 120_000;
    this.#idleTimeout = options.idleTimeout ?? 180_000;
    this.#highWaterMark = options.writeHighWaterMark ?? 256 * 1024;
    this.#maxWriteBuffer = options.maxWriteBuffer ?? 4 * 1024 * 1024;
    this.#queueLimit = options.messageQueueLength ?? 256;
    this.#decoder = new WireDecoder({
      handshake: true,
      maxMessageLength: options.maxMessageLength,
      maxRequestLength: options.maxRequestLength,
      pieceCount: options.pieceCount,
      // Gathering buffers are always overwritten before use: skip zero-filling them.
      allocate: allocateUninitialized,
    });
    const now = Date.now();
    this.#lastReceived = now;
    this.#lastSent = now;
    this.#handshakeDeadline = now + (options.handshakeTimeout ?? 30_000);

    // Writes are already batched per tick (cork/uncork), so Nagle's delay only adds latency.
    if (stream instanceof Socket) stream.setNoDelay(true);
    this.#streamClosed = new Promise((resolve) => {
      if (stream.destroyed) resolve();
      else stream.once('close', () => resolve());
    });
    stream.on('data', this.#onData);
    stream.on('error', this.#onStreamError);
    stream.on('end', this.#onStreamEnd);
    stream.on('close', this.#onStreamClose);

    const tick = Math.max(
      20,
      Math.min(1000, this.#requestTimeout / 4, this.#keepAliveInterval / 4, this.#idleTimeout / 4),
    );
    this.#timer = setInterval(this.#tick, tick);
    this.#timer.unref?.();

    this.#signal = options.signal;
    this.#onSignalAbort = () => {
      this.destroy(
        new WireConnectionError('aborted', 'the connection was aborted', {
          cause: this.#signal?.reason,
        }),
      );
    };
    if (this.#signal?.aborted) queueMicrotask(this.#onSignalAbort);
    else this.#signal?.addEventListener('abort', this.#onSignalAbort, { once: true });
  }

  /** Opens a TCP connection to `address` (loopback or not) and wraps it; call `handshake()` next. */
  static async connect(
    address: { host: string; port: number },
    options: ConnectOptions,
  ): Promise<PeerConnection> {
    const socket = connectTcp({ host: address.host, port: address.port, noDelay: true });
    const signals = [AbortSignal.timeout(options.connectTimeout ?? 10_000)];
    if (options.signal) signals.push(options.signal);
    const signal = AbortSignal.any(signals);
    await new Promise<void>((resolve, reject) => {
      const done = (error?: WireConnectionError): void => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else {
          socket.destroy();
          reject(error);
        }
      };
      const onConnect = (): void => done();
      const onError = (error: Error): void =>
        done(
          new WireConnectionError(
            'connection-failed',
            `could not connect to ${address.host}:${address.port}: ${error.message}`,
            { cause: error },
          ),
        );
      const onAbort = (): void => {
        const timedOut = !options.signal?.aborted;
        done(
          new WireConnectionError(
            timedOut ? 'connection-failed' : 'aborted',
            timedOut
              ? `connecting to ${address.host}:${address.port} timed out`
              : 'connecting was aborted',
            {
              cause: signal.reason,
            },
          ),
        );
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    return new PeerConnection(socket, options);
  }

  // --- state ---------------------------------------------------------------------------------

  get amChoking(): boolean {
    return this.#amChoking;
  }
  get amInterested(): boolean {
    return this.#amInterested;
  }
  get peerChoking(): boolean {
    return this.#peerChoking;
  }
  get peerInterested(): boolean {
    return this.#peerInterested;
  }
  /** The peer's handshake, once received. */
  get remoteHandshake(): HandshakeMessage | undefined {
    return this.#remoteHandshake;
  }
  /** The peer's latest BEP 10 handshake, once received. */
  get remoteExtendedHandshake(): ExtendedHandshake | undefined {
    return this.#remoteExtended;
  }
  /** Extension names the peer receives, with their ids (merged over all its BEP 10 handshakes). */
  get remoteExtensions(): Readonly<Record<string, number>> {
    return this.#remoteExtensions;
  }
  /** BEP 6 is in force: both sides announced it. */
  get fastExtension(): boolean {
    return this.#extensions.fast && (this.#remoteHandshake?.extensions.fast ?? false);
  }
  /** BEP 10 is in force: both sides announced it. */
  get extensionProtocol(): boolean {
    return this.#extensions.extended && (this.#remoteHandshake?.extensions.extended ?? false);
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Why the connection closed (`undefined` while open or after `close()`). */
  get closeReason(): WireError | undefined {
    return this.#closeReason;
  }
  /** Outgoing bytes are below the high-water mark: writing more will not pile up. */
  get writable(): boolean {
    return !this.#closed && this.#stream.writableLength < this.#highWaterMark;
  }

  get stats(): PeerConnectionStats {
    const now = Date.now();
    return {
      bytesReceived: this.#bytesReceived,
      bytesSent: this.#bytesSent,
      payloadBytesReceived: this.#payloadReceived,
      payloadBytesSent: this.#payloadSent,
      messagesReceived: this.#messagesReceived,
      messagesSent: this.#messagesSent,
      downloadRate: this.#downloadRate.rate(now),
      uploadRate: this.#uploadRate.rate(now),
      payloadDownloadRate: this.#payloadDownloadRate.rate(now),
      payloadUploadRate: this.#payloadUploadRate.rate(now),
      pendingRequests: this.#pending.size,
      peerRequests: this.#peerRequests.size,
      bufferedBytes: this.#stream.writableLength,
    };
  }

  // --- events and messages -------------------------------------------------------------------

  on<E extends keyof PeerConnectionEvents>(event: E, listener: PeerConnectionEvents[E]): this {
    (this.#listeners[event] as Set<PeerConnectionEvents[E]>).add(listener);
    return this;
  }

  off<E extends keyof PeerConnectionEvents>(event: E, listener: PeerConnectionEvents[E]): this {
    (this.#listeners[event] as Set<PeerConnectionEvents[E]>).delete(listener);
    return this;
  }

  /**
   * The peer's messages after the handshake, in order. Messages that arrive while nobody iterates
   * and no `message` listener is set are held (up to `messageQueueLength`, then reading pauses),
   * so none is lost between `handshake()` and the first iteration. Ends when the connection
   * closes normally; throws the error that closed it otherwise. One iteration at a time.
   */
  messages(options: WaitOptions = {}): AsyncIterableIterator<Message> {
    if (this.#iterating) throw new Error('messages() is already being iterated');
    this.#iterating = true;
    const signal = options.signal;
    const finish = (): void => {
      this.#iterating = false;
      signal?.removeEventListener('abort', wake);
    };
    const wake = (): void => {
      const waiter = this.#queueWaiter;
      this.#queueWaiter = undefined;
      waiter?.();
    };
    signal?.addEventListener('abort', wake, { once: true });
    const iterator: AsyncIterableIterator<Message> = {
      next: async (): Promise<IteratorResult<Message>> => {
        for (;;) {
          if (signal?.aborted) {
            finish();
            throw new WireConnectionError('aborted', 'message iteration was aborted', {
              cause: signal.reason,
            });
          }
          const message = this.#queue.shift();
          if (message !== undefined) {
            if (this.#pausedForQueue && this.#queue.length <= this.#queueLimit / 2) {
              this.#pausedForQueue = false;
              if (!this.#closed) this.#stream.resume();
            }
            return { value: message, done: false };
          }
          if (this.#closed) {
            finish();
            const reason = this.#closeReason;
            if (reason && reason.code !== 'connection-closed') throw reason;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => {
            this.#queueWaiter = resolve;
          });
        }
      },
      return: async (): Promise<IteratorResult<Message>> => {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  // --- handshakes ----------------------------------------------------------------------------

  /**
   * Waits for the peer's handshake without sending ours: an incoming connection reads the
   * info-hash first, so one listening port can serve many torrents. Then call `handshake()`.
   */
  receiveHandshake(options: WaitOptions = {}): Promise<HandshakeMessage> {
    if (this.#remoteHandshake) return Promise.resolve(this.#remoteHandshake);
    return this.#wait(this.#handshakeWaiters, options.signal);
  }

  /**
   * Sends our handshake (once) and waits for the peer's, checking it names the same torrent;
   * then, when both sides announce BEP 10, sends our extension handshake.
   * @throws WireProtocolError `info-hash-mismatch`, WireConnectionError when the connection ends first.
   */
  async handshake(options: HandshakeOptions = {}): Promise<HandshakeMessage> {
    const infoHash = options.infoHash ?? this.#infoHash;
    if (!infoHash || infoHash.length !== 20)
      throw new RangeError('handshake() needs the 20-byte infoHash of the torrent');
    this.#infoHash = infoHash;
    if (options.pieceCount !== undefined) this.#decoder.setPieceCount(options.pieceCount);
    this.#checkOpen();
    if (this.#remoteHandshake && !this.#checkInfoHash(this.#remoteHandshake))
      throw this.#closeReason!;
    if (!this.#handshakeSent) {
      this.#handshakeSent = true;
      this.#write(
        encodeHandshake({ infoHash, peerId: this.#peerId, extensions: this.#extensions }),
      );
    }
    const remote = await this.receiveHandshake(options);
    this.#sendExtendedHandshake();
    return remote;
  }

  /**
   * The peer's BEP 10 handshake: resolves when it arrives, or with `undefined` when the peer does
   * not speak BEP 10 (known from its handshake).
   */
  async receiveExtendedHandshake(
    options: WaitOptions = {},
  ): Promise<ExtendedHandshake | undefined> {
    if (this.#remoteExtended) return this.#remoteExtended;
    const remote = await this.receiveHandshake(options);
    if (!remote.extensions.extended || !this.#extensions.extended) return undefined;
    if (this.#remoteExtended) return this.#remoteExtended;
    return this.#wait(this.#extendedWaiters, options.signal);
  }

  // --- sending -------------------------------------------------------------------------------
  // Each returns `false` when the outgoing buffer is above the high-water mark (await `drained()`),
  // and does nothing on a closed connection. Writes made in one tick go out in one `writev`.

  choke(): boolean {
    if (this.#amChoking) return this.writable;
    this.#amChoking = true;
    const fast = this.fastExtension;
    // BEP 6: a choke no longer discards the peer's requests implicitly; reject them explicitly
    // (except those for allowed-fast pieces). Without BEP 6 they are discarded silently.
    for (const key of [...this.#peerRequests]) {
      const block = parseKey(key);
      if (fast && this.#allowedFastSent.has(block.index)) continue;
      this.#peerRequests.delete(key);
      if (fast) this.#send({ type: 'reject', ...block });
    }
    return this.#send({ type: 'choke' });
  }

  unchoke(): boolean {
    if (!this.#amChoking) return this.writable;
    this.#amChoking = false;
    return this.#send({ type: 'unchoke' });
  }

  interested(): boolean {
    if (this.#amInterested) return this.writable;
    this.#amInterested = true;
    return this.#send({ type: 'interested' });
  }

  notInterested(): boolean {
    if (!this.#amInterested) return this.writable;
    this.#amInterested = false;
    return this.#send({ type: 'not-interested' });
  }

  have(index: number): boolean {
    return this.#send({ type: 'have', index });
  }

  bitfield(bitfield: Uint8Array): boolean {
    return this.#send({ type: 'bitfield', bitfield });
  }

  /** BEP 6: we have every piece (only when the fast extension is in force). */
  haveAll(): boolean {
    this.#requireFast('have-all');
    return this.#send({ type: 'have-all' });
  }

  /** BEP 6: we have no piece (only when the fast extension is in force). */
  haveNone(): boolean {
    this.#requireFast('have-none');
    return this.#send({ type: 'have-none' });
  }

  suggest(index: number): boolean {
    this.#requireFast('suggest');
    return this.#send({ type: 'suggest', index });
  }

  /** BEP 6: the peer may request blocks of this piece even while choked. */
  allowedFast(index: number): boolean {
    this.#requireFast('allowed-fast');
    this.#allowedFastSent.add(index);
    return this.#send({ type: 'allowed-fast', index });
  }

  /** BEP 6: refuses a request of the peer. */
  reject(block: BlockRequest): boolean {
    this.#requireFast('reject');
    this.#peerRequests.delete(keyOf(block.index, block.begin, block.length));
    return this.#send({
      type: 'reject',
      index: block.index,
      begin: block.begin,
      length: block.length,
    });
  }

  /** BEP 5: our DHT port. */
  port(port: number): boolean {
    return this.#send({ type: 'port', port });
  }

  keepAlive(): boolean {
    return this.#send({ type: 'keep-alive' });
  }

  /** Any message, as is (state is not tracked: prefer the named methods). */
  send(message: Message): boolean {
    return this.#send(message);
  }

  /**
   * A BEP 10 message for extension `name`, under the id the peer assigned to it.
   * @throws WireConnectionError `not-ready` when the peer has not announced `name`.
   */
  sendExtended(name: string, payload: Uint8Array): boolean {
    const id = this.#remoteExtensions[name];
    if (id === undefined || id === 0) {
      throw new WireConnectionError(
        'not-ready',
        `the peer has not announced the extension ${name}`,
      );
    }
    return this.#writeMessage(encodeExtended(id, payload));
  }

  /**
   * Sends a block. The 13-byte header and the block go out as two writes, the block not copied.
   * @throws WireConnectionError `write-buffer-full` when the outgoing buffer is past `maxWriteBuffer`
   *   (the caller ignored `false` and `drained()`).
   */
  sendPiece(index: number, begin: number, block: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#stream.writableLength + block.length > this.#maxWriteBuffer) {
      throw new WireConnectionError(
        'write-buffer-full',
        `outgoing buffer past ${this.#maxWriteBuffer} bytes: await drained() first`,
      );
    }
    this.#peerRequests.delete(keyOf(index, begin, block.length));
    this.#payloadSent += block.length;
    this.#payloadUploadRate.add(block.length, Date.now());
    this.#write(encodePieceHeader(index, begin, block.length));
    this.#messagesSent++;
    return this.#write(block);
  }

  /** Resolves once the outgoing buffer is below the high-water mark. */
  drained(options: WaitOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.writable) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        this.#stream.off('drain', onDrain);
        this.#stream.off('close', onClose);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(this.#closedError());
      };
      const onAbort = (): void => {
        cleanup();
        reject(
          new WireConnectionError('aborted', 'waiting for the write buffer was aborted', {
            cause: options.signal?.reason,
          }),
        );
      };
      this.#stream.on('drain', onDrain);
      this.#stream.on('close', onClose);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // --- our requests --------------------------------------------------------------------------

  /**
   * Requests a block; resolves with its bytes (a view of the received data, owned by the caller).
   * Rejects with a `WireConnectionError`: `choked` (the peer chokes us, or choked us without BEP 6
   * while the request was out), `request-rejected` (BEP 6), `request-timeout`, `request-cancelled`,
   * `aborted` (its signal; a `cancel` is sent) or `connection-closed`. Requesting a block already
   * out returns the same promise.
   */
  request(block: BlockRequest, options: RequestOptions = {}): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(this.#closedError(block));
    const { index, begin, length } = block;
    const key = keyOf(index, begin, length);
    const existing = this.#pending.get(key);
    if (existing && existing.length === length) return existing.promise;
    if (this.#peerChoking && !(this.fastExtension && this.#peerAllowedFast.has(index))) {
      return Promise.reject(
        new WireConnectionError('choked', 'the peer is choking us', { request: block }),
      );
    }
    if (options.signal?.aborted) {
      return Promise.reject(
        new WireConnectionError('aborted', 'the request was aborted', {
          request: block,
          cause: options.signal.reason,
        }),
      );
    }
    let resolve!: (block: Uint8Array) => void;
    let reject!: (error: WireError) => void;
    const promise = new Promise<Uint8Array>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Pending = {
      index,
      begin,
      length,
      promise,
      resolve,
      reject,
      deadline: Date.now() + (options.timeout ?? this.#requestTimeout),
      signal: options.signal,
      onAbort: undefined,
    };
    if (options.signal) {
      const signal = options.signal;
      entry.onAbort = () => {
        if (this.#pending.get(key) !== entry) return;
        this.#settle(
          key,
          entry,
          new WireConnectionError('aborted', 'the request was aborted', {
            request: block,
            cause: signal.reason,
          }),
        );
        this.#send({ type: 'cancel', index, begin, length });
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    this.#pending.set(key, entry);
    this.#send({ type: 'request', index, begin, length });
    return promise;
  }

  /** Cancels a request of ours: sends `cancel` and rejects its promise with `request-cancelled`. */
  cancel(block: BlockRequest): boolean {
    const key = keyOf(block.index, block.begin, block.length);
    const entry = this.#pending.get(key);
    if (!entry) return false;
    this.#settle(
      key,
      entry,
      new WireConnectionError('request-cancelled', 'the request was cancelled', { request: block }),
    );
    this.#send({ type: 'cancel', index: block.index, begin: block.begin, length: block.length });
    return true;
  }

  // --- teardown ------------------------------------------------------------------------------

  /**
   * Closes gracefully: flushes what was written, ends the stream, settles every pending request
   * (`connection-closed`) and ends `messages()`. Resolves when the stream has closed.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#shutdown(undefined);
      this.#stream.end();
      const timer = setTimeout(() => this.#stream.destroy(), 5000);
      timer.unref?.();
      await this.#streamClosed;
      clearTimeout(timer);
      return;
    }
    await this.#streamClosed;
  }

  /** Closes at once, dropping unsent data; `error` becomes `closeReason` and is given to `close` listeners. */
  destroy(error?: WireError): void {
    if (this.#closed) return;
    this.#shutdown(
      error ?? new WireConnectionError('connection-closed', 'the connection was destroyed'),
    );
    this.#stream.destroy();
  }

  // --- internals -----------------------------------------------------------------------------

  #shutdown(reason: WireError | undefined): void {
    this.#closed = true;
    this.#closeReason = reason;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#signal?.removeEventListener('abort', this.#onSignalAbort);
    this.#stream.off('data', this.#onData);
    // Let what is still in flight drain (unread), so the stream can see its end and close.
    this.#pausedForQueue = false;
    this.#stream.resume();
    const closedError = this.#closedError();
    for (const [key, entry] of this.#pending) {
      this.#settle(key, entry, this.#closedError(blockOf(entry)));
    }
    this.#peerRequests.clear();
    for (const waiter of this.#handshakeWaiters.splice(0)) waiter.reject(closedError);
    for (const waiter of this.#extendedWaiters.splice(0)) waiter.reject(closedError);
    const wake = this.#queueWaiter;
    this.#queueWaiter = undefined;
    wake?.();
    for (const listener of this.#listeners.close) listener(reason);
  }

  #closedError(request?: BlockRequest): WireError {
    const reason = this.#closeReason;
    if (reason && !request && reason.code !== 'connection-closed') return reason;
    return new WireConnectionError(
      'connection-closed',
      reason ? `the connection closed: ${reason.message}` : 'the connection was closed',
      {
        request,
        cause: reason,
      },
    );
  }

  #checkOpen(): void {
    if (this.#closed) throw this.#closedError();
  }

  #wait<T>(waiters: Waiter<T>[], signal: AbortSignal | undefined): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted)
      return Promise.reject(
        new WireConnectionError('aborted', 'waiting was aborted', { cause: signal.reason }),
      );
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        reject(
          new WireConnectionError('aborted', 'waiting was aborted', { cause: signal?.reason }),
        );
      };
      const waiter: Waiter<T> = {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #settle(key: string, entry: Pending, error: WireError | undefined, block?: Uint8Array): void {
    this.#pending.delete(key);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    if (error) entry.reject(error);
    else entry.resolve(block!);
  }

  #requireFast(what: string): void {
    if (!this.fastExtension)
      throw new WireConnectionError(
        'not-ready',
        `${what} needs the fast extension (BEP 6) on both sides`,
      );
  }

  #send(message: Message): boolean {
    if (this.#closed) return false;
    return this.#writeMessage(encodeMessage(message));
  }

  #writeMessage(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    this.#messagesSent++;
    return this.#write(bytes);
  }

  #write(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    const now = Date.now();
    this.#bytesSent += bytes.length;
    this.#uploadRate.add(bytes.length, now);
    this.#lastSent = now;
    if (!this.#corked) {
      this.#corked = true;
      this.#stream.cork();
      process.nextTick(this.#uncork);
    }
    this.#stream.write(bytes);
    return this.#stream.writableLength < this.#highWaterMark;
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#stream.uncork();
  };

  #sendExtendedHandshake(): void {
    if (this.#extendedHandshakeSent || !this.#handshakeSent || !this.extensionProtocol) return;
    this.#extendedHandshakeSent = true;
    this.#writeMessage(encodeExtended(0, encodeExtendedHandshake(this.#extendedInit)));
  }

  #checkInfoHash(remote: HandshakeMessage): boolean {
    const infoHash = this.#infoHash;
    if (!infoHash) return true;
    for (let i = 0; i < 20; i++) {
      if (infoHash[i] !== remote.infoHash[i]) {
        this.destroy(
          new WireProtocolError('info-hash-mismatch', 'the peer handshook for another torrent'),
        );
        return false;
      }
    }
    return true;
  }

  readonly #onData = (chunk: Uint8Array): void => {
    if (this.#closed) return;
    const now = Date.now();
    this.#lastReceived = now;
    this.#bytesReceived += chunk.length;
    this.#downloadRate.add(chunk.length, now);
    try {
      // A plain Uint8Array view (not a Buffer): blocks handed out are plain views, and cheaper to slice.
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      for (let item = this.#decoder.next(); item !== undefined; item = this.#decoder.next()) {
        this.#handle(item);
        if (this.#closed) return;
      }
    } catch (error) {
      this.destroy(
        WireError.isInstance(error)
          ? error
          : new WireConnectionError('connection-closed', 'a message handler threw', {
              cause: error,
            }),
      );
    }
  };

  #handle(item: WireItem): void {
    if (item.type === 'handshake') {
      this.#remoteHandshake = item;
      if (!this.#checkInfoHash(item)) return;
      for (const waiter of this.#handshakeWaiters.splice(0)) waiter.resolve(item);
      if (this.#handshakeSent) this.#sendExtendedHandshake();
      if (!item.extensions.extended || !this.#extensions.extended) {
        for (const waiter of this.#extendedWaiters.splice(0)) waiter.resolve(undefined);
      }
      return;
    }
    this.#messagesReceived++;
    switch (item.type) {
      case 'keep-alive':
        break;
      case 'choke':
        this.#peerChoking = true;
        // Without BEP 6 a choke discards every outstanding request; with it the peer rejects them.
        if (!this.fastExtension) {
          for (const [key, entry] of this.#pending) {
            this.#settle(
              key,
              entry,
              new WireConnectionError('choked', 'the peer choked us', { request: blockOf(entry) }),
            );
          }
        }
        break;
      case 'unchoke':
        this.#peerChoking = false;
        break;
      case 'interested':
        this.#peerInterested = true;
        break;
      case 'not-interested':
        this.#peerInterested = false;
        break;
      case 'have':
      case 'port':
        break;
      case 'bitfield':
        // BEP 3 wants it once, first; some clients send another later, which only adds pieces:
        // it is passed on rather than treated as a fault.
        break;
      case 'have-all':
      case 'have-none':
        this.#needFast(item.type);
        break;
      case 'suggest':
        this.#needFast(item.type);
        break;
      case 'allowed-fast':
        this.#needFast(item.type);
        if (this.#peerAllowedFast.size < 1024) this.#peerAllowedFast.add(item.index);
        break;
      case 'request': {
        const key = keyOf(item.index, item.begin, item.length);
        const servable =
          !this.#amChoking || (this.fastExtension && this.#allowedFastSent.has(item.index));
        if (!servable || this.#peerRequests.size >= this.#maxPeerRequests) {
          // BEP 6: refuse explicitly; without it a choked peer's requests are just dropped.
          if (this.fastExtension)
            this.#send({
              type: 'reject',
              index: item.index,
              begin: item.begin,
              length: item.length,
            });
          return;
        }
        this.#peerRequests.add(key);
        break;
      }
      case 'cancel':
        this.#peerRequests.delete(keyOf(item.index, item.begin, item.length));
        break;
      case 'piece': {
        const length = item.block.length;
        this.#payloadReceived += length;
        this.#payloadDownloadRate.add(length, this.#lastReceived);
        const key = keyOf(item.index, item.begin, length);
        const entry = this.#pending.get(key);
        if (entry) this.#settle(key, entry, undefined, item.block);
        break;
      }
      case 'reject': {
        this.#needFast(item.type);
        const key = keyOf(item.index, item.begin, item.length);
        const entry = this.#pending.get(key);
        if (entry)
          this.#settle(
            key,
            entry,
            new WireConnectionError('request-rejected', 'the peer rejected the request', {
              request: blockOf(entry),
            }),
          );
        break;
      }
      case 'extended-handshake': {
        this.#needExtended();
        const handshake = item.handshake;
        this.#remoteExtended = handshake;
        for (const [name, id] of Object.entries(handshake.extensions)) {
          if (id === 0) delete this.#remoteExtensions[name];
          else this.#remoteExtensions[name] = id;
        }
        for (const waiter of this.#extendedWaiters.splice(0)) waiter.resolve(handshake);
        break;
      }
      case 'extended':
        this.#needExtended();
        break;
      case 'unknown':
        break;
    }
    this.#deliver(item);
  }

  #deliver(message: Message): void {
    for (const listener of this.#listeners.message) listener(message);
    if (!this.#iterating && this.#listeners.message.size > 0) return;
    this.#queue.push(message);
    const waiter = this.#queueWaiter;
    if (waiter) {
      this.#queueWaiter = undefined;
      waiter();
    }
    if (this.#queue.length >= this.#queueLimit && !this.#pausedForQueue) {
      this.#pausedForQueue = true;
      this.#stream.pause();
    }
  }

  #needFast(type: string): void {
    if (!this.fastExtension) {
      throw new WireProtocolError(
        'extension-not-negotiated',
        `${type} without the fast extension (BEP 6) on both sides`,
      );
    }
  }

  #needExtended(): void {
    if (!this.extensionProtocol) {
      throw new WireProtocolError(
        'extension-not-negotiated',
        'an extended message without BEP 10 on both sides',
        { messageId: 20 },
      );
    }
  }

  readonly #tick = (): void => {
    if (this.#closed) return;
    const now = Date.now();
    if (!this.#remoteHandshake && now >= this.#handshakeDeadline) {
      this.destroy(
        new WireConnectionError(
          'handshake-timeout',
          'the peer did not complete its handshake in time',
        ),
      );
      return;
    }
    if (now - this.#lastReceived >= this.#idleTimeout) {
      this.destroy(
        new WireConnectionError(
          'idle-timeout',
          `nothing received for ${Math.round((now - this.#lastReceived) / 1000)} s`,
        ),
      );
      return;
    }
    if (this.#handshakeSent && now - this.#lastSent >= this.#keepAliveInterval) this.keepAlive();
    for (const [key, entry] of this.#pending) {
      if (entry.deadline > now) continue;
      this.#settle(
        key,
        entry,
        new WireConnectionError('request-timeout', 'the peer did not answer the request in time', {
          request: blockOf(entry),
        }),
      );
      this.#send({ type: 'cancel', index: entry.index, begin: entry.begin, length: entry.length });
    }
  };

  readonly #onStreamError = (error: Error): void => {
    this.destroy(
      new WireConnectionError('connection-failed', `the connection failed: ${error.message}`, {
        cause: error,
      }),
    );
  };

  readonly #onStreamEnd = (): void => {
    // The peer finished sending: a BitTorrent connection is not half-open.
    if (!this.#closed)
      this.#shutdown(
        new WireConnectionError('connection-closed', 'the peer closed the connection'),
      );
    this.#stream.end();
  };

  readonly #onStreamClose = (): void => {
    if (!this.#closed)
      this.#shutdown(new WireConnectionError('connection-closed', 'the connection closed'));
  };
}

function allocateUninitialized(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

function keyOf(index: number, begin: number, length: number): string {
  return `${index}:${begin}:${length}`;
}

function blockOf(entry: Pending): BlockRequest {
  return { index: entry.index, begin: entry.begin, length: entry.length };
}

function parseKey(key: string): BlockRequest {
  const [index, begin, length] = key.split(':').map(Number);
  return { index: index!, begin: begin!, length: length! };
}
