/**
 * Node ids (BEP 5: 160-bit, XOR metric), compact node info (BEP 5: 26 bytes for IPv4, BEP 32:
 * 38 for IPv6) and BEP 42's tie between a node's id and its IP address.
 */
import {
  type AddressFamily,
  type PeerAddress,
  decodeCompactPeer,
  encodeCompactPeer,
  parseIPv4,
  parseIPv6,
  writeIPv4,
} from '@bt/primitives';
import { DhtError } from './errors.js';
import { crc32c } from '@bt/hash';

export type NodeId = Uint8Array;
export const NODE_ID_LENGTH = 20;
export const COMPACT_NODE_IPV4_LENGTH = 26;
export const COMPACT_NODE_IPV6_LENGTH = 38;

/** A node as KRPC carries it: an id and where it listens. */
export interface NodeContact {
  id: NodeId;
  address: PeerAddress;
  /** Its compact node info (26 or 38 bytes) when already encoded, so replies skip the work. */
  compact?: Uint8Array;
}

/** Negative, zero or positive as `a` is closer to `target` than `b`, as close, or farther. */
export function compareDistance(target: NodeId, a: NodeId, b: NodeId): number {
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/** How many leading bits `a` and `b` share (160 when equal). */
export function commonPrefixLength(a: NodeId, b: NodeId): number {
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return NODE_ID_LENGTH * 8;
}

export function idsEqual(a: NodeId, b: NodeId): boolean {
  for (let i = 0; i < NODE_ID_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A key for maps: the id's 20 bytes as a Latin-1 string (cheap, not for display). */
export function idKey(id: Uint8Array): string {
  return String.fromCharCode.apply(null, id as unknown as number[]);
}

/**
 * A random id sharing exactly `prefixLength` leading bits with `base` (the next bit differs):
 * the target of a bucket refresh. `prefixLength` 160 returns a copy of `base`.
 */
export function randomIdInBucket(base: NodeId, prefixLength: number, random: Uint8Array): NodeId {
  const id = Uint8Array.from(random.subarray(0, NODE_ID_LENGTH));
  if (prefixLength >= NODE_ID_LENGTH * 8) return Uint8Array.from(base);
  const whole = prefixLength >> 3;
  for (let i = 0; i < whole; i++) id[i] = base[i]!;
  const bit = prefixLength & 7;
  const keep = (0xff00 >> bit) & 0xff;
  const flip = 0x80 >> bit;
  id[whole] = (base[whole]! & keep) | (~base[whole]! & flip) | (id[whole]! & ~(keep | flip) & 0xff);
  return id;
}

/** The IP bytes of an address literal (4 or 16). */
export function ipBytes(address: PeerAddress): Uint8Array {
  if (address.family === 4) return ipv4Bytes(address.host) ?? parseIPv4(address.host);
  return parseIPv6(address.host);
}

/** 6 or 18 compact bytes of an address (BEP 5), through the fast IPv4 path. */
export function compactAddress(address: PeerAddress): Uint8Array {
  const ip = ipBytes(address);
  const out = new Uint8Array(ip.length + 2);
  out.set(ip);
  out[ip.length] = address.port >> 8;
  out[ip.length + 1] = address.port & 0xff;
  return out;
}

/**
 * Writes the 6 or 18 compact bytes of an address (BEP 5) into `out` at `offset` (room
 * checked by the caller) and returns how many; a dotted quad is parsed straight into `out`.
 */
export function writeCompactAddress(address: PeerAddress, out: Uint8Array, offset: number): number {
  if (address.family === 4 && writeIPv4(address.host, out, offset)) {
    out[offset + 4] = address.port >> 8;
    out[offset + 5] = address.port & 0xff;
    return 6;
  }
  const compact = compactAddress(address);
  out.set(compact, offset);
  return compact.length;
}

/** Dotted quad to bytes in one pass (the hot path: every query and table insert); undefined if not one. */
function ipv4Bytes(host: string): Uint8Array | undefined {
  const bytes = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || part === 3) return undefined;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39 && digits < 3) {
      value = value * 10 + code - 0x30;
      digits++;
      if (value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (part !== 3 || digits === 0) return undefined;
  bytes[3] = value;
  return bytes;
}

/**
 * BEP 42: loopback, private, link-local and unique-local addresses are exempt from the id
 * rules and from the one-node-per-IP limits, so a DHT on one machine or one LAN works.
 */
export function isLocalAddress(host: string): boolean {
  const v4 = ipv4Bytes(host);
  if (v4) return isLocalIp(v4);
  try {
    return isLocalIp(parseIPv6(host));
  } catch {
    return false;
  }
}

/** `isLocalAddress` over raw IP bytes (4 or 16). */
export function isLocalIp(ip: Uint8Array): boolean {
  if (ip.length === 4) {
    const a = ip[0]!;
    const b = ip[1]!;
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  let zeros = true;
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) zeros = false;
  if (zeros && (ip[15] === 1 || ip[15] === 0)) return true; // ::1, ::
  let mapped = true;
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) mapped = false;
  if (mapped && ip[10] === 0xff && ip[11] === 0xff) return isLocalIp(ip.subarray(12));
  return (ip[0]! & 0xfe) === 0xfc || (ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80);
}

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

function bep42Prefix(ip: Uint8Array, r: number): number {
  const octets = ip.length === 4 ? 4 : 8;
  const mask = octets === 4 ? V4_MASK : V6_MASK;
  const masked = new Uint8Array(octets);
  for (let i = 0; i < octets; i++) masked[i] = ip[i]! & mask[i]!;
  masked[0] = masked[0]! | ((r & 7) << 5);
  return crc32c(masked);
}

/** BEP 42: a node id valid for the external IP `ip` (4 or 16 bytes), from 20 random bytes. */
export function nodeIdForIp(ip: Uint8Array, random: Uint8Array): NodeId {
  const id = Uint8Array.from(random.subarray(0, NODE_ID_LENGTH));
  const r = id[19]! & 7;
  const crc = bep42Prefix(ip, r);
  id[0] = (crc >>> 24) & 0xff;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = ((crc >>> 8) & 0xf8) | (id[2]! & 7);
  return id;
}

/** BEP 42: whether `id`'s first 21 bits match what the IP allows (local addresses always pass). */
export function isValidNodeIdForAddress(id: NodeId, address: PeerAddress): boolean {
  return isValidNodeIdForIp(id, ipBytes(address));
}

/** `isValidNodeIdForAddress` over raw IP bytes. */
export function isValidNodeIdForIp(id: NodeId, ip: Uint8Array): boolean {
  if (isLocalIp(ip)) return true;
  const crc = bep42Prefix(ip, id[19]! & 7);
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    (id[2]! & 0xf8) === ((crc >>> 8) & 0xf8)
  );
}

/** Decodes BEP 5 compact node info: 26-byte (family 4) or 38-byte (family 6) entries. */
export function decodeCompactNodes(
  bytes: Uint8Array,
  family: AddressFamily,
  field: string,
): NodeContact[] {
  const size = family === 4 ? COMPACT_NODE_IPV4_LENGTH : COMPACT_NODE_IPV6_LENGTH;
  if (bytes.length % size !== 0) {
    throw new DhtError(
      'malformed-message',
      `${field}: compact IPv${family} nodes come in ${size}-byte entries; got ${bytes.length} bytes`,
      { field },
    );
  }
  const nodes: NodeContact[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    nodes.push({
      id: bytes.subarray(offset, offset + NODE_ID_LENGTH),
      address: decodeCompactPeer(bytes.subarray(offset + NODE_ID_LENGTH, offset + size)),
      compact: bytes.subarray(offset, offset + size),
    });
  }
  return nodes;
}

/** Encodes nodes of one family (others are skipped) as compact node info. */
export function encodeCompactNodes(
  nodes: readonly NodeContact[],
  family: AddressFamily,
): Uint8Array {
  const size = family === 4 ? COMPACT_NODE_IPV4_LENGTH : COMPACT_NODE_IPV6_LENGTH;
  let count = 0;
  for (const node of nodes) if (node.address.family === family) count++;
  const bytes = new Uint8Array(count * size);
  let offset = 0;
  for (const node of nodes) {
    if (node.address.family !== family) continue;
    if (node.compact && node.compact.length === size) {
      bytes.set(node.compact, offset);
    } else {
      bytes.set(node.id.subarray(0, NODE_ID_LENGTH), offset);
      bytes.set(encodeCompactPeer(node.address), offset + NODE_ID_LENGTH);
    }
    offset += size;
  }
  return bytes;
}
