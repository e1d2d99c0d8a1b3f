/**
 * The one peer shell: a BitTorrent connection over any `ByteStream` (TCP, uTP, an MSE stream, a
 * pair in memory). It is a thin pipe. It does the BEP 3 handshake, checks what was negotiated
 * (BEP 6 fast, BEP 10 extensions, BEP 5 DHT) and decodes every read to its end. Each message
 * goes to one handler object. Sends are encoded straight onto the stream, and a piece block is
 * written after its 13-byte header without a copy. The engine that drives the wire owns the
 * peer's state (choking, interest, requests, rates); the wire keeps only what the protocol
 * needs: the handshakes, the peer's extension ids, and when bytes last moved.
 *
 * Guards: a BEP 6 message from a peer that did not negotiate BEP 6, or a BEP 10 message without
 * BEP 10, closes the connection with a `WireProtocolError` (`extension-not-negotiated`), as
 * does any fault the decoder finds (frame too long, block too long, bad bitfield or index).
 *
 * No timers: the owner calls `tick(now)` now and then (every second or so). The tick drops a
 * peer whose handshake or silence ran too long, and sends keep-alives when we have been quiet.
 * Waits (`handshake`, `receiveHandshake`) take an `AbortSignal`.
 */
import type { PeerAddress } from '@bt/primitives';
import type { ByteStream } from './byte-stream.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, WireDecoder } from './decoder.js';
import { encodeExtended, encodeMessage, encodePieceHeader, encodeRequests } from './encode.js';
import { WireConnectionError, WireError, WireProtocolError } from './errors.js';
import { type ExtendedHandshakeInit, encodeExtendedHandshake } from './extended-handshake.js';
import type { ExtensionRegistry } from './extension-registry.js';
import { encodeHandshake } from './handshake.js';
import type { BlockRequest } from './block-request.js';
import {
  DEFAULT_BLOCK_LENGTH,
  type HandshakeExtensions,
  type HandshakeMessage,
  type Message,
  type WireItem,
} from './messages.js';

/**
 * The defaults of every peer connection, stated once. The timeouts are the wire's own; the
 * request and allowed-fast caps are enforced by the engine, which keeps those queues.
 */
export const WIRE_DEFAULTS = Object.freeze({
  /** Both handshakes must be done within this (ms); libtorrent's `handshake_timeout` is 10 s too. */
  handshakeTimeout: 10_000,
  /**
   * A keep-alive goes out after this long without sending (ms). BEP 3 says two minutes, but
   * libtorrent drops a peer after 120 s of silence (`peer_timeout`), so we speak well before.
   */
  keepAliveInterval: 90_000,
  /** A peer that sent nothing (not even a keep-alive) for this long is dropped (ms). */
  idleTimeout: 180_000,
  /** Longest frame accepted: a bitfield of two million pieces, or a 16 KiB block. */
  maxMessageLength: DEFAULT_MAX_MESSAGE_LENGTH,
  /** Longest block a peer may request, cancel or reject. */
  maxRequestLength: DEFAULT_BLOCK_LENGTH,
  /** Requests of one peer queued at once (our BEP 10 `reqq`); libtorrent's default too. */
  maxPeerRequests: 2000,
  /** Allowed-fast pieces (BEP 6) kept from one peer. */
  maxAllowedFast: 64,
  /** The reserved bits we announce: BEP 6 and BEP 10 on, BEP 5 DHT off until a DHT runs. */
  reserved: Object.freeze<HandshakeExtensions>({ fast: true, extended: true, dht: false }),
});

