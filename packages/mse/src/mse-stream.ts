/**
 * A byte stream over another one (TCP, uTP) that first runs the MSE/PE handshake, then carries
 * the payload RC4-encrypted (or in the clear, when that was selected). It has the shape of
 * `@bt/wire`'s `ByteStream`, so the one peer shell runs over it unchanged: dialled, the peer
 * shell's first write (the BitTorrent handshake) rides in the initial payload (IA); accepted,
 * the first bytes tell an MSE handshake from a plain BitTorrent one on the same port.
 */
import type { PeerAddress } from '@bt/primitives';
import {
  MseHandshake,
  type CryptoMethod,
  type MseCrypto,
  type MseResponderOptions,
} from './handshake.js';
import { MseProtocolError } from './errors.js';
import type { Rc4 } from './rc4.js';

/** Where a byte stream delivers (the same shape as `@bt/wire`'s `ByteStreamHandlers`). */
export interface ByteStreamHandlers {
  /** The next bytes; `chunk` is lent for the call only. */
  onData(chunk: Uint8Array): void;
  onDrain(): void;
  onClose(error?: Error): void;
}

/** A connected, ordered byte stream (the same shape as `@bt/wire`'s `ByteStream`). */
export interface ByteStream {
  readonly remoteAddress: PeerAddress;
  readonly bufferedBytes: number;
  /** True once the payload is encrypted. */
  readonly encrypted?: boolean;
  open(handlers: ByteStreamHandlers): void;
  write(bytes: Uint8Array, onSent?: () => void): void;
  pause(): void;
  resume(): void;
  close(error?: Error): void;
}

export interface MseInitiateOptions {
  infoHash: Uint8Array;
  /** Methods offered. Default `['rc4']`. */
  provide?: readonly CryptoMethod[];
  crypto?: MseCrypto;
}

export interface MseAcceptOptions {
  infoHashes: MseResponderOptions['infoHashes'];
  select: MseResponderOptions['select'];
  /** A plain BitTorrent handshake is passed through. Default true. */
  plaintext?: boolean;
  crypto?: MseCrypto;
}

/** How the connection ended up: an MSE method, or a plain BitTorrent handshake (`none`). */
export type StreamMethod = CryptoMethod | 'none';

/** The plain BitTorrent handshake begins with these 20 bytes (BEP 3). */
const PROTOCOL_PREFIX = Uint8Array.from('\x13BitTorrent protocol', (c) => c.charCodeAt(0));

type State = 'detecting' | 'handshaking' | 'open' | 'closed';

export class MseStream implements ByteStream {
  readonly #inner: ByteStream;
  #handshake: MseHandshake | undefined;
  #acceptPlaintext = true;
  #state: State;
  #handlers: ByteStreamHandlers | undefined;
  #method: StreamMethod | undefined;
  #infoHash: Uint8Array | undefined;
  #encrypt: Rc4 | undefined;
  #decrypt: Rc4 | undefined;
  /** Bytes received before the outer side opened, or while detecting (our copies). */
  #early: Uint8Array[] = [];
  #earlyLength = 0;
  /** Our writes waiting for the handshake. */
  #queued: { bytes: Uint8Array; onSent?: () => void }[] = [];
  #queuedLength = 0;
  #closeError: Error | undefined;

  private constructor(inner: ByteStream, state: State) {
    this.#inner = inner;
    this.#state = state;
  }

