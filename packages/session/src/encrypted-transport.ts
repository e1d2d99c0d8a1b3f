/**
 * MSE/PE (`@bt/mse`) under an encryption policy, per session and per torrent, over any transport
 * that wraps its streams (encryption is a stream over a stream): TCP (the default peer
 * transport) and uTP. Dialling, the policy says what to try in turn (`prefer`: MSE
 * offering RC4 or plaintext, then plain BitTorrent when that fails). Accepting, one port takes
 * both: the first bytes tell an MSE handshake from a plain one, an MSE handshake names its
 * torrent by HASH('req2', info-hash), tried against each of ours, and the torrent's policy picks
 * the method; the session refuses plain connections to a torrent whose policy is `require`.
 */
import {
  dialAttempts,
  ENCRYPTION_POLICIES,
  isEncryptionPolicy,
  MseError,
  MseStream,
  selectMethod,
  type CryptoMethod,
  type EncryptionPolicy,
} from '@bt/mse';
import { nodeMseCrypto } from '@bt/mse/node';
import type { PeerAddress } from '@bt/primitives';
import { UtpConnection } from '@bt/utp';
import { WireError, type ByteStream, type PeerWire as WirePeerWire } from '@bt/wire';
import { TcpStream, TcpTransport, type TcpTransportOptions } from '@bt/wire/node';
import { SessionError } from './errors.js';
import type { DialOptions, IncomingPeer, PeerTransport, PeerWire } from './interfaces.js';

export interface EncryptedTcpTransportOptions {
  /** Options of the TCP transport beneath (reserved bits, extensions, timeouts). */
  tcp?: Omit<TcpTransportOptions, 'wrapIncoming'>;
  /** The policy of dials that name none. */
  encryption: EncryptionPolicy;
  /** The torrents an incoming MSE handshake may name, with their policies. */
  torrents: () => Iterable<{ infoHash: Uint8Array; encryption: EncryptionPolicy }>;
}

/** A transport whose streams can be wrapped, dialled and accepted: what MSE/PE runs over. */
export interface StreamTransport {
  dial(
    address: PeerAddress,
    options: DialOptions & { wrapStream?: (stream: ByteStream) => ByteStream },
  ): Promise<WirePeerWire>;
  listen(port: number, onPeer: (peer: IncomingPeer) => void, host?: string): Promise<number>;
  close(): Promise<void>;
}

export interface EncryptedTransportOptions<T extends StreamTransport> {
  /** Makes the transport beneath, which must pass every accepted stream to `wrapIncoming`. */
  inner: (wrapIncoming: (stream: ByteStream) => ByteStream) => T;
  /** The policy of dials that name none. */
  encryption: EncryptionPolicy;
  /** The torrents an incoming MSE handshake may name, with their policies. */
  torrents: () => Iterable<{ infoHash: Uint8Array; encryption: EncryptionPolicy }>;
}

/** MSE/PE over a `StreamTransport`: dials by the policy's attempts, accepts both on one port. */
export class EncryptedTransport<
  T extends StreamTransport = StreamTransport,
> implements PeerTransport {
  /** The transport beneath. */
  readonly inner: T;
  readonly #options: EncryptedTransportOptions<T>;

  constructor(options: EncryptedTransportOptions<T>) {
    this.#options = options;
    this.inner = options.inner((stream) =>
      MseStream.accept(stream, {
        infoHashes: () => this.#infoHashes(),
        select: (offered, infoHash) => this.#select(offered, infoHash),
        crypto: nodeMseCrypto,
      }),
    );
  }

  async dial(address: PeerAddress, options: DialOptions): Promise<PeerWire> {
    const attempts = dialAttempts(options.encryption ?? this.#options.encryption);
    let failure: unknown;
    for (const [index, provide] of attempts.entries()) {
      let reached: (() => boolean) | undefined;
      try {
        const wire: WirePeerWire = await this.inner.dial(address, {
          ...options,
          wrapStream:
            provide &&
            ((stream) => {
              reached = reachedSignal(stream);
              return this.#initiate(stream, options.infoHash, provide);
            }),
        });
        return wire;
      } catch (error) {
        failure = error;
        const connected = reached?.() ?? false;
        // Again in plaintext only when the encrypted try reached the peer and was refused.
        const last = index === attempts.length - 1;
        if (last || options.signal?.aborted || !connected || !worthRetrying(error)) break;
      }
    }
    throw failure;
  }

  listen(port: number, onPeer: (peer: IncomingPeer) => void, host?: string): Promise<number> {
    return this.inner.listen(port, onPeer, host);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #initiate(
    stream: ByteStream,
    infoHash: Uint8Array,
    provide: readonly CryptoMethod[],
  ): ByteStream {
    return MseStream.initiate(stream, { infoHash, provide, crypto: nodeMseCrypto });
  }

  *#infoHashes(): Iterable<Uint8Array> {
    for (const torrent of this.#options.torrents()) yield torrent.infoHash;
  }

  #select(offered: readonly CryptoMethod[], infoHash: Uint8Array): CryptoMethod | undefined {
    for (const torrent of this.#options.torrents()) {
      if (sameBytes(torrent.infoHash, infoHash)) return selectMethod(torrent.encryption, offered);
    }
    return undefined;
  }
}

/** TCP with MSE/PE: the session's default transport (and the TCP side of `both`). */
export class EncryptedTcpTransport extends EncryptedTransport<TcpTransport> {
  constructor(options: EncryptedTcpTransportOptions) {
    super({
      inner: (wrapIncoming) => new TcpTransport({ ...options.tcp, wrapIncoming }),
      encryption: options.encryption,
      torrents: options.torrents,
    });
  }
}

/** Whether a dialled stream reached the peer (its TCP connect, its uTP SYN answered). */
function reachedSignal(stream: ByteStream): () => boolean {
  if (stream instanceof TcpStream) {
    let connected = false;
    stream.socket.once('connect', () => (connected = true));
    return () => connected;
  }
  if (stream instanceof UtpConnection) return () => stream.established;
  return () => false;
}

export { ENCRYPTION_POLICIES, type EncryptionPolicy };

/** The default transport of a session: TCP with MSE/PE. */
export function createEncryptedTransport(options: EncryptedTcpTransportOptions): PeerTransport {
  return new EncryptedTcpTransport(options);
}

/** An option's policy, refused when it names none. */
export function checkedPolicy(value: EncryptionPolicy | undefined): EncryptionPolicy | undefined {
  if (value === undefined || isEncryptionPolicy(value)) return value;
  throw new SessionError(
    'invalid-option',
    `encryption must be one of ${ENCRYPTION_POLICIES.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

/** An encrypted attempt that got as far as a connection may succeed in plaintext. */
function worthRetrying(error: unknown): boolean {
  if (MseError.isInstance(error)) return true;
  if (WireError.isInstance(error)) return error.code !== 'aborted';
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
