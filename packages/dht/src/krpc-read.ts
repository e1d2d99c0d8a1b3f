/**
 * The serving path's KRPC decoder. The three queries a node answers most (`ping`, `find_node`,
 * `get_peers`, BEP 5) come in canonical bencode from every real client: sorted keys, no padded
 * numbers. `readCommonQuery` reads exactly that shape in one pass over the bytes, building
 * nothing but the query and the views it keeps. Anything else (answers, other methods, unusual
 * keys, non-canonical or malformed input) is not read here but left to `decodeKrpc`, so
 * `readKrpc` gives, for every input, the message or the typed error `decodeKrpc` gives.
 */
import { type KrpcMessage, type KrpcQuery, MAX_TRANSACTION_ID_LENGTH, decodeKrpc } from './krpc.js';
import { NODE_ID_LENGTH } from './node-id.js';

/**
 * Decodes one KRPC datagram, exactly as `decodeKrpc` does (same message, same `DhtError`), with
 * the common queries read by `readCommonQuery` (or `reader`, kept by the caller).
 * @throws DhtError `malformed-message` with `field` set.
 */
export function readKrpc(bytes: Uint8Array, reader?: CommonQueryReader): KrpcMessage {
  return (reader ? reader.read(bytes) : readCommonQuery(bytes)) ?? decodeKrpc(bytes);
}

const METHOD_PING = 1;
const METHOD_FIND_NODE = 2;
const METHOD_GET_PEERS = 3;

// Keys in the order canonical bencode sorts them, at the top level and in `a`.
const KEY_A = 1;
const KEY_Q = 2;
const KEY_RO = 3;
const KEY_T = 4;
const KEY_V = 5;
const KEY_Y = 6;
const ARG_ID = 1;
const ARG_INFO_HASH = 2;
const ARG_NOSEED = 3;
const ARG_SCRAPE = 4;
const ARG_TARGET = 5;
const ARG_WANT = 6;

const EMPTY = new Uint8Array(0);
const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_COLON = 0x3a;
const CHAR_D = 0x64;
const CHAR_E = 0x65;
const CHAR_I = 0x69;
const CHAR_L = 0x6c;

/** Longest string length or integer this reader takes, in digits (more: left to `decodeKrpc`). */
const MAX_DIGITS = 9;

