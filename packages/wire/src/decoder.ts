/**
 * The incremental decoder: bytes in, in chunks of any size, typed messages out. Pure (no
 * streams, no timers): feed it with `push`, drain it with `next` until `next` says it needs more
 * (`undefined`).
 *
 * - Zero-copy: a message that lies inside one chunk is decoded in place, and a `piece` block, a
 *   bitfield or an extended payload is a view of that chunk. Only a message split across chunks
 *   is gathered, into a slab shared by many such messages, so the hot path allocates nothing but
 *   the message object and its view.
 * - Bounded: at most one partial message (no longer than `maxMessageLength`) is held. A frame's
 *   length prefix and id are checked before its body is buffered, so a hostile peer is refused
 *   on its first bad bytes.
 * - Strict: every fault is a `WireProtocolError`, after which the decoder stays failed.
 */
import { WireProtocolError, type WireProtocolErrorCode } from './errors.js';
import { decodeExtendedHandshake } from './extended-handshake.js';
import { checkProtocolPrefix, decodeHandshake, HANDSHAKE_LENGTH } from './handshake.js';
import {
  bitfieldLength,
  CHOKE,
  DEFAULT_BLOCK_LENGTH,
  HAVE_ALL,
  HAVE_NONE,
  INTERESTED,
  KEEP_ALIVE,
  type Message,
  MAX_HASH_REQUEST_LENGTH,
  MAX_PROOF_LAYERS,
  MessageId,
  NOT_INTERESTED,
  UNCHOKE,
  type WireItem,
} from './messages.js';

/** Default longest frame: room for a bitfield of two million pieces, or a 16 KiB block. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 256 * 1024 + 16;

export interface WireDecoderOptions {
  /** Expect the 68-byte handshake before any message. Default `true`. */
  handshake?: boolean;
  /** Longest frame accepted, in bytes after the 4-byte length prefix. Default 262,160. */
  maxMessageLength?: number;
  /** Longest block a `request`, `cancel` or `reject` may name. Default 16 KiB. */
  maxRequestLength?: number;
  /**
   * The torrent's number of pieces, when known: a bitfield must then have exactly the right size
   * and no spare bits set, and piece indices must be below it. Can be set later with `setPieceCount`
   * (a magnet link learns it from the metadata).
   */
  pieceCount?: number;
  /** Yield messages with ids this package does not know as `unknown` instead of failing. Default `false`. */
  allowUnknownMessages?: boolean;
  /**
   * Allocates the buffers (256 KiB slabs, or one per frame over 64 KiB) that gather messages split
   * across chunks. Default `new Uint8Array(length)`; a Node shell may pass an allocator of
   * uninitialized memory (every byte handed out is overwritten before use).
   */
  allocate?: (length: number) => Uint8Array;
}

const EMPTY = new Uint8Array(0);
const SLAB_SIZE = 256 * 1024;
/** Frames longer than this get a buffer of their own instead of a slice of the slab. */
const SLAB_MAX_FRAME = SLAB_SIZE / 4;

// Frame lengths (after the prefix) of the fixed-size messages, by id; -1 for variable, 0 for unknown.
const FIXED_LENGTH = new Int32Array(256);
FIXED_LENGTH[MessageId.choke] = 1;
FIXED_LENGTH[MessageId.unchoke] = 1;
FIXED_LENGTH[MessageId.interested] = 1;
FIXED_LENGTH[MessageId.notInterested] = 1;
FIXED_LENGTH[MessageId.have] = 5;
FIXED_LENGTH[MessageId.bitfield] = -1;
FIXED_LENGTH[MessageId.request] = 13;
FIXED_LENGTH[MessageId.piece] = -1;
FIXED_LENGTH[MessageId.cancel] = 13;
FIXED_LENGTH[MessageId.port] = 3;
FIXED_LENGTH[MessageId.suggest] = 5;
FIXED_LENGTH[MessageId.haveAll] = 1;
FIXED_LENGTH[MessageId.haveNone] = 1;
FIXED_LENGTH[MessageId.reject] = 13;
FIXED_LENGTH[MessageId.allowedFast] = 5;
FIXED_LENGTH[MessageId.extended] = -1;
/** id, pieces root, base layer, index, length, proof layers. */
const HASH_RANGE_LENGTH = 1 + 32 + 16;
FIXED_LENGTH[MessageId.hashRequest] = HASH_RANGE_LENGTH;
FIXED_LENGTH[MessageId.hashReject] = HASH_RANGE_LENGTH;
FIXED_LENGTH[MessageId.hashes] = -1;

