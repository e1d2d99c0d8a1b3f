/**
 * Peer addresses and their compact forms: 6 bytes for IPv4 (BEP 23) and 18 bytes for IPv6
 * (BEP 7), as trackers, PEX (BEP 11) and the DHT (BEP 5) carry them. Pure: no `node:net`.
 */
import { PrimitivesError } from './errors.js';

export type AddressFamily = 4 | 6;

export interface PeerAddress {
  /** Dotted IPv4 (`192.0.2.1`) or compressed lowercase IPv6 (`2001:db8::1`). */
  host: string;
  port: number;
  family: AddressFamily;
}

export const COMPACT_IPV4_LENGTH = 6;
export const COMPACT_IPV6_LENGTH = 18;

/** Parses `host:port`, `[v6]:port`; throws a typed error on anything else. */
export function parsePeerAddress(text: string): PeerAddress {
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text);
  const plain = /^([^:\s]+):(\d{1,5})$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) {
    throw new PrimitivesError(
      'invalid-address',
      `expected HOST:PORT or [IPv6]:PORT, got ${JSON.stringify(text)}`,
    );
  }
  const host = match[1]!;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) {
    throw new PrimitivesError('invalid-address', `port ${port} is out of range 1-65535`);
  }
  if (bracketed) return { host: formatIPv6(parseIPv6(host)), port, family: 6 };
  if (isIPv4(host)) return { host, port, family: 4 };
  // A host name: resolved by the transport, carried as IPv4-family by convention.
  if (/^[A-Za-z0-9.-]+$/.test(host)) return { host, port, family: 4 };
  throw new PrimitivesError(
    'invalid-address',
    `not a host name or IP address: ${JSON.stringify(host)}`,
  );
}

export function formatPeerAddress(address: PeerAddress): string {
  return address.family === 6
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return (
    parts.length === 4 &&
    parts.every(
      (part) => /^\d{1,3}$/.test(part) && Number(part) <= 255 && (part === '0' || part[0] !== '0'),
    )
  );
}

/**
 * Writes a dotted-quad IPv4 address into `out` at `offset` without allocating: the fast path of
 * compact encoders (per peer, per datagram). False when `text` is not four decimal parts of at
 * most 255 (`out` may then hold some of its bytes): callers fall back to `parseIPv4` or the
 * IPv6 path, which decide.
 */
export function writeIPv4(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || part === 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= 0x30 && code <= 0x39 && digits < 3) {
      value = value * 10 + code - 0x30;
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  if (part !== 3 || digits === 0) return false;
  out[offset + 3] = value;
  return true;
}

export function parseIPv4(text: string): Uint8Array {
  if (!isIPv4(text))
    throw new PrimitivesError('invalid-address', `not an IPv4 address: ${JSON.stringify(text)}`);
  return Uint8Array.from(text.split('.').map(Number));
}

/** Parses any textual IPv6 form (with `::`, with an embedded IPv4 tail) into 16 bytes. */
export function parseIPv6(text: string): Uint8Array {
  const fail = (): never => {
    throw new PrimitivesError('invalid-address', `not an IPv6 address: ${JSON.stringify(text)}`);
  };
  let head = text;
  const tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.')) {
    const v4 = head.slice(lastColon + 1);
    if (!isIPv4(v4)) fail();
    const b = parseIPv4(v4);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    head = head.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) fail();
  const parseGroups = (part: string): number[] =>
    part === ''
      ? []
      : part
          .split(':')
          .map((group) => (/^[0-9a-fA-F]{1,4}$/.test(group) ? Number.parseInt(group, 16) : fail()));
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  const total = left.length + right.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (total > 7) fail();
    groups = [...left, ...new Array<number>(8 - total).fill(0), ...right, ...tail];
  } else {
    if (total !== 8) fail();
    groups = [...left, ...tail];
  }
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** RFC 5952 text of 16 bytes: lowercase, longest zero run compressed. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Decodes concatenated 6-byte (family 4) or 18-byte (family 6) compact peers. */
export function decodeCompactPeers(bytes: Uint8Array, family: AddressFamily): PeerAddress[] {
  const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
  if (bytes.length % size !== 0) {
    throw new PrimitivesError(
      'invalid-compact-length',
      `compact IPv${family} peers come in ${size}-byte entries; got ${bytes.length} bytes`,
    );
  }
  const peers: PeerAddress[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    peers.push(decodeCompactPeer(bytes.subarray(offset, offset + size)));
  }
  return peers;
}

/** Decodes one compact peer; its family follows from its length (6 or 18). */
export function decodeCompactPeer(bytes: Uint8Array): PeerAddress {
  if (bytes.length === COMPACT_IPV4_LENGTH) {
    return {
      host: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`,
      port: (bytes[4]! << 8) | bytes[5]!,
      family: 4,
    };
  }
  if (bytes.length === COMPACT_IPV6_LENGTH) {
    return {
      host: formatIPv6(bytes.subarray(0, 16)),
      port: (bytes[16]! << 8) | bytes[17]!,
      family: 6,
    };
  }
  throw new PrimitivesError(
    'invalid-compact-length',
    `a compact peer is 6 or 18 bytes; got ${bytes.length}`,
  );
}

/** Encodes one peer as 6 or 18 bytes; the host must be an IP literal of its family. */
export function encodeCompactPeer(address: PeerAddress): Uint8Array {
  if (!Number.isInteger(address.port) || address.port < 0 || address.port > 65535) {
    throw new PrimitivesError('invalid-address', `port ${address.port} is out of range`);
  }
  const ip = address.family === 4 ? parseIPv4(address.host) : parseIPv6(address.host);
  const bytes = new Uint8Array(ip.length + 2);
  bytes.set(ip);
  bytes[ip.length] = address.port >> 8;
  bytes[ip.length + 1] = address.port & 0xff;
  return bytes;
}

/** Encodes peers of one family into one compact string. */
export function encodeCompactPeers(
  addresses: readonly PeerAddress[],
  family: AddressFamily,
): Uint8Array {
  const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
  const bytes = new Uint8Array(addresses.length * size);
  addresses.forEach((address, index) => {
    if (address.family !== family) {
      throw new PrimitivesError(
        'invalid-address',
        `${address.host} is not an IPv${family} address`,
      );
    }
    bytes.set(encodeCompactPeer(address), index * size);
  });
  return bytes;
}
