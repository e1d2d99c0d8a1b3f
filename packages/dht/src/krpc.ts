/**
 * The KRPC codec (BEP 5), pure over `Uint8Array`: queries (`ping`, `find_node`, `get_peers`,
 * `announce_peer`, BEP 44 `get`/`put`, BEP 51 `sample_infohashes`), responses and errors, with
 * the `ip` key (BEP 42), `ro` (BEP 43), `want`/`nodes6` (BEP 32) and the BEP 33 scrape fields.
 * Bad input is a `DhtError` of code `malformed-message` naming the offending field.
 */
import { type BencodeDictionary, type BencodeValue, decode, encode, locate } from '@bt/bencode';
import { type PeerAddress, decodeCompactPeer, writeIPv4 } from '@bt/primitives';
import { DhtError } from './errors.js';
import { type NodeContact, NODE_ID_LENGTH, compactAddress, decodeCompactNodes } from './node-id.js';

/** BEP 5 and BEP 44 error codes. */
export const KRPC_ERROR = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
  messageTooBig: 205,
  invalidSignature: 206,
  saltTooBig: 207,
  casMismatch: 301,
  sequenceTooLow: 302,
} as const;

/** BEP 32 `want`: which families of nodes the asker wants back. */
export interface Want {
  v4: boolean;
  v6: boolean;
}

interface QueryCommon {
  kind: 'query';
  transactionId: Uint8Array;
  /** The asker's node id. */
  id: Uint8Array;
  /** BEP 43: the asker is read-only and must not enter routing tables. */
  readOnly?: boolean;
  /** The asker's client version (`v`), opaque bytes. */
  version?: Uint8Array;
  want?: Want;
}

export type KrpcQuery = QueryCommon &
  (
    | { method: 'ping' }
    | { method: 'find_node'; target: Uint8Array }
    | {
        method: 'get_peers';
        infoHash: Uint8Array;
        /** BEP 33 */
        noSeed?: boolean;
        /** BEP 33: ask for the seed and peer bloom filters. */
        scrape?: boolean;
      }
    | {
        method: 'announce_peer';
        infoHash: Uint8Array;
        port: number;
        token: Uint8Array;
        /** Use the UDP source port instead of `port` (BEP 5). */
        impliedPort?: boolean;
        /** BEP 33: the announcer is a seed. */
        seed?: boolean;
      }
    | {
        method: 'get';
        target: Uint8Array;
        /** BEP 44: only send the item when its `seq` is greater. */
        seq?: number;
      }
    | {
        method: 'put';
        token: Uint8Array;
        /** The item's value, bencoded (verbatim as it appeared in the message). */
        value: Uint8Array;
        key?: Uint8Array;
        signature?: Uint8Array;
        salt?: Uint8Array;
        seq?: number;
        cas?: number;
      }
    | { method: 'sample_infohashes'; target: Uint8Array }
    | {
        /** A method this codec does not know; `target`/`info_hash` kept for forward compatibility. */
        method: 'unknown';
        name: string;
        target?: Uint8Array;
      }
  );

export type KrpcMethod = KrpcQuery['method'];

export interface KrpcResponse {
  kind: 'response';
  transactionId: Uint8Array;
  /** The responder's node id. */
  id: Uint8Array;
  /** BEP 42: our address as the responder sees it. */
  ip?: PeerAddress;
  readOnly?: boolean;
  version?: Uint8Array;
  nodes?: NodeContact[];
  nodes6?: NodeContact[];
  values?: PeerAddress[];
  token?: Uint8Array;
  /** BEP 51 */
  samples?: Uint8Array[];
  interval?: number;
  num?: number;
  /** BEP 44: the item's value, bencoded, verbatim. */
  value?: Uint8Array;
  key?: Uint8Array;
  signature?: Uint8Array;
  seq?: number;
  /** BEP 33: 256-byte bloom filters of seeds and peers. */
  seedsBloom?: Uint8Array;
  peersBloom?: Uint8Array;
}

export interface KrpcErrorMessage {
  kind: 'error';
  transactionId: Uint8Array;
  code: number;
  message: string;
  ip?: PeerAddress;
}