export class WireDecoder {
  readonly #maxMessageLength: number;
  readonly #maxRequestLength: number;
  readonly #allowUnknown: boolean;
  readonly #allocateBuffer: (length: number) => Uint8Array;
  #pieceCount: number | undefined;
  #expectHandshake: boolean;

  #chunk: Uint8Array = EMPTY;
  #position = 0;
  /** Bytes of the stream before the current chunk. */
  #consumedBefore = 0;

  /** Gathers a length prefix (4 bytes) or a handshake (68) split across chunks. */
  readonly #head = new Uint8Array(HANDSHAKE_LENGTH);
  #headFilled = 0;

  /** The body of a frame split across chunks, while it is being gathered: at `#frameStart` of `#frame`. */
  #frame: Uint8Array | undefined;
  #frameStart = 0;
  #frameLength = 0;
  #frameFilled = 0;
  #frameChecked = false;

  #slab: Uint8Array = EMPTY;
  #slabOffset = 0;
  #copiedBytes = 0;

  #error: WireProtocolError | undefined;

  constructor(options: WireDecoderOptions = {}) {
    this.#expectHandshake = options.handshake ?? true;
    this.#maxMessageLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.#maxRequestLength = options.maxRequestLength ?? DEFAULT_BLOCK_LENGTH;
    this.#allowUnknown = options.allowUnknownMessages ?? false;
    this.#allocateBuffer = options.allocate ?? ((length) => new Uint8Array(length));
    this.setPieceCount(options.pieceCount);
  }

  /** Sets (or clears) the piece count that bitfields and indices are checked against. */
  setPieceCount(pieceCount: number | undefined): void {
    if (pieceCount !== undefined && (!Number.isInteger(pieceCount) || pieceCount < 0)) {
      throw new RangeError(`pieceCount must be a non-negative integer, got ${pieceCount}`);
    }
    this.#pieceCount = pieceCount;
  }

  /** Bytes consumed from the stream so far. */
  get position(): number {
    return this.#consumedBefore + this.#position;
  }

  /** Bytes given to `push` that no message has been decoded from yet. */
  get bufferedLength(): number {
    return this.#chunk.length - this.#position + this.#headFilled + this.#frameFilled;
  }

  /** Bytes copied so far to gather messages that arrived split across chunks. */
  get copiedBytes(): number {
    return this.#copiedBytes;
  }

  /** The error that failed the decoder, if one did. */
  get error(): WireProtocolError | undefined {
    return this.#error;
  }