function bytesAre(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

function topKey(bytes: Uint8Array, start: number, end: number): number {
  if (end - start === 1) {
    switch (bytes[start]) {
      case 0x61:
        return KEY_A;
      case 0x71:
        return KEY_Q;
      case 0x74:
        return KEY_T;
      case 0x76:
        return KEY_V;
      case 0x79:
        return KEY_Y;
      default:
        return 0;
    }
  }
  return bytesAre(bytes, start, end, 'ro') ? KEY_RO : 0;
}

function argumentKey(bytes: Uint8Array, start: number, end: number): number {
  switch (end - start) {
    case 2:
      return bytes[start] === 0x69 && bytes[start + 1] === 0x64 ? ARG_ID : 0;
    case 4:
      return bytesAre(bytes, start, end, 'want') ? ARG_WANT : 0;
    case 6:
      if (bytesAre(bytes, start, end, 'target')) return ARG_TARGET;
      if (bytesAre(bytes, start, end, 'noseed')) return ARG_NOSEED;
      return bytesAre(bytes, start, end, 'scrape') ? ARG_SCRAPE : 0;
    case 9:
      return bytesAre(bytes, start, end, 'info_hash') ? ARG_INFO_HASH : 0;
    default:
      return 0;
  }
}

function methodOf(bytes: Uint8Array, start: number, end: number): number {
  switch (end - start) {
    case 4:
      return bytesAre(bytes, start, end, 'ping') ? METHOD_PING : 0;
    case 9:
      if (bytesAre(bytes, start, end, 'find_node')) return METHOD_FIND_NODE;
      return bytesAre(bytes, start, end, 'get_peers') ? METHOD_GET_PEERS : 0;
    default:
      return 0;
  }
}

/**
 * One pass over a query in canonical form. Each `read*` method returns `false` when the bytes
 * are not what it takes; the caller then gives up (and `decodeKrpc` has the last word).
 */
class QueryScanner {
  bytes: Uint8Array = EMPTY;
  position = 0;
  /** The last string's data. */
  start = 0;
  end = 0;
  /** The last integer. */
  integer = 0;

  transactionId: Uint8Array | undefined = undefined;
  method = 0;
  isQuery = false;
  id: Uint8Array | undefined = undefined;
  target: Uint8Array | undefined = undefined;
  infoHash: Uint8Array | undefined = undefined;
  noSeed = false;
  scrape = false;
  readOnly = false;
  version: Uint8Array | undefined = undefined;
  want = false;
  wantV4 = false;
  wantV6 = false;

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.position = 0;
    this.transactionId = undefined;
    this.method = 0;
    this.isQuery = false;
    this.id = undefined;
    this.target = undefined;
    this.infoHash = undefined;
    this.noSeed = false;
    this.scrape = false;
    this.readOnly = false;
    this.version = undefined;
    this.want = false;
    this.wantV4 = false;
    this.wantV6 = false;
  }

  /** A byte string with a canonical length (no leading zeros). */
  readString(): boolean {
    const bytes = this.bytes;
    let at = this.position;
    let first = bytes[at];
    if (first === undefined || first < CHAR_0 || first > CHAR_9) return false;
    let length = first - CHAR_0;
    at++;
    if (length === 0) {
      if (bytes[at] !== CHAR_COLON) return false;
    } else {
      const limit = at + MAX_DIGITS;
      for (;;) {
        first = bytes[at];
        if (first === CHAR_COLON) break;
        if (first === undefined || first < CHAR_0 || first > CHAR_9 || at >= limit) return false;
        length = length * 10 + (first - CHAR_0);
        at++;
      }
    }
    this.start = at + 1;
    this.end = this.start + length;
    if (this.end > bytes.length) return false;
    this.position = this.end;
    return true;
  }

  /** An integer in canonical form (`i0e`, no leading zeros, no `-0`). */
  readInteger(): boolean {
    const bytes = this.bytes;
    let at = this.position;
    if (bytes[at] !== CHAR_I) return false;
    at++;
    let negative = false;
    if (bytes[at] === 0x2d) {
      negative = true;
      at++;
    }
    let digit = bytes[at];
    if (digit === undefined || digit < CHAR_0 || digit > CHAR_9) return false;
    let value = digit - CHAR_0;
    at++;
    if (value === 0) {
      if (negative || bytes[at] !== CHAR_E) return false;
    } else {
      const limit = at + MAX_DIGITS;
      for (;;) {
        digit = bytes[at];
        if (digit === CHAR_E) break;
        if (digit === undefined || digit < CHAR_0 || digit > CHAR_9 || at >= limit) return false;
        value = value * 10 + (digit - CHAR_0);
        at++;
      }
    }
    this.integer = negative ? -value : value;
    this.position = at + 1;
    return true;
  }

  view(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  /** The whole datagram: one dictionary, its keys known and in order, nothing after it. */
  readMessage(): boolean {
    const bytes = this.bytes;
    if (bytes[0] !== CHAR_D) return false;
    this.position = 1;
    let last = 0;
    while (bytes[this.position] !== CHAR_E) {
      if (!this.readString()) return false;
      const key = topKey(bytes, this.start, this.end);
      if (key <= last) return false; // unknown, unsorted or repeated
      last = key;
      switch (key) {
        case KEY_A:
          if (bytes[this.position] !== CHAR_D || !this.readArguments()) return false;
          break;
        case KEY_Q:
          if (!this.readString()) return false;
          this.method = methodOf(bytes, this.start, this.end);
          if (this.method === 0) return false;
          break;
        case KEY_RO:
          if (!this.readInteger()) return false;
          this.readOnly = this.integer === 1;
          break;
        case KEY_T:
          if (!this.readString()) return false;
          this.transactionId = this.view();
          break;
        case KEY_V:
          if (!this.readString()) return false;
          this.version = this.view();
          break;
        case KEY_Y:
          if (!this.readString() || this.end - this.start !== 1 || bytes[this.start] !== 0x71)
            return false;
          this.isQuery = true;
          break;
      }
    }
    return this.position + 1 === bytes.length;
  }

  /** The `a` dictionary (at its `d`). */
  readArguments(): boolean {
    const bytes = this.bytes;
    this.position++;
    let last = 0;
    while (bytes[this.position] !== CHAR_E) {
      if (!this.readString()) return false;
      const key = argumentKey(bytes, this.start, this.end);
      if (key <= last) return false;
      last = key;
      switch (key) {
        case ARG_ID:
          if (!this.readString()) return false;
          this.id = this.view();
          break;
        case ARG_INFO_HASH:
          if (!this.readString()) return false;
          this.infoHash = this.view();
          break;
        case ARG_TARGET:
          if (!this.readString()) return false;
          this.target = this.view();
          break;
        case ARG_NOSEED:
          if (!this.readInteger()) return false;
          this.noSeed = this.integer === 1;
          break;
        case ARG_SCRAPE:
          if (!this.readInteger()) return false;
          this.scrape = this.integer === 1;
          break;
        case ARG_WANT:
          if (bytes[this.position] !== CHAR_L) return false;
          this.position++;
          this.want = true;
          while (bytes[this.position] !== CHAR_E) {
            if (!this.readString()) return false;
            if (this.end - this.start === 2 && bytes[this.start] === 0x6e) {
              if (bytes[this.start + 1] === 0x34) this.wantV4 = true;
              else if (bytes[this.start + 1] === 0x36) this.wantV6 = true;
            }
          }
          this.position++;
          break;
      }
    }
    this.position++;
    return true;
  }
}

/**
 * A `ping`, `find_node` or `get_peers` query in canonical bencode, read in one pass; `undefined`
 * for every other datagram, valid or not (decode those with `decodeKrpc`). What it returns is
 * what `decodeKrpc` returns for the same bytes.
 */
export function readCommonQuery(bytes: Uint8Array): KrpcQuery | undefined {
  return new CommonQueryReader().read(bytes);
}

/**
 * `readCommonQuery` with its working state kept between datagrams (one per node: the serving
 * path allocates nothing for it per query). Queries it returns hold views of their datagram.
 */
export class CommonQueryReader {
  readonly #scanner = new QueryScanner();

  read(bytes: Uint8Array): KrpcQuery | undefined {
    // Canonical queries sort `a` first: anything else is an answer or something unusual.
    if (bytes[1] !== 0x31 || bytes[2] !== CHAR_COLON || bytes[3] !== 0x61) return undefined;
    const scanner = this.#scanner;
    scanner.reset(bytes);
    const ok = scanner.readMessage();
    scanner.bytes = EMPTY; // hold no datagram between calls
    if (!ok) return undefined;
    return build(scanner);
  }
}

function build(scanner: QueryScanner): KrpcQuery | undefined {
  const { transactionId, id } = scanner;
  if (
    !scanner.isQuery ||
    scanner.method === 0 ||
    transactionId === undefined ||
    transactionId.length > MAX_TRANSACTION_ID_LENGTH ||
    id === undefined ||
    id.length !== NODE_ID_LENGTH
  )
    return undefined;
  let method: 'ping' | 'find_node' | 'get_peers';
  let target: Uint8Array | undefined;
  let infoHash: Uint8Array | undefined;
  switch (scanner.method) {
    case METHOD_PING:
      method = 'ping';
      break;
    case METHOD_FIND_NODE:
      method = 'find_node';
      target = scanner.target;
      if (target === undefined || target.length !== NODE_ID_LENGTH) return undefined;
      break;
    default:
      method = 'get_peers';
      infoHash = scanner.infoHash;
      if (infoHash === undefined || infoHash.length !== NODE_ID_LENGTH) return undefined;
  }
  // One object shape for all three (fields a method does not have are undefined), so the
  // serving path's reads of queries stay monomorphic.
  const isGetPeers = method === 'get_peers';
  return {
    kind: 'query',
    transactionId,
    id,
    method,
    target,
    infoHash,
    noSeed: isGetPeers ? scanner.noSeed : undefined,
    scrape: isGetPeers ? scanner.scrape : undefined,
    readOnly: scanner.readOnly ? true : undefined,
    version: scanner.version,
    want: scanner.want ? { v4: scanner.wantV4, v6: scanner.wantV6 } : undefined,
  } as KrpcQuery;
}
