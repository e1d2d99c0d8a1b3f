/**
 * The MSE/PE handshake as a pure state machine, either side. Bytes in (`receive`), bytes out
 * (`takeOutput`), a result once both sides agree on a method; no socket, no timer.
 *
 * ```
 * 1 A->B: Ya, PadA
 * 2 B->A: Yb, PadB
 * 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 * 4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 * 5 A->B: ENCRYPT2(payload)
 * ```
 *
 * The pads have no length field: each side finds the end of the other's pad by searching for
 * what follows it (the responder for HASH('req1', S), the initiator for ENCRYPT(VC)), and does so
 * on whatever arrives, in chunks of any size (Transmission lost the sync when PadA or PadB came
 * apart from the key, its #6879). The search stops at the spec's limit, 512 bytes of pad, so a
 * peer sending junk instead of a key, or a pad that never ends, is dropped after at most 628
 * bytes. The VC must decrypt to zeros, and the responder routes the connection to a torrent by
 * trying HASH('req2', info-hash) of each of ours.
 */
import {
  createBigIntDiffieHellman,
  isValidPublicKey,
  MSE_KEY_LENGTH,
  type DiffieHellman,
  type DiffieHellmanFactory,
} from './diffie-hellman.js';
import { MseProtocolError } from './errors.js';
import { Rc4 } from './rc4.js';
import { sha1Parts as pureSha1 } from '@bt/hash';

/** What the payload stream is carried as once the handshake is done. */
export type CryptoMethod = 'plaintext' | 'rc4';

/** Longest pad (PadA, PadB, PadC, PadD) the spec allows. */
export const MSE_MAX_PAD_LENGTH = 512;
/** Bytes a responder reads after the key before it must have found HASH('req1', S). */
export const MSE_RESPONDER_SYNC_WINDOW = MSE_MAX_PAD_LENGTH + 20;
/** Bytes an initiator reads after the key before it must have found ENCRYPT(VC). */
export const MSE_INITIATOR_SYNC_WINDOW = MSE_MAX_PAD_LENGTH + 8;

const METHOD_BITS: Record<CryptoMethod, number> = { plaintext: 0x01, rc4: 0x02 };
const VC_LENGTH = 8;
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const REQ1 = ascii('req1');
const REQ2 = ascii('req2');
const REQ3 = ascii('req3');
const KEY_A = ascii('keyA');
const KEY_B = ascii('keyB');

/** The primitives the handshake needs; the defaults are pure, `@bt/mse/node` has OpenSSL's. */
export interface MseCrypto {
  /** SHA-1 of the concatenated parts. Default: a pure implementation. */
  sha1?: (parts: readonly Uint8Array[]) => Uint8Array;
  /** Random bytes (private keys, pads). Default: `crypto.getRandomValues`. */
  randomBytes?: (length: number) => Uint8Array;
  /** Default: `createBigIntDiffieHellman`. */
  diffieHellman?: DiffieHellmanFactory;
}

interface MseHandshakeCommonOptions {
  crypto?: MseCrypto;
  /** Longest pad we send (PadA or PadB, random length up to it). Default 512. */
  maxPadLength?: number;
}

/** We dialled: we know the torrent and offer methods. */
export interface MseInitiatorOptions extends MseHandshakeCommonOptions {
  role: 'initiator';
  infoHash: Uint8Array;
  /** The methods we offer in `crypto_provide`; the responder picks one. */
  provide: readonly CryptoMethod[];
  /** The initial payload (IA), usually the BitTorrent handshake; may also be set later with `setInitialPayload`. */
  initialPayload?: Uint8Array;
}

/** We accepted: the peer's HASH('req2', info-hash) names the torrent, which we pick from ours. */
export interface MseResponderOptions extends MseHandshakeCommonOptions {
  role: 'responder';
  /** The info-hashes we serve, tried in turn against the peer's req2. */
  infoHashes: () => Iterable<Uint8Array>;
  /**
   * Picks the method for the torrent from those the peer offered; `undefined` refuses (the
   * handshake fails with `no-common-method`).
   */
  select: (offered: readonly CryptoMethod[], infoHash: Uint8Array) => CryptoMethod | undefined;
}