  /** Dials: runs the initiator's side over `inner` (just connected, not opened). */
  static initiate(inner: ByteStream, options: MseInitiateOptions): MseStream {
    const stream = new MseStream(inner, 'handshaking');
    stream.#infoHash = options.infoHash;
    stream.#handshake = new MseHandshake({
      role: 'initiator',
      infoHash: options.infoHash,
      provide: options.provide ?? ['rc4'],
      crypto: options.crypto,
    });
    stream.#attach();
    stream.#flushHandshake(stream.#handshake);
    return stream;
  }

  /** Accepts: tells MSE from plain BitTorrent by the first bytes, then runs the responder's side. */
  static accept(inner: ByteStream, options: MseAcceptOptions): MseStream {
    const stream = new MseStream(inner, 'detecting');
    stream.#acceptPlaintext = options.plaintext ?? true;
    stream.#handshake = new MseHandshake({
      role: 'responder',
      infoHashes: options.infoHashes,
      select: options.select,
      crypto: options.crypto,
    });
    stream.#attach();
    return stream;
  }

  get remoteAddress(): PeerAddress {
    return this.#inner.remoteAddress;
  }
  get bufferedBytes(): number {
    return this.#inner.bufferedBytes + this.#queuedLength;
  }
  /** True once the payload runs RC4. */
  get encrypted(): boolean {
    return this.#method === 'rc4';
  }
  /** How the payload is carried, once known. */
  get method(): StreamMethod | undefined {
    return this.#method;
  }
  /** The torrent the handshake named (MSE only; a plain handshake names it in its own bytes). */
  get infoHash(): Uint8Array | undefined {
    return this.#infoHash;
  }

  open(handlers: ByteStreamHandlers): void {
    if (this.#handlers) throw new Error('the stream is already open');
    this.#handlers = handlers;
    if (this.#state === 'open') this.#deliverEarly();
    if (this.#state === 'closed') handlers.onClose(this.#closeError);
  }

  write(bytes: Uint8Array, onSent?: () => void): void {
    switch (this.#state) {
      case 'closed':
        return;
      case 'open':
        this.#send(bytes, onSent);
        return;
      case 'detecting':
      case 'handshaking':
        this.#queued.push({ bytes, onSent });
        this.#queuedLength += bytes.length;
        return;
    }
  }

  pause(): void {
    this.#inner.pause();
  }
  resume(): void {
    this.#inner.resume();
  }

  close(error?: Error): void {
    if (this.#state === 'closed') return;
    this.#inner.close(error);
    // The inner stream's onClose normally finishes; make sure even if it was already closed.
    this.#finish(error);
  }

  // --- internals -----------------------------------------------------------------------------

  #attach(): void {
    this.#inner.open({
      onData: (chunk) => this.#onData(chunk),
      onDrain: () => this.#handlers?.onDrain(),
      onClose: (error) => this.#finish(error),
    });
  }

  #onData(chunk: Uint8Array): void {
    switch (this.#state) {
      case 'closed':
        return;
      case 'open':
        if (this.#decrypt) this.#decrypt.process(chunk);
        // Behind bytes still kept (the IA of a handshake being settled), or before `open`.
        if (this.#handlers && this.#early.length === 0) this.#handlers.onData(chunk);
        else this.#keep(chunk);
        return;
      case 'detecting':
        this.#detect(chunk);
        return;
      case 'handshaking':
        this.#advance(chunk);
        return;
    }
  }

  /** Incoming: a plain handshake starts with the protocol string; anything else is MSE. */
  #detect(chunk: Uint8Array): void {
    this.#keep(chunk);
    const seen = this.#joinEarly();
    const compared = Math.min(seen.length, PROTOCOL_PREFIX.length);
    let plain = true;
    for (let k = 0; k < compared; k++) {
      if (seen[k] !== PROTOCOL_PREFIX[k]) {
        plain = false;
        break;
      }
    }
    if (plain && compared < PROTOCOL_PREFIX.length) return;
    this.#early = [];
    this.#earlyLength = 0;
    if (plain) {
      if (!this.#acceptPlaintext) {
        this.close(
          new MseProtocolError('plaintext-refused', 'a plain BitTorrent handshake, refused', {
            offset: 0,
          }),
        );
        return;
      }
      this.#handshake = undefined;
      this.#method = 'none';
      this.#keep(seen, false);
      this.#open();
      return;
    }
    this.#state = 'handshaking';
    this.#advance(seen);
  }

  #advance(chunk: Uint8Array): void {
    const handshake = this.#handshake!;
    // The initiator's first writes (the BitTorrent handshake) ride in IA if step 3 is not out.
    const queuedForIa =
      handshake.role === 'initiator' &&
      this.#queuedLength > 0 &&
      handshake.setInitialPayload(this.#joinQueued());
    let result;
    try {
      result = handshake.receive(chunk);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // Sent as IA: the writes are done with.
    if (queuedForIa && !handshake.awaitingKey) this.#dropQueued();
    // Settle before writing: a peer on the same turn (in memory) may answer inside the write.
    if (result) {
      this.#handshake = undefined;
      this.#method = result.method;
      this.#infoHash = result.infoHash;
      this.#encrypt = result.encrypt;
      this.#decrypt = result.decrypt;
      this.#state = 'open';
      if (result.payload.length > 0) this.#keep(result.payload, false);
    }
    this.#flushHandshake(handshake);
    if (result) this.#open();
  }

  /** The payload stream starts: queued writes go out, bytes kept so far are delivered. */
  #open(): void {
    this.#state = 'open';
    const queued = this.#queued;
    this.#queued = [];
    this.#queuedLength = 0;
    for (const write of queued) this.#send(write.bytes, write.onSent);
    if (this.#handlers) this.#deliverEarly();
  }

  /** Sends what the handshake has to say, in one write (its parts must stay in order). */
  #flushHandshake(handshake: MseHandshake): void {
    const output = handshake.takeOutput();
    if (output.length === 0) return;
    let length = 0;
    for (const part of output) length += part.length;
    const joined = new Uint8Array(length);
    let at = 0;
    for (const part of output) {
      joined.set(part, at);
      at += part.length;
    }
    this.#inner.write(joined);
  }

  #send(bytes: Uint8Array, onSent?: () => void): void {
    const encrypt = this.#encrypt;
    if (!encrypt) {
      this.#inner.write(bytes, onSent);
      return;
    }
    // Never in place: the writer's bytes may be a storage cache's or a reused buffer.
    this.#inner.write(encrypt.process(bytes, new Uint8Array(bytes.length)));
    onSent?.();
  }

  #deliverEarly(): void {
    const early = this.#early;
    this.#early = [];
    this.#earlyLength = 0;
    for (const chunk of early) {
      if (this.#state !== 'open') return;
      this.#handlers!.onData(chunk);
    }
    // Bytes that arrived while delivering (a re-entrant peer) went to #early: deliver them too.
    if (this.#early.length > 0) this.#deliverEarly();
  }

  #keep(chunk: Uint8Array, lent = true): void {
    this.#early.push(lent ? chunk.slice() : chunk);
    this.#earlyLength += chunk.length;
  }

  #joinEarly(): Uint8Array {
    if (this.#early.length === 1) return this.#early[0]!;
    const joined = new Uint8Array(this.#earlyLength);
    let at = 0;
    for (const chunk of this.#early) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    this.#early = [joined];
    return joined;
  }

  #joinQueued(): Uint8Array {
    const joined = new Uint8Array(this.#queuedLength);
    let at = 0;
    for (const write of this.#queued) {
      joined.set(write.bytes, at);
      at += write.bytes.length;
    }
    return joined;
  }

  #dropQueued(): void {
    const queued = this.#queued;
    this.#queued = [];
    this.#queuedLength = 0;
    for (const write of queued) write.onSent?.();
  }

  #finish(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closeError = error;
    this.#handshake = undefined;
    this.#early = [];
    this.#earlyLength = 0;
    this.#dropQueued();
    this.#handlers?.onClose(error);
  }
}