  /**
   * Adds the next bytes of the stream. The decoder keeps views of `chunk`: do not write to it
   * afterwards. Call `next` until it returns `undefined` before pushing again (pushing earlier
   * works but copies the unread rest).
   * @throws WireProtocolError when the decoder has already failed.
   */
  push(chunk: Uint8Array): void {
    if (this.#error) throw this.#error;
    const rest = this.#chunk.length - this.#position;
    if (rest > 0) {
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.#chunk.subarray(this.#position));
      joined.set(chunk, rest);
      this.#copiedBytes += joined.length;
      this.#consumedBefore += this.#position;
      this.#chunk = joined;
    } else {
      this.#consumedBefore += this.#chunk.length;
      this.#chunk = chunk;
    }
    this.#position = 0;
  }

  /**
   * Copies the unread rest of the pushed chunks, so that the caller may reuse their memory (a
   * read buffer shared between sockets, say). After `next` returned `undefined` nothing is
   * left to copy: a partial message is always gathered into the decoder's own memory. Messages
   * already returned still view the chunks they came from.
   */
  detach(): void {
    const rest = this.#chunk.length - this.#position;
    this.#consumedBefore += this.#position;
    this.#chunk = rest > 0 ? this.#chunk.slice(this.#position) : EMPTY;
    if (rest > 0) this.#copiedBytes += rest;
    this.#position = 0;
  }

  /**
   * The next complete message (the handshake first, when expected), or `undefined` when more
   * bytes are needed.
   * @throws WireProtocolError on a protocol fault; the decoder is failed from then on.
   */
  next(): WireItem | undefined {
    if (this.#error) throw this.#error;
    const chunk = this.#chunk;
    if (this.#frame !== undefined) return this.#continueFrame(chunk);
    if (this.#expectHandshake) return this.#readHandshake(chunk);

    let position = this.#position;
    let available = chunk.length - position;
    let length: number;
    if (this.#headFilled === 0 && available >= 4) {
      length =
        ((chunk[position]! << 24) |
          (chunk[position + 1]! << 16) |
          (chunk[position + 2]! << 8) |
          chunk[position + 3]!) >>>
        0;
      position += 4;
      available -= 4;
    } else {
      const head = this.#head;
      while (this.#headFilled < 4 && position < chunk.length)
        head[this.#headFilled++] = chunk[position++]!;
      if (this.#headFilled < 4) {
        this.#position = position;
        return undefined;
      }
      this.#headFilled = 0;
      length = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
      available = chunk.length - position;
    }
    this.#position = position;
    if (length === 0) return KEEP_ALIVE;
    if (length > this.#maxMessageLength) {
      this.#fail(
        'message-too-long',
        `message of ${length} bytes exceeds the limit of ${this.#maxMessageLength}`,
        undefined,
      );
    }
    if (available >= length) {
      this.#position = position + length;
      return this.#decodeFrame(chunk, position, length);
    }
    // Split across chunks: check what can be checked, then gather the body.
    this.#frameChecked = false;
    if (available > 0) {
      this.#checkFrame(chunk[position]!, length);
      this.#frameChecked = true;
    }
    this.#allocate(length);
    copyInto(this.#frame!, this.#frameStart, chunk, position, available);
    this.#copiedBytes += available;
    this.#frameLength = length;
    this.#frameFilled = available;
    this.#position = chunk.length;
    return undefined;
  }

  #continueFrame(chunk: Uint8Array): Message | undefined {
    const frame = this.#frame!;
    const start = this.#frameStart;
    const length = this.#frameLength;
    const take = Math.min(length - this.#frameFilled, chunk.length - this.#position);
    if (take > 0) {
      copyInto(frame, start + this.#frameFilled, chunk, this.#position, take);
      this.#frameFilled += take;
      this.#position += take;
      this.#copiedBytes += take;
      if (!this.#frameChecked) {
        this.#checkFrame(frame[start]!, length);
        this.#frameChecked = true;
      }
    }
    if (this.#frameFilled < length) return undefined;
    this.#frame = undefined;
    this.#frameFilled = 0;
    return this.#decodeFrame(frame, start, length);
  }

  #readHandshake(chunk: Uint8Array): WireItem | undefined {
    const position = this.#position;
    if (this.#headFilled === 0 && chunk.length - position >= HANDSHAKE_LENGTH) {
      this.#position = position + HANDSHAKE_LENGTH;
      this.#expectHandshake = false;
      return this.#guard(() =>
        decodeHandshake(chunk.subarray(position, position + HANDSHAKE_LENGTH)),
      );
    }
    const take = Math.min(HANDSHAKE_LENGTH - this.#headFilled, chunk.length - position);
    this.#head.set(chunk.subarray(position, position + take), this.#headFilled);
    this.#headFilled += take;
    this.#position = position + take;
    const head = this.#head;
    const filled = this.#headFilled;
    if (filled < HANDSHAKE_LENGTH) {
      this.#guard(() => checkProtocolPrefix(head, filled));
      return undefined;
    }
    this.#headFilled = 0;
    this.#expectHandshake = false;
    return this.#guard(() => decodeHandshake(head.slice()));
  }

  #guard<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (WireProtocolError.isInstance(error)) {
        this.#error = error;
        this.#release();
      }
      throw error;
    }
  }

  /** Checks a frame from its id and length alone, before its body is read. */
  #checkFrame(id: number, length: number): void {
    const fixed = FIXED_LENGTH[id]!;
    if (fixed > 0) {
      if (length !== fixed) {
        this.#fail(
          'invalid-message-length',
          `message ${id} must be ${fixed} bytes, got ${length}`,
          id,
        );
      }
      return;
    }
    if (fixed === 0) {
      if (this.#allowUnknown) return;
      this.#fail('unknown-message', `unknown message id ${id}`, id);
    }
    if (id === MessageId.piece) {
      if (length < 9)
        this.#fail(
          'invalid-message-length',
          `a piece message needs at least 9 bytes, got ${length}`,
          id,
        );
    } else if (id === MessageId.extended) {
      if (length < 2)
        this.#fail('invalid-message-length', 'an extended message needs an extended id', id);
    } else if (this.#pieceCount !== undefined && length - 1 !== bitfieldLength(this.#pieceCount)) {
      this.#fail(
        'invalid-bitfield',
        `bitfield of ${length - 1} bytes for ${this.#pieceCount} pieces (expected ${bitfieldLength(this.#pieceCount)})`,
        id,
      );
    }
  }

  #decodeFrame(bytes: Uint8Array, start: number, length: number): Message {
    const id = bytes[start]!;
    // The hot path first: a piece in place.
    if (id === MessageId.piece && length >= 9) {
      const index = readUint32(bytes, start + 1);
      if (this.#pieceCount !== undefined && index >= this.#pieceCount) this.#badIndex(id, index);
      return {
        type: 'piece',
        index,
        begin: readUint32(bytes, start + 5),
        block: bytes.subarray(start + 9, start + length),
      };
    }
    this.#checkFrame(id, length);
    switch (id) {
      case MessageId.choke:
        return CHOKE;
      case MessageId.unchoke:
        return UNCHOKE;
      case MessageId.interested:
        return INTERESTED;
      case MessageId.notInterested:
        return NOT_INTERESTED;
      case MessageId.haveAll:
        return HAVE_ALL;
      case MessageId.haveNone:
        return HAVE_NONE;
      case MessageId.have:
        return { type: 'have', index: this.#index(bytes, start + 1, id) };
      case MessageId.suggest:
        return { type: 'suggest', index: this.#index(bytes, start + 1, id) };
      case MessageId.allowedFast:
        return { type: 'allowed-fast', index: this.#index(bytes, start + 1, id) };
      case MessageId.request:
      case MessageId.cancel:
      case MessageId.reject: {
        const index = this.#index(bytes, start + 1, id);
        const begin = readUint32(bytes, start + 5);
        const blockLength = readUint32(bytes, start + 9);
        if (blockLength > this.#maxRequestLength) {
          this.#fail(
            'block-too-long',
            `block of ${blockLength} bytes exceeds the limit of ${this.#maxRequestLength}`,
            id,
          );
        }
        const type =
          id === MessageId.request ? 'request' : id === MessageId.cancel ? 'cancel' : 'reject';
        return { type, index, begin, length: blockLength };
      }
      case MessageId.port:
        return { type: 'port', port: (bytes[start + 1]! << 8) | bytes[start + 2]! };
      case MessageId.hashRequest:
      case MessageId.hashReject:
      case MessageId.hashes:
        return this.#hashMessage(id, bytes, start, length);
      case MessageId.bitfield: {
        const bitfield = bytes.subarray(start + 1, start + length);
        const pieceCount = this.#pieceCount;
        if (pieceCount !== undefined && pieceCount % 8 !== 0) {
          const spare = bitfield[bitfield.length - 1]! & (0xff >>> (pieceCount % 8));
          if (spare !== 0)
            this.#fail('invalid-bitfield', 'bitfield has spare bits set past the last piece', id);
        }
        return { type: 'bitfield', bitfield };
      }
      case MessageId.extended: {
        const extendedId = bytes[start + 1]!;
        const payload = bytes.subarray(start + 2, start + length);
        if (extendedId === 0)
          return {
            type: 'extended-handshake',
            handshake: this.#guard(() => decodeExtendedHandshake(payload)),
          };
        return { type: 'extended', id: extendedId, payload };
      }
      default:
        // #checkFrame has failed for unknown ids unless they are allowed.
        return { type: 'unknown', id, payload: bytes.subarray(start + 1, start + length) };
    }
  }

  /** BEP 52 hash messages: the range, checked against the limits, and for `hashes` the hashes. */
  #hashMessage(id: number, bytes: Uint8Array, start: number, length: number): Message {
    if (length < HASH_RANGE_LENGTH || (length - HASH_RANGE_LENGTH) % 32 !== 0) {
      this.#fail('invalid-message-length', `a hash message of ${length} bytes`, id);
    }
    const range = {
      piecesRoot: bytes.subarray(start + 1, start + 33),
      baseLayer: readUint32(bytes, start + 33),
      index: readUint32(bytes, start + 37),
      length: readUint32(bytes, start + 41),
      proofLayers: readUint32(bytes, start + 45),
    };
    if (range.length === 0 || range.length > MAX_HASH_REQUEST_LENGTH) {
      this.#fail('invalid-hash-request', `a hash range of ${range.length} hashes`, id);
    }
    if (range.proofLayers > MAX_PROOF_LAYERS || range.baseLayer > MAX_PROOF_LAYERS) {
      this.#fail('invalid-hash-request', 'a hash range deeper than any merkle tree', id);
    }
    if (id === MessageId.hashes) {
      const hashes = bytes.subarray(start + HASH_RANGE_LENGTH, start + length);
      // the run (shorter than asked only at the end of a layer) and one uncle per proof layer
      if (hashes.length === 0 || hashes.length / 32 > range.length + range.proofLayers) {
        this.#fail(
          'invalid-hash-request',
          `${hashes.length / 32} hashes for a range of ${range.length}`,
          id,
        );
      }
      return { type: 'hashes', ...range, hashes };
    }
    return { type: id === MessageId.hashRequest ? 'hash-request' : 'hash-reject', ...range };
  }

  #index(bytes: Uint8Array, at: number, id: number): number {
    const index = readUint32(bytes, at);
    if (this.#pieceCount !== undefined && index >= this.#pieceCount) this.#badIndex(id, index);
    return index;
  }

  #badIndex(id: number, index: number): never {
    return this.#fail(
      'invalid-piece-index',
      `piece index ${index} is not below the piece count ${this.#pieceCount}`,
      id,
    );
  }

  /** Points `#frame` and `#frameStart` at room for `length` bytes: a slice of the slab, or a buffer of its own. */
  #allocate(length: number): void {
    if (length > SLAB_MAX_FRAME) {
      this.#frame = this.#allocateBuffer(length);
      this.#frameStart = 0;
      return;
    }
    if (this.#slabOffset + length > this.#slab.length) {
      this.#slab = this.#allocateBuffer(SLAB_SIZE);
      this.#slabOffset = 0;
    }
    this.#frame = this.#slab;
    this.#frameStart = this.#slabOffset;
    this.#slabOffset = (this.#slabOffset + length + 7) & ~7;
  }

  #fail(code: WireProtocolErrorCode, message: string, messageId: number | undefined): never {
    const error = new WireProtocolError(code, message, { messageId, offset: this.position });
    this.#error = error;
    this.#release();
    throw error;
  }

  #release(): void {
    this.#consumedBefore += this.#position;
    this.#chunk = EMPTY;
    this.#position = 0;
    this.#frame = undefined;
    this.#frameFilled = 0;
    this.#headFilled = 0;
    this.#slab = EMPTY;
  }
}

/** Copies `length` bytes of `source` from `from` to `target` at `at`, without a view when the whole source goes. */
function copyInto(
  target: Uint8Array,
  at: number,
  source: Uint8Array,
  from: number,
  length: number,
): void {
  if (length === 0) return;
  target.set(
    from === 0 && length === source.length ? source : source.subarray(from, from + length),
    at,
  );
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
  );
}

/**
 * Decodes every message of a complete byte string (no handshake unless `options.handshake`).
 * @throws WireProtocolError on a fault, or `invalid-message-length` when the bytes end mid-message.
 */
export function decodeMessages(bytes: Uint8Array, options: WireDecoderOptions = {}): WireItem[] {
  const decoder = new WireDecoder({ handshake: false, ...options });
  decoder.push(bytes);
  const items: WireItem[] = [];
  for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
  if (decoder.bufferedLength > 0) {
    throw new WireProtocolError(
      'invalid-message-length',
      `the bytes end inside a message (${decoder.bufferedLength} bytes left)`,
      {
        offset: decoder.position,
      },
    );
  }
  return items;
}