export type MseHandshakeOptions = MseInitiatorOptions | MseResponderOptions;

/** What the handshake agreed on. */
export interface MseResult {
  method: CryptoMethod;
  /** The torrent: ours to begin with (initiator), or found by req2 (responder). */
  infoHash: Uint8Array;
  /** Encrypts what we send from now on (`undefined` under plaintext). */
  encrypt: Rc4 | undefined;
  /** Decrypts what we receive from now on (`undefined` under plaintext). */
  decrypt: Rc4 | undefined;
  /**
   * Payload bytes that already arrived, in the clear: the initiator's initial payload (IA) for a
   * responder, then whatever followed the handshake. Owned by the caller.
   */
  payload: Uint8Array;
}

type Phase =
  'key' | 'sync' | 'req2' | 'vc' | 'pad-c' | 'initial-payload' | 'select' | 'pad-d' | 'done';

const EMPTY = new Uint8Array(0);

export class MseHandshake {
  readonly #options: MseHandshakeOptions;
  readonly #sha1: (parts: readonly Uint8Array[]) => Uint8Array;
  readonly #random: (length: number) => Uint8Array;
  readonly #dh: DiffieHellman;
  #phase: Phase = 'key';
  /** Unread bytes of the peer's stream: our copy, in `#buffer[#start, #end)`. */
  #buffer: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** Bytes of the peer's stream consumed so far. */
  #consumed = 0;
  #output: Uint8Array[] = [];
  #secret: Uint8Array | undefined;
  /** What the sync search looks for (req1 hash or encrypted VC). */
  #syncPattern: Uint8Array = EMPTY;
  #encrypt: Rc4 | undefined;
  #decrypt: Rc4 | undefined;
  #infoHash: Uint8Array | undefined;
  #initialPayload: Uint8Array | undefined;
  #offered: CryptoMethod[] = [];
  #method: CryptoMethod | undefined;
  #padLength = 0;
  #result: MseResult | undefined;

  constructor(options: MseHandshakeOptions) {
    this.#options = options;
    const crypto = options.crypto ?? {};
    this.#sha1 = crypto.sha1 ?? pureSha1;
    this.#random = crypto.randomBytes ?? webRandomBytes;
    this.#dh = (crypto.diffieHellman ?? createBigIntDiffieHellman)(this.#random(20));
    if (options.role === 'initiator') {
      if (options.infoHash.length !== 20) throw new RangeError('infoHash must be 20 bytes');
      if (options.provide.length === 0) throw new RangeError('provide at least one method');
      this.#infoHash = options.infoHash;
      this.#initialPayload = options.initialPayload;
      // Step 1: Ya, PadA. The responder speaks only after it has our key.
      this.#send(this.#dh.publicKey);
      this.#send(this.#pad());
    }
  }

  get role(): 'initiator' | 'responder' {
    return this.#options.role;
  }
  /** The result, once the handshake is done. */
  get result(): MseResult | undefined {
    return this.#result;
  }
  /** True until the peer's key arrived (an initiator can still put IA in step 3). */
  get awaitingKey(): boolean {
    return this.#phase === 'key';
  }
  /** Bytes of the peer's stream read so far. */
  get bytesReceived(): number {
    return this.#consumed + this.#end - this.#start;
  }

