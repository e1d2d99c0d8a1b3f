/**
 * The BEP 10 extension handshake: the bencoded dictionary of extended message 0. It maps
 * extension names to the message ids the sender wants to receive them under (`m`), and carries
 * the sender's listen port (`p`), client name (`v`), the address it sees us at (`yourip`), its
 * own addresses (`ipv4`, `ipv6`), how many outstanding requests it queues (`reqq`) and, for
 * BEP 9, the size of the info dictionary (`metadata_size`).
 */
import {
  type BencodeDictionary,
  type BencodeValue,
  decode,
  type EncodableValue,
  encode,
  isBytes,
  isDictionary,
  toText,
} from '@bt/bencode';
import { formatIPv6, isIPv4, parseIPv4, parseIPv6 } from '@bt/primitives';
import { WireProtocolError } from './errors.js';

/** A decoded extension handshake. Absent or ill-typed optional fields are `undefined`. */
export interface ExtendedHandshake {
  /** `m`: extension name → the id the sender receives it under. 0 means "disabled" (BEP 10). */
  readonly extensions: Readonly<Record<string, number>>;
  /** `p`: the sender's TCP listen port. */
  readonly port: number | undefined;
  /** `v`: the client's name and version, as text. */
  readonly client: string | undefined;
  /** `yourip`: the address the sender sees the receiver at (dotted IPv4 or IPv6 text). */
  readonly yourIp: string | undefined;
  /** `ipv4`: the sender's own IPv4 address. */
  readonly ipv4: string | undefined;
  /** `ipv6`: the sender's own IPv6 address. */
  readonly ipv6: string | undefined;
  /** `reqq`: how many outstanding requests the sender keeps without dropping. */
  readonly requestQueueLength: number | undefined;
  /** `metadata_size` (BEP 9): size in bytes of the info dictionary. */
  readonly metadataSize: number | undefined;
  /** The whole dictionary, for keys this type does not name (`upload_only`, `complete_ago`...). */
  readonly dictionary: BencodeDictionary;
}

/** What `encodeExtendedHandshake` writes. Every field is optional. */
export interface ExtendedHandshakeInit {
  extensions?: Readonly<Record<string, number>>;
  port?: number;
  client?: string;
  yourIp?: string;
  ipv4?: string;
  ipv6?: string;
  requestQueueLength?: number;
  metadataSize?: number;
  /** More keys to write as they are (they must not repeat the fields above). */
  extra?: Readonly<Record<string, EncodableValue>>;
}

/** Encodes the dictionary of an extension handshake (the payload after extended id 0). */
export function encodeExtendedHandshake(init: ExtendedHandshakeInit): Uint8Array {
  const dictionary: Record<string, EncodableValue> = { ...init.extra };
  const extensions: Record<string, number> = {};
  for (const [name, id] of Object.entries(init.extensions ?? {})) {
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new RangeError(`extension id for ${name} must be an integer 0-255, got ${id}`);
    }
    extensions[name] = id;
  }
  dictionary.m = extensions;
  if (init.port !== undefined) dictionary.p = init.port;
  if (init.client !== undefined) dictionary.v = init.client;
  if (init.yourIp !== undefined) dictionary.yourip = addressBytes(init.yourIp);
  if (init.ipv4 !== undefined) dictionary.ipv4 = parseIPv4(init.ipv4);
  if (init.ipv6 !== undefined) dictionary.ipv6 = parseIPv6(init.ipv6);
  if (init.requestQueueLength !== undefined) dictionary.reqq = init.requestQueueLength;
  if (init.metadataSize !== undefined) dictionary.metadata_size = init.metadataSize;
  return encode(dictionary);
}

/**
 * Decodes an extension handshake payload. Lenient like the clients it talks to: unknown keys are
 * kept, optional keys of the wrong type are ignored, entries of `m` that are not 0-255 are dropped.
 * @throws WireProtocolError `invalid-extended-handshake` when the payload is not a bencoded dictionary.
 */
export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  let value: BencodeValue;
  try {
    value = decode(payload, { maxDepth: 32 });
  } catch (error) {
    throw new WireProtocolError(
      'invalid-extended-handshake',
      'extension handshake is not valid bencode',
      {
        messageId: 20,
        cause: error,
      },
    );
  }
  if (!isDictionary(value)) {
    throw new WireProtocolError(
      'invalid-extended-handshake',
      'extension handshake is not a dictionary',
      {
        messageId: 20,
      },
    );
  }
  const extensions: Record<string, number> = {};
  const m = value.get('m');
  if (m !== undefined && isDictionary(m)) {
    for (const [name, id] of m) {
      if (
        typeof name === 'string' &&
        typeof id === 'number' &&
        Number.isInteger(id) &&
        id >= 0 &&
        id <= 255
      ) {
        extensions[name] = id;
      }
    }
  }
  return {
    extensions,
    port: readPort(value.get('p')),
    client: readText(value.get('v')),
    yourIp: readAddress(value.get('yourip')),
    ipv4: readAddress(value.get('ipv4'), 4),
    ipv6: readAddress(value.get('ipv6'), 16),
    requestQueueLength: readCount(value.get('reqq')),
    metadataSize: readCount(value.get('metadata_size')),
    dictionary: value,
  };
}

function readPort(value: BencodeValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 65535
    ? value
    : undefined;
}

function readCount(value: BencodeValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function readText(value: BencodeValue | undefined): string | undefined {
  return value !== undefined && isBytes(value) ? toText(value) : undefined;
}

function readAddress(value: BencodeValue | undefined, only?: 4 | 16): string | undefined {
  if (value === undefined || !isBytes(value)) return undefined;
  if (value.length === 4 && only !== 16) return Array.from(value).join('.');
  if (value.length === 16 && only !== 4) return formatIPv6(value);
  return undefined;
}

function addressBytes(text: string): Uint8Array {
  return isIPv4(text) ? parseIPv4(text) : parseIPv6(text);
}