export interface PeerWireOptions {
  /** Our 20-byte peer id (may instead be given to `handshake`, e.g. once an incoming peer is routed). */
  peerId?: Uint8Array;
  /** The torrent's info-hash, when known before the peer's handshake (outgoing connections). */
  infoHash?: Uint8Array;
  /** The torrent's piece count, when known: bitfields and piece indices are checked against it. */
  pieceCount?: number;
  /** The connection was accepted, not dialled. Default `false`. */
  incoming?: boolean;
  /** Reserved bits we announce. Default `WIRE_DEFAULTS.reserved`. */
  reserved?: Partial<HandshakeExtensions>;
  /** The extensions we speak over BEP 10; builds `m` and names incoming extended messages. */
  extensions?: ExtensionRegistry;
  /** Default `WIRE_DEFAULTS.handshakeTimeout` (ms, counted from the first `tick`). */
  handshakeTimeout?: number;
  /** Default `WIRE_DEFAULTS.keepAliveInterval` (ms). */
  keepAliveInterval?: number;
  /** Default `WIRE_DEFAULTS.idleTimeout` (ms). */
  idleTimeout?: number;
  /** Default `WIRE_DEFAULTS.maxMessageLength` (bytes after the length prefix). */
  maxMessageLength?: number;
  /** Default `WIRE_DEFAULTS.maxRequestLength` (bytes). */
  maxRequestLength?: number;
  /** Allocates the decoder's gathering buffers (a Node shell passes uninitialized memory). */
  allocate?: (length: number) => Uint8Array;
}

export interface PeerWireHandshakeOptions {
  /** The torrent to speak for (needed unless given to the constructor, or learned from the peer). */
  infoHash?: Uint8Array;
  /** Our peer id, unless given to the constructor. */
  peerId?: Uint8Array;
  /** The torrent's piece count, if not given to the constructor. */
  pieceCount?: number;
  /** Reserved bits for this connection, over the constructor's (e.g. no DHT for a BEP 27 torrent). */
  reserved?: Partial<HandshakeExtensions>;
  signal?: AbortSignal;
}

/** What both sides announced in their handshakes. */
export interface PeerCapabilities {
  /** BEP 6 fast extension. */
  readonly fast: boolean;
  /** BEP 10 extension protocol. */
  readonly extended: boolean;
  /** BEP 5 DHT (the peer may send `port`). */
  readonly dht: boolean;
}

/** Where a started wire delivers; one object, set once by `start`. */
export interface PeerWireHandlers {
  /**
   * Every message after the handshake, in order. Views in it (a block, a bitfield, a payload) are
   * lent for the call only: the read buffer is reused afterwards. Copy what must be kept.
   */
  onMessage(message: Message): void;
  /** The connection ended; `error` says why, `undefined` when the peer closed it cleanly or we did without a reason. */
  onClose(error?: Error): void;
  /** Outgoing bytes fell back below the stream's high-water mark. */
  onDrain?(): void;
}

type Phase = 'handshaking' | 'ready' | 'started' | 'closed';

interface Waiter {
  resolve(handshake: HandshakeMessage): void;
  reject(error: Error): void;
}

const NO_CAPABILITIES: PeerCapabilities = Object.freeze({
  fast: false,
  extended: false,
  dht: false,
});
const KEEP_ALIVE_BYTES = new Uint8Array(4);

export class PeerWire {
  readonly address: PeerAddress;
  readonly incoming: boolean;
  readonly #stream: ByteStream;
  readonly #decoder: WireDecoder;
  #reserved: HandshakeExtensions;
  readonly #registry: ExtensionRegistry | undefined;
  #extendedHandshakeSent = false;
  readonly #handshakeTimeout: number;
  readonly #keepAliveInterval: number;
  readonly #idleTimeout: number;

  #ourPeerId: Uint8Array | undefined;
  #infoHash: Uint8Array | undefined;
  #phase: Phase = 'handshaking';
  #handshakeSent = false;
  #remote: HandshakeMessage | undefined;
  #capabilities: PeerCapabilities = NO_CAPABILITIES;
  #remoteExtensions: Record<string, number> = {};
  #waiters: Waiter[] = [];
  #handlers: PeerWireHandlers | undefined;
  #closeReason: Error | undefined;

  // Set on traffic, turned into times by `tick`: the hot path never reads a clock.
  #receivedSinceTick = false;
  #sentSinceTick = false;
  #firstTick: number | undefined;
  #lastReceived = 0;
  #lastSent = 0;