  /**
   * Initiator: the initial payload (IA) carried in step 3, if step 3 was not sent yet. Returns
   * false when it is too late (the caller then sends it as payload, after the handshake).
   */
  setInitialPayload(bytes: Uint8Array): boolean {
    if (this.#options.role !== 'initiator' || this.#phase !== 'key') return false;
    if (bytes.length > 0xffff) return false;
    this.#initialPayload = bytes;
    return true;
  }

  /** Bytes to send now, in order; the caller owns them and must send them before any payload. */
  takeOutput(): Uint8Array[] {
    const output = this.#output;
    this.#output = [];
    return output;
  }

  /**
   * Feeds bytes from the peer (`chunk` is copied as needed). Returns the result once the
   * handshake is done (then every later byte is payload, for the result's ciphers).
   * @throws MseProtocolError when the peer broke the handshake; the connection must be dropped.
   */
  receive(chunk: Uint8Array): MseResult | undefined {
    if (this.#phase === 'done') throw new RangeError('the handshake is done: bytes are payload');
    if (chunk.length > 0) this.#append(chunk);
    for (;;) {
      const progressed = this.#step();
      if (this.#result) return this.#result;
      if (!progressed) return undefined;
    }
  }

  // --- steps ---------------------------------------------------------------------------------

  #step(): boolean {
    switch (this.#phase) {
      case 'key':
        return this.#readKey();
      case 'sync':
        return this.#findSync();
      case 'req2':
        return this.#readReq2();
      case 'vc':
        return this.#readVc();
      case 'pad-c':
        return this.#readPadC();
      case 'initial-payload':
        return this.#readInitialPayload();
      case 'select':
        return this.#readSelect();
      case 'pad-d':
        return this.#readPadD();
      case 'done':
        return false;
    }
  }

  /** Steps 1/2: the peer's public key, 96 bytes. */
  #readKey(): boolean {
    const key = this.#take(MSE_KEY_LENGTH);
    if (!key) return false;
    if (!isValidPublicKey(key))
      this.#fail('invalid-public-key', 'the public key is not in [2, P-2]');
    const secret = this.#dh.computeSecret(key);
    this.#secret = secret;
    if (this.#options.role === 'responder') {
      // Step 2: Yb, PadB; then find HASH('req1', S) after PadA.
      this.#send(this.#dh.publicKey);
      this.#send(this.#pad());
      this.#syncPattern = this.#sha1([REQ1, secret]);
    } else {
      const infoHash = this.#infoHash!;
      this.#encrypt = new Rc4(this.#sha1([KEY_A, secret, infoHash]));
      this.#decrypt = new Rc4(this.#sha1([KEY_B, secret, infoHash]));
      // Step 3.
      const req2 = this.#sha1([REQ2, infoHash]);
      const req3 = this.#sha1([REQ3, secret]);
      for (let k = 0; k < 20; k++) req2[k]! ^= req3[k]!;
      const initialPayload = this.#initialPayload ?? EMPTY;
      const head = new Uint8Array(VC_LENGTH + 4 + 2 + 2 + initialPayload.length);
      const view = new DataView(head.buffer);
      let provide = 0;
      for (const method of this.#options.provide) provide |= METHOD_BITS[method];
      view.setUint32(VC_LENGTH, provide);
      view.setUint16(VC_LENGTH + 4, 0); // len(PadC): the pads before already hide the lengths
      view.setUint16(VC_LENGTH + 6, initialPayload.length);
      head.set(initialPayload, VC_LENGTH + 8);
      this.#send(this.#sha1([REQ1, secret]));
      this.#send(req2);
      this.#send(this.#encrypt.process(head));
      // What ENCRYPT(VC) looks like under keyB: the decryptor has then read past it.
      this.#syncPattern = this.#decrypt.process(new Uint8Array(VC_LENGTH));
    }
    this.#phase = 'sync';
    return true;
  }

  /** The end of the peer's pad: the first place its known pattern appears, within the window. */
  #findSync(): boolean {
    const pattern = this.#syncPattern;
    const window =
      this.#options.role === 'responder' ? MSE_RESPONDER_SYNC_WINDOW : MSE_INITIATOR_SYNC_WINDOW;
    const pending = this.#pending();
    const searchable = Math.min(pending.length, window);
    const at = indexOf(pending, pattern, searchable);
    if (at < 0) {
      if (pending.length >= window)
        this.#fail(
          'sync-not-found',
          this.#options.role === 'responder'
            ? `no HASH('req1', S) within ${MSE_MAX_PAD_LENGTH} bytes of pad`
            : `no ENCRYPT(VC) within ${MSE_MAX_PAD_LENGTH} bytes of pad`,
        );
      return false;
    }
    this.#skip(at + pattern.length);
    this.#phase = this.#options.role === 'responder' ? 'req2' : 'select';
    return true;
  }