export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorMessage;

/** Longest transaction id accepted (ours are 2 bytes; others use up to 4, some 8). */
export const MAX_TRANSACTION_ID_LENGTH = 16;
/** BEP 44: longest bencoded value and salt. */
export const MAX_ITEM_VALUE_LENGTH = 1000;
export const MAX_SALT_LENGTH = 64;

const textDecoder = new TextDecoder('utf-8', { fatal: false });

function fail(field: string, message: string, cause?: unknown): never {
  throw new DhtError('malformed-message', `${field}: ${message}`, { field, cause });
}

function asDictionary(value: BencodeValue | undefined, field: string): BencodeDictionary {
  if (!(value instanceof Map)) fail(field, 'expected a dictionary');
  return value;
}

function bytesField(dictionary: BencodeDictionary, key: string, field: string): Uint8Array {
  const value = dictionary.get(key);
  if (!(value instanceof Uint8Array))
    fail(field, value === undefined ? 'missing' : 'expected a byte string');
  return value;
}

function optionalBytes(
  dictionary: BencodeDictionary,
  key: string,
  field: string,
): Uint8Array | undefined {
  const value = dictionary.get(key);
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array)) fail(field, 'expected a byte string');
  return value;
}

function idField(dictionary: BencodeDictionary, key: string, field: string): Uint8Array {
  const value = bytesField(dictionary, key, field);
  if (value.length !== NODE_ID_LENGTH) fail(field, `expected 20 bytes, got ${value.length}`);
  return value;
}

function optionalInteger(
  dictionary: BencodeDictionary,
  key: string,
  field: string,
): number | undefined {
  const value = dictionary.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'number') fail(field, 'expected an integer within ±2^53');
  return value;
}

function flag(dictionary: BencodeDictionary, key: string): boolean {
  const value = dictionary.get(key);
  return value === 1;
}

function parseWant(dictionary: BencodeDictionary): Want | undefined {
  const value = dictionary.get('want');
  if (!Array.isArray(value)) return undefined;
  const want: Want = { v4: false, v6: false };
  for (const entry of value) {
    if (!(entry instanceof Uint8Array) || entry.length !== 2 || entry[0] !== 0x6e) continue;
    if (entry[1] === 0x34) want.v4 = true;
    else if (entry[1] === 0x36) want.v6 = true;
  }
  return want;
}

function parseIp(value: BencodeValue | undefined): PeerAddress | undefined {
  if (!(value instanceof Uint8Array) || (value.length !== 6 && value.length !== 18))
    return undefined;
  return decodeCompactPeer(value);
}

const PING = Uint8Array.from('ping', (c) => c.charCodeAt(0));
const FIND_NODE = Uint8Array.from('find_node', (c) => c.charCodeAt(0));
const GET_PEERS = Uint8Array.from('get_peers', (c) => c.charCodeAt(0));

function bytesAre(bytes: Uint8Array, expected: Uint8Array): boolean {
  if (bytes.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[i] !== expected[i]) return false;
  return true;
}

