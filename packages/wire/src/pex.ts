/**
 * BEP 11 `ut_pex` payloads: peers a peer has connected to (`added`, with a flags byte each in
 * `added.f`) and disconnected from (`dropped`) since its last message, as compact addresses;
 * `added6`, `added6.f` and `dropped6` carry the IPv6 ones (BEP 7 compact form).
 */
import { type BencodeValue, decode, encode, isBytes, isDictionary } from '@bt/bencode';
import { decodeCompactPeers, encodeCompactPeers, type PeerAddress } from '@bt/primitives';
import { WireProtocolError } from './errors.js';

/** BEP 11 flags of an added peer. */
export const PexFlags = {
  /** The peer prefers encrypted connections. */
  encryption: 0x01,
  /** The peer is a seed or upload-only. */
  seed: 0x02,
  /** The peer supports uTP (BEP 29). */
  utp: 0x04,
  /** The peer supports `ut_holepunch` (BEP 55). */
  holepunch: 0x08,
  /** The sender reached the peer with an outgoing connection, so it is connectable. */
  reachable: 0x10,
} as const;

export interface PexPeer extends PeerAddress {
  /** The `PexFlags` bits sent for it (0 when the sender sent none). */
  readonly flags: number;
}

export interface PexMessage {
  /** Peers added since the last message, IPv4 and IPv6 together (see each one's `family`). */
  readonly added: readonly PexPeer[];
  /** Peers dropped since the last message. */
  readonly dropped: readonly PeerAddress[];
}

export interface PexMessageInit {
  added?: readonly (PeerAddress & { flags?: number })[];
  dropped?: readonly PeerAddress[];
}

/** Encodes a `ut_pex` payload; absent lists are written as empty strings where BEP 11 expects them. */
export function encodePexMessage(message: PexMessageInit): Uint8Array {
  const added = message.added ?? [];
  const dropped = message.dropped ?? [];
  const added4 = added.filter((peer) => peer.family === 4);
  const added6 = added.filter((peer) => peer.family === 6);
  const dictionary: Record<string, Uint8Array> = {
    added: encodeCompactPeers(added4, 4),
    'added.f': Uint8Array.from(added4, (peer) => (peer.flags ?? 0) & 0xff),
    dropped: encodeCompactPeers(
      dropped.filter((peer) => peer.family === 4),
      4,
    ),
  };
  const dropped6 = dropped.filter((peer) => peer.family === 6);
  if (added6.length > 0 || dropped6.length > 0) {
    dictionary.added6 = encodeCompactPeers(added6, 6);
    dictionary['added6.f'] = Uint8Array.from(added6, (peer) => (peer.flags ?? 0) & 0xff);
    dictionary.dropped6 = encodeCompactPeers(dropped6, 6);
  }
  return encode(dictionary);
}

/**
 * Decodes a `ut_pex` payload. Missing keys are empty lists; a flags string shorter than its
 * address list leaves the rest at 0.
 * @throws WireProtocolError `invalid-pex-message` when the payload is not a dictionary or an address list is not a whole number of compact addresses.
 */
export function decodePexMessage(payload: Uint8Array): PexMessage {
  let value: BencodeValue;
  try {
    value = decode(payload, { maxDepth: 8 });
  } catch (error) {
    throw invalid('the payload is not valid bencode', error);
  }
  if (!isDictionary(value)) throw invalid('the payload is not a dictionary');
  const list = (key: string, family: 4 | 6): PeerAddress[] => {
    const bytes = value.get(key);
    if (bytes === undefined) return [];
    if (!isBytes(bytes)) throw invalid(`${key} is not a byte string`);
    const size = family === 4 ? 6 : 18;
    if (bytes.length % size !== 0)
      throw invalid(`${key} is ${bytes.length} bytes, not a multiple of ${size}`);
    return decodeCompactPeers(bytes, family);
  };
  const flagged = (peers: PeerAddress[], key: string): PexPeer[] => {
    const flags = value.get(key);
    const bytes = flags !== undefined && isBytes(flags) ? flags : undefined;
    return peers.map((peer, i) => ({ ...peer, flags: bytes?.[i] ?? 0 }));
  };
  return {
    added: [...flagged(list('added', 4), 'added.f'), ...flagged(list('added6', 6), 'added6.f')],
    dropped: [...list('dropped', 4), ...list('dropped6', 6)],
  };
}

function invalid(message: string, cause?: unknown): WireProtocolError {
  return new WireProtocolError('invalid-pex-message', `ut_pex: ${message}`, {
    messageId: 20,
    cause,
  });
}
