/**
 * Node ids (BEP 5: 160-bit, XOR metric), compact node info (BEP 5: 26 bytes for IPv4, BEP 32:
 * 38 for IPv6) and BEP 42's tie between a node's id and its IP address.
 */
import {
  type AddressFamily,
  type PeerAddress,
  decodeCompactPeer,
  encodeCompactPeer,
  isIPv4,
  parseIPv4,
  parseIPv6,
} from '@bt/primitives';
import { DhtError } from './errors.js';
import { crc32c } from './hash.js';

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
  return address.family === 4 ? parseIPv4(address.host) : parseIPv6(address.host);
}

/**
 * BEP 42: loopback, private, link-local and unique-local addresses are exempt from the id
 * rules and from the one-node-per-IP limits, so a DHT on one machine or one LAN works.
 */
export function isLocalAddress(host: string): boolean {
  if (isIPv4(host)) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      a === 0
    );
  }
  const lower = host.toLowerCase();
  if (lower === '::1' || lower === '::') return true;
  if (lower.startsWith('::ffff:')) return isLocalAddress(lower.slice(7));
  return /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
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
  if (isLocalAddress(address.host)) return true;
  const crc = bep42Prefix(ipBytes(address), id[19]! & 7);
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