  /** Responder, step 3: HASH('req2', SKEY) xor HASH('req3', S) names the torrent. */
  #readReq2(): boolean {
    const hash = this.#take(20);
    if (!hash) return false;
    const secret = this.#secret!;
    const req3 = this.#sha1([REQ3, secret]);
    for (let k = 0; k < 20; k++) hash[k]! ^= req3[k]!;
    const options = this.#options as MseResponderOptions;
    let found: Uint8Array | undefined;
    for (const infoHash of options.infoHashes()) {
      if (equal(this.#sha1([REQ2, infoHash]), hash)) {
        found = infoHash;
        break;
      }
    }
    if (!found) this.#fail('unknown-info-hash', 'req2 names none of our torrents');
    this.#infoHash = found;
    this.#decrypt = new Rc4(this.#sha1([KEY_A, secret, found]));
    this.#encrypt = new Rc4(this.#sha1([KEY_B, secret, found]));
    this.#phase = 'vc';
    return true;
  }

  /** Responder: ENCRYPT(VC, crypto_provide, len(PadC)). */
  #readVc(): boolean {
    const head = this.#take(VC_LENGTH + 6);
    if (!head) return false;
    this.#decrypt!.process(head);
    for (let k = 0; k < VC_LENGTH; k++)
      if (head[k] !== 0) this.#fail('invalid-vc', 'the verification constant is not zeros');
    const view = new DataView(head.buffer, head.byteOffset, head.length);
    const provide = view.getUint32(VC_LENGTH);
    this.#offered = (Object.keys(METHOD_BITS) as CryptoMethod[]).filter(
      (method) => (provide & METHOD_BITS[method]) !== 0,
    );
    this.#padLength = this.#checkPad(view.getUint16(VC_LENGTH + 4), 'PadC');
    this.#phase = 'pad-c';
    return true;
  }

  /** Responder: PadC, len(IA). */
  #readPadC(): boolean {
    const bytes = this.#take(this.#padLength + 2);
    if (!bytes) return false;
    this.#decrypt!.process(bytes);
    this.#padLength = (bytes[this.#padLength]! << 8) | bytes[this.#padLength + 1]!;
    this.#phase = 'initial-payload';
    return true;
  }

  /** Responder: ENCRYPT(IA); then step 4 goes out and the handshake is done. */
  #readInitialPayload(): boolean {
    const initialPayload = this.#take(this.#padLength);
    if (!initialPayload) return false;
    this.#decrypt!.process(initialPayload);
    const options = this.#options as MseResponderOptions;
    const method = options.select(this.#offered, this.#infoHash!);
    if (method === undefined || !this.#offered.includes(method))
      this.#fail(
        'no-common-method',
        `offered ${this.#offered.join(', ') || 'nothing'}, none of which we accept`,
      );
    this.#method = method;
    const reply = new Uint8Array(VC_LENGTH + 6);
    new DataView(reply.buffer).setUint32(VC_LENGTH, METHOD_BITS[method]);
    this.#send(this.#encrypt!.process(reply));
    this.#finish(initialPayload);
    return true;
  }

  /** Initiator, step 4: crypto_select, len(PadD). */
  #readSelect(): boolean {
    const head = this.#take(6);
    if (!head) return false;
    this.#decrypt!.process(head);
    const view = new DataView(head.buffer, head.byteOffset, head.length);
    const select = view.getUint32(0);
    const method = (this.#options as MseInitiatorOptions).provide.find(
      (candidate) => METHOD_BITS[candidate] === select,
    );
    if (method === undefined)
      this.#fail(
        'no-common-method',
        `the peer selected 0x${select.toString(16)}, not one we offered`,
      );
    this.#method = method;
    this.#padLength = this.#checkPad(view.getUint16(4), 'PadD');
    this.#phase = 'pad-d';
    return true;
  }

  #readPadD(): boolean {
    const pad = this.#take(this.#padLength);
    if (!pad) return false;
    this.#decrypt!.process(pad);
    this.#finish(EMPTY);
    return true;
  }

  #finish(initialPayload: Uint8Array): void {
    const method = this.#method!;
    const rest = this.#pending().slice();
    this.#consumed += rest.length;
    this.#buffer = EMPTY;
    this.#start = this.#end = 0;
    const encrypted = method === 'rc4';
    if (encrypted) this.#decrypt!.process(rest);
    this.#result = {
      method,
      infoHash: this.#infoHash!,
      encrypt: encrypted ? this.#encrypt : undefined,
      decrypt: encrypted ? this.#decrypt : undefined,
      payload: initialPayload.length === 0 ? rest : concat(initialPayload, rest),
    };
    this.#phase = 'done';
  }

  // --- helpers -------------------------------------------------------------------------------

  #checkPad(length: number, name: string): number {
    if (length > MSE_MAX_PAD_LENGTH)
      this.#fail('invalid-pad-length', `len(${name}) is ${length}, over ${MSE_MAX_PAD_LENGTH}`);
    return length;
  }

  /** The next `length` bytes (a copy, ours to decrypt in place), or undefined until they arrive. */
  #take(length: number): Uint8Array | undefined {
    if (this.#end - this.#start < length) return undefined;
    const bytes = this.#buffer.slice(this.#start, this.#start + length);
    this.#skip(length);
    return bytes;
  }

  #skip(length: number): void {
    this.#start += length;
    this.#consumed += length;
  }

  /** Unread bytes, a view of our buffer. */
  #pending(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /** Appends a copy of `chunk`; the buffer doubles when full, so many small chunks cost little. */
  #append(chunk: Uint8Array): void {
    const unread = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buffer.length) {
      const needed = unread + chunk.length;
      const target =
        needed <= this.#buffer.length
          ? this.#buffer
          : new Uint8Array(Math.max(needed, this.#buffer.length * 2, 1024));
      if (target === this.#buffer) this.#buffer.copyWithin(0, this.#start, this.#end);
      else target.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = target;
      this.#start = 0;
      this.#end = unread;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #send(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#output.push(bytes);
  }

  #pad(): Uint8Array {
    const max = Math.min(this.#options.maxPadLength ?? MSE_MAX_PAD_LENGTH, MSE_MAX_PAD_LENGTH);
    const draw = this.#random(2);
    const length = ((draw[0]! << 8) | draw[1]!) % (max + 1);
    return length === 0 ? EMPTY : this.#random(length);
  }

  #fail(code: ConstructorParameters<typeof MseProtocolError>[0], message: string): never {
    this.#buffer = EMPTY;
    this.#start = this.#end = 0;
    throw new MseProtocolError(code, message, { offset: this.#consumed });
  }
}

function webRandomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536)
    globalThis.crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + 65536)));
  return bytes;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** First index of `pattern` wholly within `haystack[0, limit)`, or -1. */
function indexOf(haystack: Uint8Array, pattern: Uint8Array, limit: number): number {
  const last = limit - pattern.length;
  const first = pattern[0];
  outer: for (let at = 0; at <= last; at++) {
    if (haystack[at] !== first) continue;
    for (let k = 1; k < pattern.length; k++) if (haystack[at + k] !== pattern[k]) continue outer;
    return at;
  }
  return -1;
}