  constructor(stream: ByteStream, options: PeerWireOptions = {}) {
    if (options.peerId && options.peerId.length !== 20)
      throw new RangeError(`peerId must be 20 bytes, got ${options.peerId.length}`);
    if (options.infoHash && options.infoHash.length !== 20)
      throw new RangeError(`infoHash must be 20 bytes, got ${options.infoHash.length}`);
    this.#stream = stream;
    this.address = stream.remoteAddress;
    this.incoming = options.incoming ?? false;
    this.#ourPeerId = options.peerId;
    this.#infoHash = options.infoHash;
    this.#reserved = { ...WIRE_DEFAULTS.reserved, ...options.reserved };
    this.#registry = options.extensions;
    this.#handshakeTimeout = options.handshakeTimeout ?? WIRE_DEFAULTS.handshakeTimeout;
    this.#keepAliveInterval = options.keepAliveInterval ?? WIRE_DEFAULTS.keepAliveInterval;
    this.#idleTimeout = options.idleTimeout ?? WIRE_DEFAULTS.idleTimeout;
    this.#decoder = new WireDecoder({
      handshake: true,
      pieceCount: options.pieceCount,
      maxMessageLength: options.maxMessageLength ?? WIRE_DEFAULTS.maxMessageLength,
      maxRequestLength: options.maxRequestLength ?? WIRE_DEFAULTS.maxRequestLength,
      allocate: options.allocate,
    });
    stream.open({
      onData: (chunk) => this.#onData(chunk),
      onDrain: () => this.#handlers?.onDrain?.(),
      onClose: (error) => this.#onStreamClose(error),
    });
  }

  // --- state ---------------------------------------------------------------------------------

  /** The peer's 20-byte id (a copy), once its handshake arrived; empty before. */
  get peerId(): Uint8Array {
    return this.#remote?.peerId ?? new Uint8Array(0);
  }
  /** The peer's handshake, once it arrived. */
  get remoteHandshake(): HandshakeMessage | undefined {
    return this.#remote;
  }
  /** What both sides announced; all false until both handshakes are known. */
  get capabilities(): PeerCapabilities {
    return this.#capabilities;
  }
  /** Extension names the peer receives, with the ids it assigned (from its BEP 10 handshakes). */
  get remoteExtensions(): Readonly<Record<string, number>> {
    return this.#remoteExtensions;
  }
  /** True when the stream beneath is encrypted (MSE/PE with RC4). */
  get encrypted(): boolean {
    return this.#stream.encrypted ?? false;
  }
  /** Bytes queued for sending, for back-pressure (compare with your limit, wait for `onDrain`). */
  get bufferedBytes(): number {
    return this.#stream.bufferedBytes;
  }
  get closed(): boolean {
    return this.#phase === 'closed';
  }
  /** Why the connection closed, when it closed with an error. */
  get closeReason(): Error | undefined {
    return this.#closeReason;
  }

  // --- handshakes ----------------------------------------------------------------------------

  /**
   * Waits for the peer's handshake without sending ours: an incoming connection reads the
   * info-hash first, so one port serves many torrents. Then call `handshake`.
   * @throws WireProtocolError when the peer does not speak BEP 3; WireConnectionError when the
   *   connection ends (`handshake-timeout`, `connection-closed`, ...) or `signal` aborts (`aborted`).
   */
  receiveHandshake(options: { signal?: AbortSignal } = {}): Promise<HandshakeMessage> {
    if (this.#remote) return Promise.resolve(this.#remote);
    if (this.#phase === 'closed') return Promise.reject(this.#closedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    return new Promise<HandshakeMessage>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(abortedError(signal!));
      };
      const waiter: Waiter = {
        resolve: (handshake) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(handshake);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Sends our handshake (once) and waits for the peer's, which must name the same torrent.
   * Resolves when both are known: `capabilities` are then set; call `start` to get messages.
   * @throws WireProtocolError `info-hash-mismatch` (the connection is closed), or what
   *   `receiveHandshake` throws.
   */
  async handshake(options: PeerWireHandshakeOptions = {}): Promise<HandshakeMessage> {
    if (this.#phase === 'closed') throw this.#closedError();
    const peerId = options.peerId ?? this.#ourPeerId;
    if (!peerId || peerId.length !== 20) throw new RangeError('handshake needs our 20-byte peerId');
    const infoHash = options.infoHash ?? this.#infoHash ?? this.#remote?.infoHash;
    if (!infoHash || infoHash.length !== 20)
      throw new RangeError('handshake needs the 20-byte infoHash of the torrent');
    this.#ourPeerId = peerId;
    this.#infoHash = infoHash;
    if (options.pieceCount !== undefined) this.#decoder.setPieceCount(options.pieceCount);
    if (this.#remote && !this.#checkInfoHash(this.#remote)) throw this.#closedError();
    if (!this.#handshakeSent) {
      this.#handshakeSent = true;
      if (options.reserved) this.#reserved = { ...this.#reserved, ...options.reserved };
      this.#write(encodeHandshake({ infoHash, peerId, extensions: this.#reserved }));
    }
    const remote = await this.receiveHandshake(options);
    this.#settleHandshake();
    return remote;
  }

  // --- messages ------------------------------------------------------------------------------

  /**
   * Starts delivering messages to `handlers`, those that arrived with the handshake first.
   * @throws WireConnectionError `not-ready` before both handshakes, or when already started.
   */
  start(handlers: PeerWireHandlers): void {
    if (this.#phase === 'closed') {
      // The engine learns of it the way it learns of any close.
      handlers.onClose(this.#closeReason);
      return;
    }
    if (this.#phase !== 'ready')
      throw new WireConnectionError(
        'not-ready',
        this.#phase === 'started' ? 'the wire is already started' : 'the handshake is not done',
      );
    this.#phase = 'started';
    this.#handlers = handlers;
    this.#drain();
    if (this.#phase === 'started') this.#stream.resume();
  }

  /** Stops reading from the peer (its sends are slowed by flow control) until `resume`. */
  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    if (this.#phase !== 'closed') this.#stream.resume();
  }

  /**
   * Sends one message. An extension handshake gets our registry's `m` added to what it names.
   * @throws WireConnectionError `not-ready` for a BEP 6 or BEP 10 message the peer did not negotiate.
   */
  send(message: Message): void {
    if (this.#phase === 'closed') return;
    switch (message.type) {
      case 'suggest':
      case 'have-all':
      case 'have-none':
      case 'reject':
      case 'allowed-fast':
        if (!this.#capabilities.fast)
          throw notNegotiated(message.type, 'the fast extension (BEP 6)');
        break;
      case 'extended-handshake':
        this.sendExtendedHandshake(message.handshake);
        return;
      case 'extended':
        if (!this.#capabilities.extended) throw notNegotiated('extended', 'BEP 10');
        break;
      default:
        break;
    }
    this.#write(encodeMessage(message));
  }

  /**
   * Our BEP 10 extension handshake: `m` is the registry's extensions, then those `init` names
   * (0 turns one off; in the first handshake a name given 0 is left out of `m`).
   * @throws WireConnectionError `not-ready` when BEP 10 is not in force.
   */
  sendExtendedHandshake(init: ExtendedHandshakeInit = {}): void {
    if (this.#phase === 'closed') return;
    if (!this.#capabilities.extended) throw notNegotiated('extended-handshake', 'BEP 10');
    const extensions: Record<string, number> = { ...this.#registry?.dictionary };
    for (const [name, id] of Object.entries(init.extensions ?? {})) {
      // BEP 10: 0 turns an extension off; in our first handshake there is nothing to turn off,
      // so the name is left out (e.g. `ut_pex` of a private torrent, BEP 27)
      if (id === 0 && !this.#extendedHandshakeSent) delete extensions[name];
      else extensions[name] = id;
    }
    this.#extendedHandshakeSent = true;
    this.#write(
      encodeExtended(
        0,
        encodeExtendedHandshake({
          extensions,
          port: init.port,
          client: init.client,
          yourIp: init.yourIp,
          ipv4: init.ipv4,
          ipv6: init.ipv6,
          requestQueueLength: init.requestQueueLength,
          metadataSize: init.metadataSize,
          extra: init.extra,
        }),
      ),
    );
  }

  /**
   * A BEP 10 message of extension `name`, under the id the peer assigned to it.
   * @throws WireConnectionError `not-ready` when the peer has not announced `name`.
   */
  sendExtended(name: string, payload: Uint8Array): void {
    if (this.#phase === 'closed') return;
    const id = this.#remoteExtensions[name];
    if (id === undefined)
      throw new WireConnectionError(
        'not-ready',
        `the peer has not announced the extension ${name}`,
      );
    this.#write(encodeExtended(id, payload));
  }

  /** Many requests in one write. */
  sendRequests(requests: readonly BlockRequest[]): void {
    if (this.#phase === 'closed' || requests.length === 0) return;
    this.#write(encodeRequests(requests));
  }

  /**
   * A piece message: its 13-byte header, then `block` itself (not copied; do not change it
   * after). `onSent` follows the stream's rule: at most once, when the stream no longer holds it.
   */
  sendPiece(index: number, begin: number, block: Uint8Array, onSent?: () => void): void {
    if (this.#phase === 'closed') return;
    this.#write(encodePieceHeader(index, begin, block.length));
    this.#stream.write(block, onSent);
  }

  /**
   * Timekeeping, driven by the owner (every second or so; `now` in ms, any monotonic origin):
   * drops a peer whose handshake took longer than `handshakeTimeout` (from the first tick) or
   * that was silent for `idleTimeout`, and sends a keep-alive after `keepAliveInterval` of our
   * own silence.
   */
  tick(now: number): void {
    if (this.#phase === 'closed') return;
    if (this.#firstTick === undefined) {
      this.#firstTick = now;
      this.#lastReceived = now;
      this.#lastSent = now;
    }
    if (this.#receivedSinceTick) {
      this.#receivedSinceTick = false;
      this.#lastReceived = now;
    }
    if (this.#sentSinceTick) {
      this.#sentSinceTick = false;
      this.#lastSent = now;
    }
    if (this.#phase === 'handshaking' && now - this.#firstTick >= this.#handshakeTimeout) {
      this.close(
        new WireConnectionError(
          'handshake-timeout',
          `no handshake within ${this.#handshakeTimeout / 1000} s`,
        ),
      );
      return;
    }
    if (now - this.#lastReceived >= this.#idleTimeout) {
      this.close(
        new WireConnectionError(
          'idle-timeout',
          `nothing received for ${Math.round((now - this.#lastReceived) / 1000)} s`,
        ),
      );
      return;
    }
    if (this.#handshakeSent && now - this.#lastSent >= this.#keepAliveInterval) {
      this.#stream.write(KEEP_ALIVE_BYTES);
      this.#lastSent = now;
    }
  }

  /** Closes at once (unsent bytes are dropped); `error` reaches `onClose` and `closeReason`. */
  close(error?: Error): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#closeReason = error;
    this.#stream.close(error);
    const waiters = this.#waiters.splice(0);
    if (waiters.length > 0) {
      const reason = this.#closedError();
      for (const waiter of waiters) waiter.reject(reason);
    }
    const handlers = this.#handlers;
    this.#handlers = undefined;
    handlers?.onClose(error);
  }

  // --- internals -----------------------------------------------------------------------------

  #write(bytes: Uint8Array): void {
    this.#sentSinceTick = true;
    this.#stream.write(bytes);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#phase === 'closed') return;
    this.#receivedSinceTick = true;
    try {
      this.#decoder.push(chunk);
      if (this.#phase === 'started') {
        this.#drain();
        return;
      }
      if (this.#remote === undefined) {
        const item = this.#decoder.next();
        if (item !== undefined) this.#onHandshake(item);
      }
      // Until `start`, the rest waits in the decoder: copy it out of the (shared) read buffer.
      if (!this.closed) this.#decoder.detach();
    } catch (error) {
      this.#fail(error);
    }
  }

  #onHandshake(item: WireItem): void {
    if (item.type !== 'handshake')
      throw new WireProtocolError('invalid-handshake', 'expected a handshake');
    // Keep our own copy: the fields are views of a read buffer.
    const remote: HandshakeMessage = {
      type: 'handshake',
      reserved: item.reserved.slice(),
      infoHash: item.infoHash.slice(),
      peerId: item.peerId.slice(),
      extensions: item.extensions,
    };
    this.#remote = remote;
    if (this.#handshakeSent && !this.#checkInfoHash(remote)) return;
    this.#stream.pause();
    this.#settleHandshake();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(remote);
  }

  /** Both handshakes known: fix what was negotiated. */
  #settleHandshake(): void {
    const remote = this.#remote;
    if (!remote || !this.#handshakeSent || this.#phase !== 'handshaking') return;
    const theirs = remote.extensions;
    this.#capabilities = Object.freeze({
      fast: this.#reserved.fast && theirs.fast,
      extended: this.#reserved.extended && theirs.extended,
      dht: this.#reserved.dht && theirs.dht,
    });
    this.#phase = 'ready';
  }

  #checkInfoHash(remote: HandshakeMessage): boolean {
    const infoHash = this.#infoHash;
    if (!infoHash) return true;
    for (let i = 0; i < 20; i++) {
      if (infoHash[i] !== remote.infoHash[i]) {
        this.close(
          new WireProtocolError('info-hash-mismatch', 'the peer handshook for another torrent'),
        );
        return false;
      }
    }
    return true;
  }

  /** Decodes to the end of what was pushed, delivering each message. */
  #drain(): void {
    const decoder = this.#decoder;
    try {
      for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
        // The hot path first: blocks need no guard.
        if (item.type === 'piece') this.#handlers!.onMessage(item);
        else this.#dispatch(item);
        if (this.#phase !== 'started') return;
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #dispatch(item: WireItem): void {
    let message: Message;
    switch (item.type) {
      case 'handshake':
        throw new WireProtocolError('invalid-handshake', 'a second handshake');
      case 'suggest':
      case 'have-all':
      case 'have-none':
      case 'reject':
      case 'allowed-fast':
        // BEP 6: these are only valid when both sides announced the fast extension.
        if (!this.#capabilities.fast)
          throw new WireProtocolError(
            'extension-not-negotiated',
            `${item.type} without the fast extension (BEP 6) on both sides`,
          );
        message = item;
        break;
      case 'extended-handshake': {
        this.#needExtended();
        // BEP 10: a later handshake updates the table; id 0 turns an extension off.
        const extensions = { ...this.#remoteExtensions };
        for (const [name, id] of Object.entries(item.handshake.extensions)) {
          if (id === 0) delete extensions[name];
          else extensions[name] = id;
        }
        this.#remoteExtensions = extensions;
        message = item;
        break;
      }
      case 'extended': {
        this.#needExtended();
        const name = this.#registry?.nameOf(item.id);
        message = name === undefined ? item : { ...item, name };
        break;
      }
      default:
        message = item;
    }
    this.#handlers!.onMessage(message);
  }

  #needExtended(): void {
    if (!this.#capabilities.extended)
      throw new WireProtocolError(
        'extension-not-negotiated',
        'an extended message without BEP 10 on both sides',
        { messageId: 20 },
      );
  }

  #fail(error: unknown): void {
    this.close(
      error instanceof Error
        ? error
        : new WireConnectionError('connection-closed', 'a message handler threw', { cause: error }),
    );
  }

  #onStreamClose(error: Error | undefined): void {
    if (this.#phase === 'closed') return;
    this.close(
      error === undefined
        ? undefined
        : WireError.isInstance(error)
          ? error
          : new WireConnectionError(
              'connection-failed',
              `the connection failed: ${error.message}`,
              {
                cause: error,
              },
            ),
    );
  }

  #closedError(): WireError {
    const reason = this.#closeReason;
    if (WireError.isInstance(reason)) return reason;
    return new WireConnectionError(
      'connection-closed',
      reason ? `the connection closed: ${reason.message}` : 'the connection closed',
      { cause: reason },
    );
  }
}

function abortedError(signal: AbortSignal): WireConnectionError {
  return new WireConnectionError('aborted', 'waiting was aborted', { cause: signal.reason });
}

function notNegotiated(type: string, what: string): WireConnectionError {
  return new WireConnectionError('not-ready', `${type} needs ${what} on both sides`);
}
