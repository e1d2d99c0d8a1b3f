/**
 * The KRPC codec (BEP 5), pure over `Uint8Array`: queries (`ping`, `find_node`, `get_peers`,
 * `announce_peer`, BEP 44 `get`/`put`, BEP 51 `sample_infohashes`), responses and errors, with
 * the `ip` key (BEP 42), `ro` (BEP 43), `want`/`nodes6` (BEP 32) and the BEP 33 scrape fields.
 * Bad input is a `DhtError` of code `malformed-message` naming the offending field.
 */
import {
  type BencodeDictionary,
  type BencodeValue,
  type EncodableValue,
  decode,
  encode,
  locate,
} from '@bt/bencode';
import { type PeerAddress, decodeCompactPeer, encodeCompactPeer } from '@bt/primitives';
import { DhtError } from './errors.js';
import {
  type NodeContact,
  NODE_ID_LENGTH,
  decodeCompactNodes,
  encodeCompactNodes,
} from './node-id.js';

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

function methodName(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
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
  const common: QueryCommon = { kind: 'query', transactionId, id: idField(args, 'id', 'a.id') };
  if (readOnly) common.readOnly = true;
  if (version) common.version = version;
  const want = parseWant(args);
  if (want) common.want = want;
  switch (name) {
    case 'ping':
      return { ...common, method: 'ping' };
    case 'find_node':
      return { ...common, method: 'find_node', target: idField(args, 'target', 'a.target') };
    case 'get_peers':
      return {
        ...common,
        method: 'get_peers',
        infoHash: idField(args, 'info_hash', 'a.info_hash'),
        noSeed: flag(args, 'noseed'),
        scrape: flag(args, 'scrape'),
      };
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

const WANT_V4 = new TextEncoder().encode('n4');
const WANT_V6 = new TextEncoder().encode('n6');

/** Encodes one KRPC message. `version` is our client's `v` (4 bytes by convention). */
export function encodeKrpc(message: KrpcMessage, version?: Uint8Array): Uint8Array {
  const root: Record<string, EncodableValue | undefined> = { t: message.transactionId };
  if (version) root['v'] = version;
  switch (message.kind) {
    case 'query': {
      root['y'] = 'q';
      if (message.readOnly) root['ro'] = 1;
      const args: Record<string, EncodableValue | undefined> = { id: message.id };
      if (message.want) {
        const want: Uint8Array[] = [];
        if (message.want.v4) want.push(WANT_V4);
        if (message.want.v6) want.push(WANT_V6);
        args['want'] = want;
      }
      switch (message.method) {
        case 'ping':
          break;
        case 'find_node':
        case 'sample_infohashes':
          args['target'] = message.target;
          break;
        case 'get_peers':
          args['info_hash'] = message.infoHash;
          if (message.noSeed) args['noseed'] = 1;
          if (message.scrape) args['scrape'] = 1;
          break;
        case 'announce_peer':
          args['info_hash'] = message.infoHash;
          args['port'] = message.port;
          args['token'] = message.token;
          if (message.impliedPort) args['implied_port'] = 1;
          if (message.seed) args['seed'] = 1;
          break;
        case 'get':
          args['target'] = message.target;
          if (message.seq !== undefined) args['seq'] = message.seq;
          break;
        case 'put':
          args['token'] = message.token;
          args['v'] = decode(message.value);
          args['k'] = message.key;
          args['sig'] = message.signature;
          args['salt'] = message.salt;
          args['seq'] = message.seq;
          args['cas'] = message.cas;
          break;
        case 'unknown':
          args['target'] = message.target;
          break;
      }
      root['q'] = message.method === 'unknown' ? message.name : message.method;
      root['a'] = args;
      break;
    }
    case 'response': {
      root['y'] = 'r';
      if (message.readOnly) root['ro'] = 1;
      if (message.ip) root['ip'] = encodeCompactPeer(message.ip);
      const r: Record<string, EncodableValue | undefined> = { id: message.id };
      if (message.nodes) r['nodes'] = encodeCompactNodes(message.nodes, 4);
      if (message.nodes6) r['nodes6'] = encodeCompactNodes(message.nodes6, 6);
      if (message.values) r['values'] = message.values.map((peer) => encodeCompactPeer(peer));
      r['token'] = message.token;
      if (message.samples) r['samples'] = concat(message.samples);
      r['interval'] = message.interval;
      r['num'] = message.num;
      if (message.value) r['v'] = decode(message.value);
      r['k'] = message.key;
      r['sig'] = message.signature;
      r['seq'] = message.seq;
      r['BFsd'] = message.seedsBloom;
      r['BFpe'] = message.peersBloom;
      root['r'] = r;
      break;
    }
    case 'error':
      root['y'] = 'e';
      if (message.ip) root['ip'] = encodeCompactPeer(message.ip);
      root['e'] = [message.code, message.message];
      break;
  }
  return encode(root);
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