function methodName(bytes: Uint8Array): string {
  // The common three as constants (no string built per query).
  if (bytesAre(bytes, PING)) return 'ping';
  if (bytesAre(bytes, FIND_NODE)) return 'find_node';
  if (bytesAre(bytes, GET_PEERS)) return 'get_peers';
  // Method names are short ASCII; anything longer is unknown anyway.
  if (bytes.length > 64) return textDecoder.decode(bytes.subarray(0, 64));
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

function verbatim(bytes: Uint8Array, path: string[], field: string): Uint8Array {
  const span = locate(bytes, path);
  if (!span) fail(field, 'missing');
  return bytes.subarray(span.start, span.end);
}

/**
 * Decodes one KRPC datagram. Byte strings in the result are views of `bytes`.
 * @throws DhtError `malformed-message` with `field` set.
 */
export function decodeKrpc(bytes: Uint8Array): KrpcMessage {
  let root: BencodeValue;
  try {
    root = decode(bytes, { maxDepth: 16 });
  } catch (error) {
    fail('message', 'not bencode', error);
  }
  const message = asDictionary(root, 'message');
  const transactionId = bytesField(message, 't', 't');
  if (transactionId.length > MAX_TRANSACTION_ID_LENGTH)
    fail('t', `longer than ${MAX_TRANSACTION_ID_LENGTH} bytes`);
  const type = bytesField(message, 'y', 'y');
  if (type.length !== 1) fail('y', 'expected q, r or e');
  const version = optionalVersion(message);
  const readOnly = flag(message, 'ro');
  switch (type[0]) {
    case 0x71: // q
      return decodeQuery(bytes, message, transactionId, version, readOnly);
    case 0x72: // r
      return decodeResponse(bytes, message, transactionId, version, readOnly);
    case 0x65: {
      // e
      const error = message.get('e');
      if (!Array.isArray(error) || typeof error[0] !== 'number')
        fail('e', 'expected [code, message]');
      const text = error[1] instanceof Uint8Array ? textDecoder.decode(error[1]) : '';
      const ip = parseIp(message.get('ip'));
      return { kind: 'error', transactionId, code: error[0], message: text, ...(ip ? { ip } : {}) };
    }
    default:
      fail('y', 'expected q, r or e');
  }
}

function optionalVersion(message: BencodeDictionary): Uint8Array | undefined {
  const value = message.get('v');
  return value instanceof Uint8Array ? value : undefined;
}

function decodeQuery(
  bytes: Uint8Array,
  message: BencodeDictionary,
  transactionId: Uint8Array,
  version: Uint8Array | undefined,
  readOnly: boolean,
): KrpcQuery {
  const name = methodName(bytesField(message, 'q', 'q'));
  const args = asDictionary(message.get('a'), 'a');
  const id = idField(args, 'id', 'a.id');
  let query: KrpcQuery;
  // Built whole, one shape per method: spreading a common part costs more on the hot path.
  switch (name) {
    case 'ping':
      query = { kind: 'query', transactionId, id, method: 'ping' };
      break;
    case 'find_node':
      query = {
        kind: 'query',
        transactionId,
        id,
        method: 'find_node',
        target: idField(args, 'target', 'a.target'),
      };
      break;
    case 'get_peers':
      query = {
        kind: 'query',
        transactionId,
        id,
        method: 'get_peers',
        infoHash: idField(args, 'info_hash', 'a.info_hash'),
        noSeed: flag(args, 'noseed'),
        scrape: flag(args, 'scrape'),
      };
      break;
    default:
      query = decodeOtherQuery(bytes, args, name, transactionId, id);
  }
  if (readOnly) query.readOnly = true;
  if (version) query.version = version;
  const want = parseWant(args);
  if (want) query.want = want;
  return query;
}

function decodeOtherQuery(
  bytes: Uint8Array,
  args: BencodeDictionary,
  name: string,
  transactionId: Uint8Array,
  id: Uint8Array,
): KrpcQuery {
  const common: QueryCommon = { kind: 'query', transactionId, id };
  switch (name) {
    case 'announce_peer': {
      const port = optionalInteger(args, 'port', 'a.port');
      const impliedPort = flag(args, 'implied_port');
      if (!impliedPort && (port === undefined || port < 1 || port > 65535))
        fail('a.port', 'expected a port 1-65535');
      return {
        ...common,
        method: 'announce_peer',
        infoHash: idField(args, 'info_hash', 'a.info_hash'),
        port: port ?? 0,
        token: bytesField(args, 'token', 'a.token'),
        impliedPort,
        seed: flag(args, 'seed'),
      };
    }
    case 'get': {
      const seq = optionalInteger(args, 'seq', 'a.seq');
      return {
        ...common,
        method: 'get',
        target: idField(args, 'target', 'a.target'),
        ...(seq === undefined ? {} : { seq }),
      };
    }
    case 'put': {
      const query: KrpcQuery = {
        ...common,
        method: 'put',
        token: bytesField(args, 'token', 'a.token'),
        value: verbatim(bytes, ['a', 'v'], 'a.v'),
      };
      const key = optionalBytes(args, 'k', 'a.k');
      const signature = optionalBytes(args, 'sig', 'a.sig');
      const salt = optionalBytes(args, 'salt', 'a.salt');
      const seq = optionalInteger(args, 'seq', 'a.seq');
      const cas = optionalInteger(args, 'cas', 'a.cas');
      if (key) query.key = key;
      if (signature) query.signature = signature;
      if (salt) query.salt = salt;
      if (seq !== undefined) query.seq = seq;
      if (cas !== undefined) query.cas = cas;
      return query;
    }
    case 'sample_infohashes':
      return {
        ...common,
        method: 'sample_infohashes',
        target: idField(args, 'target', 'a.target'),
      };
    default: {
      const target = args.get('target') ?? args.get('info_hash');
      return {
        ...common,
        method: 'unknown',
        name: name.slice(0, 64),
        ...(target instanceof Uint8Array && target.length === NODE_ID_LENGTH ? { target } : {}),
      };
    }
  }
}

function decodeResponse(
  bytes: Uint8Array,
  message: BencodeDictionary,
  transactionId: Uint8Array,
  version: Uint8Array | undefined,
  readOnly: boolean,
): KrpcResponse {
  const r = asDictionary(message.get('r'), 'r');
  const response: KrpcResponse = { kind: 'response', transactionId, id: idField(r, 'id', 'r.id') };
  if (readOnly) response.readOnly = true;
  if (version) response.version = version;
  const ip = parseIp(message.get('ip')) ?? parseIp(r.get('ip'));
  if (ip) response.ip = ip;
  const nodes = optionalBytes(r, 'nodes', 'r.nodes');
  if (nodes) response.nodes = decodeCompactNodes(nodes, 4, 'r.nodes');
  const nodes6 = optionalBytes(r, 'nodes6', 'r.nodes6');
  if (nodes6) response.nodes6 = decodeCompactNodes(nodes6, 6, 'r.nodes6');
  const values = r.get('values');
  if (values !== undefined) {
    if (!Array.isArray(values)) fail('r.values', 'expected a list');
    const peers: PeerAddress[] = [];
    for (const value of values) {
      // Entries of the wrong length are skipped, as other nodes do: one bad peer is no reason
      // to drop the others.
      if (value instanceof Uint8Array && (value.length === 6 || value.length === 18)) {
        peers.push(decodeCompactPeer(value));
      }
    }
    response.values = peers;
  }
  const token = optionalBytes(r, 'token', 'r.token');
  if (token) response.token = token;
  const samples = optionalBytes(r, 'samples', 'r.samples');
  if (samples) {
    if (samples.length % 20 !== 0) fail('r.samples', 'expected a multiple of 20 bytes');
    response.samples = [];
    for (let offset = 0; offset < samples.length; offset += 20) {
      response.samples.push(samples.subarray(offset, offset + 20));
    }
  }
  const interval = optionalInteger(r, 'interval', 'r.interval');
  if (interval !== undefined) response.interval = interval;
  const num = optionalInteger(r, 'num', 'r.num');
  if (num !== undefined) response.num = num;
  if (r.has('v')) response.value = verbatim(bytes, ['r', 'v'], 'r.v');
  const key = optionalBytes(r, 'k', 'r.k');
  if (key) response.key = key;
  const signature = optionalBytes(r, 'sig', 'r.sig');
  if (signature) response.signature = signature;
  const seq = optionalInteger(r, 'seq', 'r.seq');
  if (seq !== undefined) response.seq = seq;
  const seedsBloom = optionalBytes(r, 'BFsd', 'r.BFsd');
  if (seedsBloom) {
    if (seedsBloom.length !== 256) fail('r.BFsd', 'expected 256 bytes');
    response.seedsBloom = seedsBloom;
  }
  const peersBloom = optionalBytes(r, 'BFpe', 'r.BFpe');
  if (peersBloom) {
    if (peersBloom.length !== 256) fail('r.BFpe', 'expected 256 bytes');
    response.peersBloom = peersBloom;
  }
  return response;
}

/**
 * Writes bencode straight into one buffer. KRPC messages have a fixed shape, so the encoder
 * writes their keys in sorted order by hand instead of building and sorting a generic value.
 */
const EMPTY = new Uint8Array(0);

class Writer {
  bytes: Uint8Array;
  /** Where the message begins in `bytes` (a pool's slab is shared by many messages). */
  start: number;
  length: number;
  #pool: BytePool | undefined;
  /** Still writing into the pool's slab (not grown out of it). */
  #pooled: boolean;

  constructor(capacity: number, pool?: BytePool) {
    this.bytes = EMPTY;
    this.start = 0;
    this.length = 0;
    this.#pooled = false;
    this.reset(capacity, pool);
  }

  /** Starts a new message (a pool keeps one writer for all of its messages). */
  reset(capacity: number, pool?: BytePool): void {
    this.#pool = pool;
    if (pool) {
      this.bytes = pool.reserve(capacity);
      this.start = pool.offset;
      this.#pooled = true;
    } else {
      this.bytes = new Uint8Array(capacity);
      this.start = 0;
      this.#pooled = false;
    }
    this.length = this.start;
  }

  #reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    // Grown out of the pool: a buffer of its own, the message copied to its start.
    const used = this.length - this.start;
    const grown = new Uint8Array(Math.max(used * 2, used + extra, 64));
    grown.set(this.bytes.subarray(this.start, this.length));
    this.bytes = grown;
    this.start = 0;
    this.length = used;
    this.#pooled = false;
  }

  raw(text: string): void {
    this.#reserve(text.length);
    for (let i = 0; i < text.length; i++) this.bytes[this.length++] = text.charCodeAt(i);
  }

  rawBytes(bytes: Uint8Array): void {
    const length = bytes.length;
    this.#reserve(length);
    const out = this.bytes;
    let at = this.length;
    // A few bytes (a transaction id) copy faster by hand than through `set`.
    if (length <= 8) for (let i = 0; i < length; i++) out[at++] = bytes[i]!;
    else {
      out.set(bytes, at);
      at += length;
    }
    this.length = at;
  }

  /** A length's decimal digits (a non-negative integer), without building a string. */
  decimal(value: number): void {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.#reserve(digits);
    const end = this.length + digits;
    let at = end;
    let rest = value;
    do {
      this.bytes[--at] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    this.length = end;
  }

  string(bytes: Uint8Array): void {
    const length = bytes.length;
    if (length < 100) {
      // Ids, tokens, transaction ids, compact addresses: one or two digits, written here.
      this.#reserve(3 + length);
      if (length >= 10) this.bytes[this.length++] = 0x30 + ((length / 10) | 0);
      this.bytes[this.length++] = 0x30 + (length % 10);
    } else {
      this.decimal(length);
      this.#reserve(1);
    }
    this.bytes[this.length++] = 0x3a; // ':'
    this.rawBytes(bytes);
  }

  text(text: string): void {
    this.string(new TextEncoder().encode(text));
  }

  integer(value: number): void {
    this.raw(`i${Math.trunc(value)}e`);
  }

  /** A key (ASCII, given with its length prefix, e.g. `2:id`) and a byte-string value. */
  entry(key: string, bytes: Uint8Array | undefined): void {
    if (bytes === undefined) return;
    this.raw(key);
    this.string(bytes);
  }

  integerEntry(key: string, value: number | undefined): void {
    if (value === undefined) return;
    this.raw(key);
    this.integer(value);
  }

  /** Compact node info of one family, written in place (no intermediate buffer). */
  nodesEntry(key: string, nodes: readonly NodeContact[], family: 4 | 6): void {
    const size = family === 4 ? 26 : 38;
    let count = 0;
    for (const node of nodes) if (node.address.family === family) count++;
    this.raw(key);
    this.decimal(count * size);
    this.raw(':');
    this.#reserve(count * size);
    for (const node of nodes) {
      if (node.address.family !== family) continue;
      if (node.compact && node.compact.length === size) {
        this.rawBytes(node.compact);
      } else {
        this.rawBytes(node.id.subarray(0, NODE_ID_LENGTH));
        this.rawBytes(compactAddress(node.address));
      }
    }
  }

  /** A key and an address's compact bytes (6 or 18), written in place. */
  addressEntry(key: string, address: PeerAddress | undefined): void {
    if (address === undefined) return;
    this.raw(key);
    this.#reserve(3 + 18);
    const bytes = this.bytes;
    const at = this.length;
    if (address.family === 4 && writeIPv4(address.host, bytes, at + 2)) {
      bytes[at] = 0x36; // '6:'
      bytes[at + 1] = 0x3a;
      bytes[at + 6] = address.port >> 8;
      bytes[at + 7] = address.port & 0xff;
      this.length = at + 8;
      return;
    }
    this.string(compactAddress(address));
  }

  /** A bencoded value, verbatim (BEP 44 `v`). */
  valueEntry(key: string, bytes: Uint8Array | undefined): void {
    if (bytes === undefined) return;
    this.raw(key);
    this.rawBytes(bytes);
  }

  result(): Uint8Array {
    if (this.#pooled) this.#pool!.advance(this.length);
    return this.bytes.subarray(this.start, this.length);
  }
}

/**
 * Hands out views of one large buffer for encoded messages, as Node's `Buffer` pool does: a view
 * costs far less than a buffer of its own, which matters at one message per query served. A view
 * handed out is never written again; the buffer goes when its last view does.
 */
export class BytePool {
  readonly #size: number;
  #slab: Uint8Array;
  #offset = 0;
  #writer: Writer | undefined;

  constructor(size = 64 * 1024) {
    this.#size = size;
    this.#slab = new Uint8Array(size);
  }

  /** The pool's one writer, reset for a message of about `capacity` bytes. */
  writer(capacity: number): Writer {
    if (this.#writer === undefined) this.#writer = new Writer(capacity, this);
    else this.#writer.reset(capacity, this);
    return this.#writer;
  }

  /** Where the next message begins in the slab `reserve` returns. */
  get offset(): number {
    return this.#offset;
  }

  /** Room for `capacity` bytes; only what `commit` keeps is used up. */
  take(capacity: number): Uint8Array {
    const slab = this.reserve(capacity);
    return slab.subarray(this.#offset, this.#offset + capacity);
  }

  /**
   * The slab, with room for `capacity` bytes from `offset` (no view made: the writer writes
   * into the slab at `offset`).
   */
  reserve(capacity: number): Uint8Array {
    if (this.#offset + capacity > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(this.#size, capacity));
      this.#offset = 0;
    }
    return this.#slab;
  }

  /** Marks `used` (a view from the last `take` or `reserve`, possibly shorter) as handed out. */
  commit(used: Uint8Array): void {
    if (used.buffer !== this.#slab.buffer) return;
    this.advance(used.byteOffset - this.#slab.byteOffset + used.length);
  }

  /** Marks the slab up to `end` as handed out (what `reserve` was written up to). */
  advance(end: number): void {
    this.#offset = (end + 7) & ~7;
  }
}

function compactPeer(address: PeerAddress): Uint8Array {
  return compactAddress(address);
}

/** Room for a message: exact enough that the writer seldom grows, small enough to be cheap. */
function estimateLength(message: KrpcMessage): number {
  let length = 96;
  if (message.kind === 'response') {
    if (message.nodes) length += 8 + message.nodes.length * 26;
    if (message.nodes6) length += 8 + message.nodes6.length * 38;
    if (message.values) length += 12 + message.values.length * 20;
    if (message.samples) length += 12 + message.samples.length * 20;
    if (message.peersBloom) length += 530;
    if (message.value) length += message.value.length + 160;
    if (message.token) length += message.token.length;
  } else if (message.kind === 'query') {
    if (message.method === 'put') length += message.value.length + 200;
  } else {
    length += message.message.length * 3;
  }
  return length;
}

/**
 * Encodes one KRPC message. `version` is our client's `v` (4 bytes by convention); with a
 * `pool`, the bytes are a view of its buffer (see `BytePool`).
 */
export function encodeKrpc(
  message: KrpcMessage,
  version?: Uint8Array,
  pool?: BytePool,
): Uint8Array {
  const capacity = estimateLength(message);
  const w = pool ? pool.writer(capacity) : new Writer(capacity);
  w.raw('d');
  switch (message.kind) {
    case 'query': {
      // Keys in byte order: a, q, ro, t, v, y.
      w.raw('1:ad');
      if (message.method === 'put') w.integerEntry('3:cas', message.cas);
      w.entry('2:id', message.id);
      switch (message.method) {
        case 'ping':
          break;
        case 'find_node':
        case 'sample_infohashes':
          w.entry('6:target', message.target);
          break;
        case 'get_peers':
          w.entry('9:info_hash', message.infoHash);
          if (message.noSeed) w.integerEntry('6:noseed', 1);
          if (message.scrape) w.integerEntry('6:scrape', 1);
          break;
        case 'announce_peer':
          if (message.impliedPort) w.integerEntry('12:implied_port', 1);
          w.entry('9:info_hash', message.infoHash);
          w.integerEntry('4:port', message.port);
          if (message.seed) w.integerEntry('4:seed', 1);
          w.entry('5:token', message.token);
          break;
        case 'get':
          w.integerEntry('3:seq', message.seq);
          w.entry('6:target', message.target);
          break;
        case 'put':
          w.entry('1:k', message.key);
          if (message.salt && message.salt.length > 0) w.entry('4:salt', message.salt);
          w.integerEntry('3:seq', message.seq);
          w.entry('3:sig', message.signature);
          w.entry('5:token', message.token);
          // Only canonical bencode goes out, so its bytes are its value.
          w.valueEntry('1:v', encode(decode(message.value)));
          break;
        case 'unknown':
          w.entry('6:target', message.target);
          break;
      }
      if (message.want) {
        w.raw('4:wantl');
        if (message.want.v4) w.raw('2:n4');
        if (message.want.v6) w.raw('2:n6');
        w.raw('e');
      }
      w.raw('e1:q');
      w.text(message.method === 'unknown' ? message.name : message.method);
      if (message.readOnly) w.integerEntry('2:ro', 1);
      w.entry('1:t', message.transactionId);
      w.entry('1:v', version);
      w.raw('1:y1:q');
      break;
    }
    case 'response': {
      // Keys in byte order: ip, r, ro, t, v, y; inside r: BFpe, BFsd, id, interval, k, nodes,
      // nodes6, num, samples, seq, sig, token, v, values.
      w.addressEntry('2:ip', message.ip);
      w.raw('1:rd');
      w.entry('4:BFpe', message.peersBloom);
      w.entry('4:BFsd', message.seedsBloom);
      w.entry('2:id', message.id);
      w.integerEntry('8:interval', message.interval);
      w.entry('1:k', message.key);
      if (message.nodes) w.nodesEntry('5:nodes', message.nodes, 4);
      if (message.nodes6) w.nodesEntry('6:nodes6', message.nodes6, 6);
      w.integerEntry('3:num', message.num);
      if (message.samples) w.entry('7:samples', concat(message.samples));
      w.integerEntry('3:seq', message.seq);
      w.entry('3:sig', message.signature);
      w.entry('5:token', message.token);
      w.valueEntry('1:v', message.value && encode(decode(message.value)));
      if (message.values) {
        w.raw('6:valuesl');
        for (const peer of message.values) w.string(compactPeer(peer));
        w.raw('e');
      }
      w.raw('e');
      if (message.readOnly) w.integerEntry('2:ro', 1);
      w.entry('1:t', message.transactionId);
      w.entry('1:v', version);
      w.raw('1:y1:r');
      break;
    }
    case 'error':
      w.raw('1:eli');
      w.raw(`${Math.trunc(message.code)}e`);
      w.text(message.message);
      w.raw('e');
      w.addressEntry('2:ip', message.ip);
      w.entry('1:t', message.transactionId);
      w.entry('1:v', version);
      w.raw('1:y1:e');
      break;
  }
  w.raw('e');
  return w.result();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * Whether a datagram on a shared UDP socket is the DHT's: KRPC messages are bencoded
 * dictionaries (`d`), which neither uTP (a version nibble of 1) nor UDP tracker packets (a
 * 32-bit action or connection id) start with.
 */
export function isKrpcDatagram(bytes: Uint8Array): boolean {
  return bytes.length > 1 && bytes[0] === 0x64;
}
