/**
 * @bt/dht/node: the UDP shell around `DhtCore`. It owns (or shares) a socket, a timer, the
 * clock, DNS for bootstrap names, ed25519 through `node:crypto`, and the state file; every
 * protocol decision is the core's. Results that arrive over time are async iterables.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { type Socket, createSocket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns/promises';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { type EncodableValue, encode } from '@bt/bencode';
import { type PeerAddress, formatIPv6, isIPv4, parseIPv6, parsePeerAddress } from '@bt/primitives';
import {
  type Datagram,
  type DhtCoreOptions,
  type DhtCoreStats,
  type DhtItem,
  type LookupHandle,
  type ScrapeEstimate,
  DhtCore,
  mutableSignatureMessage,
} from './dht-core.js';
import { DhtError } from './errors.js';
import { isKrpcDatagram } from './krpc.js';
import { literalLookup } from '@bt/primitives/node';

export { isKrpcDatagram };

/** BEP 5's well-known routers; several, since single routers go down. */
export const DEFAULT_BOOTSTRAP = [
  'router.bittorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'router.utorrent.com:6881',
  'dht.libtorrent.org:25401',
] as const;

export interface CreateDhtOptions {
  /** UDP port. Default 0: one the system picks (a long-lived node should fix one, e.g. 6881). */
  port?: number;
  /**
   * Address to bind. Default `0.0.0.0`: a DHT node must be reachable by others. Tests and
   * private networks pass a loopback or LAN address. An IPv6 address makes an IPv6 node.
   */
  host?: string;
  /**
   * BEP 32 dual stack: an IPv6 address to bind as well (with an IPv4 `host`), such as `'::'` or
   * `'::1'`. The node then keeps a routing table per family, answers `want: ["n4", "n6"]` with
   * both, and runs `lookup` and `announce` over both families. The IPv6 socket takes the IPv4
   * socket's port when it is free.
   */
  host6?: string;
  /** `host:port` strings or addresses to bootstrap from. Default `DEFAULT_BOOTSTRAP`; `[]` for none. */
  bootstrap?: readonly (string | PeerAddress)[];
  /** A state file: read at start (node id and table), written by `saveState()` and `close()`. */
  state?: string;
  /** BEP 43 read-only node: asks, never answers, never enters others' tables. */
  readOnly?: boolean;
  /** Aborting it closes the node. */
  signal?: AbortSignal;
  /**
   * A UDP socket to share (with uTP and the UDP tracker client). The shell then only sends on
   * it; the owner passes the datagrams that are the DHT's (`isKrpcDatagram`) to `receive`.
   * It must already be bound. `close()` leaves it open.
   */
  socket?: Socket;
  /** Everything else the core takes: a fixed id, α, timeouts, rate limits, store caps. */
  core?: Omit<
    DhtCoreOptions,
    'now' | 'bootstrap' | 'state' | 'readOnly' | 'verifySignature' | 'families'
  >;
}

export interface DhtStats extends DhtCoreStats {
  address: PeerAddress;
}

export interface DhtOperationOptions {
  signal?: AbortSignal;
}

/** An ed25519 key pair for mutable items: 32-byte public key and 32-byte secret seed. */
export interface DhtKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface PutOptions extends DhtOperationOptions {
  /** Mutable item (BEP 44): signs with this key pair. Without it the item is immutable. */
  keyPair?: DhtKeyPair;
  /** Mutable items: sequence number (default 0) and optional salt (at most 64 bytes). */
  seq?: number;
  salt?: Uint8Array;
  /** Mutable items: only replace the item whose seq is this. */
  cas?: number;
}

export interface PutResult {
  /** Where the item lives: SHA-1 of the value (immutable) or of key and salt (mutable). */
  target: Uint8Array;
  /** Nodes that acknowledged the put. */
  stored: number;
}

export interface AnnounceOptions extends DhtOperationOptions {
  /** The port peers should connect to. */
  port?: number;
  /** Let the nodes use our UDP source port (BEP 5 `implied_port`), for uTP behind NAT. */
  impliedPort?: boolean;
  /** BEP 33: announce as a seed. */
  seed?: boolean;
}

export interface AnnounceResult {
  /** Nodes that acknowledged the announce. */
  acknowledged: number;
  /** Peers the lookup found on the way. */
  peers: PeerAddress[];
}

export interface LookupOptions extends DhtOperationOptions {
  /** BEP 33: ask for non-seeds first. */
  noSeed?: boolean;
}

export interface SampleOptions extends DhtOperationOptions {
  /** Where in the key space to walk. Default: a random id. */
  target?: Uint8Array;
}

export interface Sample {
  infoHash: Uint8Array;
  from: PeerAddress;
}

export interface Dht {
  /** Our node id (it may change once, to a BEP 42 id, when our external address is learned). */
  readonly id: Uint8Array;
  /** Where the socket is bound. */
  address(): PeerAddress;
  /** Every bound address: the IPv4 and, with `host6`, the IPv6 one. */
  addresses(): PeerAddress[];
  /** Settles when the first bootstrap lookup has ended (the table may still be empty). */
  readonly ready: Promise<void>;
  /** BEP 5 get_peers: the peers of a swarm as they arrive, each once. */
  lookup(infoHash: Uint8Array, options?: LookupOptions): AsyncIterable<PeerAddress>;
  /** BEP 5: a lookup, then announce_peer to the closest nodes that gave tokens. */
  announce(infoHash: Uint8Array, options?: AnnounceOptions): Promise<AnnounceResult>;
  /** BEP 44: the newest valid item under `target` (pass the salt a mutable item was put with). */
  get(
    target: Uint8Array,
    options?: DhtOperationOptions & { salt?: Uint8Array },
  ): Promise<DhtItem | undefined>;
  /** BEP 44: stores a value (anything bencode can hold, at most 1000 bytes encoded). */
  put(value: EncodableValue, options?: PutOptions): Promise<PutResult>;
  /** BEP 51: info-hashes sampled from the nodes on the way to a target. */
  sample(options?: SampleOptions): AsyncIterable<Sample>;
  /** BEP 33: estimated seeds and peers of a swarm. */
  scrape(infoHash: Uint8Array, options?: DhtOperationOptions): Promise<ScrapeEstimate>;
  stats(): DhtStats;
  /** Adds a node (BEP 5 `port` message): pinged, and added to the table when it answers. */
  addNode(address: PeerAddress | string): void;
  /** Feeds a datagram from a shared socket (see `CreateDhtOptions.socket`). */
  receive(bytes: Uint8Array, from: PeerAddress): void;
  /** The node id and table, bencoded; written to the `state` file when one was given. */
  saveState(): Promise<Uint8Array>;
  /** Stops lookups, saves the state file, closes the socket (unless it was handed in). */
  close(): Promise<void>;
}

const clock = (): number => performance.now();

/** Datagrams handed in before their answers are sent at once (see `receive` in `createDht`). */
const BATCH_LIMIT = 64;

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** ed25519 verification through `node:crypto` (raw 32-byte keys). */
export function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: base64url(publicKey) },
      format: 'jwk',
    });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** ed25519 signature with a raw 32-byte secret seed. */
export function signEd25519(message: Uint8Array, keyPair: DhtKeyPair): Uint8Array {
  const key = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: base64url(keyPair.secretKey),
      x: base64url(keyPair.publicKey),
    },
    format: 'jwk',
  });
  return new Uint8Array(sign(null, message, key));
}

/** The key pair of a 32-byte ed25519 secret seed (as `generateKeyPair` makes and key files keep). */
export function keyPairFromSecretKey(secretKey: Uint8Array): DhtKeyPair {
  if (secretKey.length !== 32)
    throw new DhtError('invalid-argument', 'an ed25519 secret key is 32 bytes');
  // PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secretKey]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return {
    publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
    secretKey: Uint8Array.from(secretKey),
  };
}

/** A fresh ed25519 key pair for BEP 44 mutable items. */
export function generateKeyPair(): DhtKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = publicKey.export({ format: 'jwk' });
  return {
    publicKey: new Uint8Array(Buffer.from(pub.x!, 'base64url')),
    secretKey: new Uint8Array(Buffer.from(jwk.d!, 'base64url')),
  };
}

function normalizeHost(host: string): PeerAddress['host'] {
  return isIPv4(host) ? host : formatIPv6(parseIPv6(host));
}

async function resolve(
  entry: string | PeerAddress,
  family: 4 | 6,
): Promise<PeerAddress | undefined> {
  const address = typeof entry === 'string' ? parsePeerAddress(entry) : entry;
  if (isIP(address.host)) {
    const literal = isIPv4(address.host) ? 4 : 6;
    return literal === family
      ? { host: normalizeHost(address.host), port: address.port, family }
      : undefined;
  }
  try {
    const result = await Promise.race([
      dnsLookup(address.host, { family }),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000).unref()),
    ]);
    if (!result) return undefined;
    return { host: normalizeHost(result.address), port: address.port, family };
  } catch {
    return undefined;
  }
}

/** A queue that an async iterator drains. */
class Channel<T> {
  readonly #items: T[] = [];
  #waiting: ((value: IteratorResult<T>) => void) | undefined;
  #failWaiting: ((error: Error) => void) | undefined;
  #ended = false;
  #error: Error | undefined;

  push(item: T): void {
    if (this.#ended) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      this.#failWaiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (this.#waiting) {
      const resolve = this.#waiting;
      const reject = this.#failWaiting!;
      this.#waiting = undefined;
      this.#failWaiting = undefined;
      if (error === undefined) resolve({ value: undefined, done: true });
      else reject(error);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        this.#waiting = resolve;
        this.#failWaiting = reject;
      });
      if (next.done) return;
      yield next.value;
    }
  }
}

function abortError(signal: AbortSignal): DhtError {
  return new DhtError('aborted', 'the operation was aborted', { cause: signal.reason });
}

/**
 * Starts a DHT node on a UDP socket (or a shared one), bootstraps it, and keeps it running
 * until `close()` or the signal.
 */
export async function createDht(options: CreateDhtOptions = {}): Promise<Dht> {
  const shared = options.socket;
  const requestedHost = options.host ?? '0.0.0.0';
  let socket: Socket;
  if (shared) {
    socket = shared;
  } else {
    socket = createSocket({
      type: isIPv4(requestedHost) ? 'udp4' : 'udp6',
      ipv6Only: !isIPv4(requestedHost),
      lookup: literalLookup,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error) =>
        reject(
          new DhtError('socket-error', `cannot bind ${requestedHost}:${options.port ?? 0}`, {
            cause: error,
          }),
        ),
      );
      socket.bind(options.port ?? 0, requestedHost, () => resolve());
    });
  }
  const bound = socket.address();
  const family: 4 | 6 = bound.family === 'IPv6' ? 6 : 4;
  const local: PeerAddress = { host: bound.address, port: bound.port, family };
  let socket6: Socket | undefined;
  let local6: PeerAddress | undefined;
  if (options.host6 !== undefined) {
    if (family !== 4 || shared || isIP(options.host6) !== 6) {
      socket.close();
      throw new DhtError(
        'invalid-argument',
        "host6 is an IPv6 address beside an IPv4 host, on sockets of the node's own",
      );
    }
    socket6 = await bindSocket(options.host6, local.port).catch(() =>
      bindSocket(options.host6!, 0),
    );
    const bound6 = socket6.address();
    local6 = { host: bound6.address, port: bound6.port, family: 6 };
  }
  const families: (4 | 6)[] = socket6 ? [4, 6] : [family];

  let state: Uint8Array | undefined;
  if (options.state) {
    try {
      const bytes = new Uint8Array(await readFile(options.state));
      DhtCore.parseState(bytes);
      state = bytes;
    } catch {
      // No state file yet, or an unreadable one: start from the bootstrap nodes.
      state = undefined;
    }
  }
  const bootstrap = (
    await Promise.all(
      families.flatMap((each) =>
        (options.bootstrap ?? DEFAULT_BOOTSTRAP).map((entry) => resolve(entry, each)),
      ),
    )
  ).filter((address): address is PeerAddress => address !== undefined);

  const core = new DhtCore({
    ...options.core,
    now: clock(),
    families,
    bootstrap,
    ...(state ? { state } : {}),
    readOnly: options.readOnly ?? false,
    verifySignature: verifyEd25519,
  });

  let closed = false;
  const open = new Set<{ cancel(): void; fail(error: DhtError): void }>();
  const send = (datagrams: Datagram[]): void => {
    if (closed) return;
    for (let i = 0; i < datagrams.length; i++) {
      const datagram = datagrams[i]!;
      // No callback: Node then sends at once when it can, without a request object; a failure
      // surfaces as an `error` event, which the shell ignores (UDP is lossy anyway).
      const out = datagram.to.family === 6 && socket6 ? socket6 : socket;
      out.send(datagram.bytes, datagram.to.port, datagram.to.host);
    }
  };
  const flush = (): void => send(core.takeOutgoing());
  // Answers wait until the event loop has handed over every datagram that was ready (libuv reads
  // up to 32 per socket per turn), then go out together: at full load that costs less CPU per
  // query than a send between reads (measured: BENCH_ONLY=qps, README). The wait is bounded by
  // one turn of the loop; more than BATCH_LIMIT waiting go out at once.
  let batched = 0;
  let flushScheduled = false;
  const flushBatch = (): void => {
    flushScheduled = false;
    batched = 0;
    flush();
  };
  const receive = (bytes: Uint8Array, from: PeerAddress): void => {
    if (closed) return;
    core.handle(bytes, from, clock());
    if (++batched >= BATCH_LIMIT) {
      batched = 0;
      flush();
    } else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushBatch);
    }
  };
  const onMessage = (
    message: Buffer,
    rinfo: { address: string; port: number; family: string },
  ): void => {
    // A plain view: the decoder's subarrays of a `Buffer` would each go through Buffer's own.
    receive(new Uint8Array(message.buffer, message.byteOffset, message.length), {
      host: rinfo.family === 'IPv6' ? normalizeHost(rinfo.address) : rinfo.address,
      port: rinfo.port,
      family: rinfo.family === 'IPv6' ? 6 : 4,
    });
  };
  const onError = (): void => undefined;
  if (!shared) {
    socket.on('message', onMessage);
    socket.on('error', onError);
  }
  socket6?.on('message', onMessage);
  socket6?.on('error', onError);
  const timer = setInterval(() => {
    if (!closed) send(core.tick(clock()));
  }, 50);
  timer.unref();

  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });
  core.bootstrap(clock(), () => readyResolve());
  flush();

  /** Runs a core operation until `done` settles it, cancelled on abort or close. */
  function operation<T>(
    signal: AbortSignal | undefined,
    start: (settle: (value: T) => void) => LookupHandle,
  ): Promise<T> {
    if (closed) return Promise.reject(new DhtError('closed', 'the DHT node is closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      const running: { handle?: LookupHandle } = {};
      let settled = false;
      const entry = {
        cancel: () => running.handle?.cancel(),
        fail: (error: DhtError) => {
          if (settled) return;
          settled = true;
          cleanup();
          running.handle?.cancel();
          reject(error);
        },
      };
      const onAbort = (): void => entry.fail(abortError(signal!));
      const cleanup = (): void => {
        open.delete(entry);
        signal?.removeEventListener('abort', onAbort);
      };
      open.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      running.handle = start((value) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(value);
      });
      flush();
    });
  }

  /** Streams what a core operation finds, ending when it converges; cancelled on abort or close. */
  function stream<T>(
    signal: AbortSignal | undefined,
    start: (channel: Channel<T>) => LookupHandle,
  ): AsyncIterable<T> {
    return {
      async *[Symbol.asyncIterator]() {
        if (closed) throw new DhtError('closed', 'the DHT node is closed');
        if (signal?.aborted) throw abortError(signal);
        const channel = new Channel<T>();
        const handle = start(channel);
        flush();
        const entry = {
          cancel: () => handle.cancel(),
          fail: (error: DhtError) => channel.end(error),
        };
        const onAbort = (): void => {
          handle.cancel();
          channel.end(abortError(signal!));
        };
        open.add(entry);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          yield* channel;
        } finally {
          open.delete(entry);
          signal?.removeEventListener('abort', onAbort);
          handle.cancel();
          flush();
        }
      },
    };
  }

  const dht: Dht = {
    get id() {
      return core.id;
    },
    address: () => ({ ...local }),
    addresses: () => (local6 ? [{ ...local }, { ...local6 }] : [{ ...local }]),
    ready,
    lookup(infoHash, lookupOptions = {}) {
      checkHash(infoHash, 'infoHash');
      return stream<PeerAddress>(lookupOptions.signal, (channel) => {
        const seen = new Set<string>();
        // One lookup per family (BEP 32); the stream ends when the last one converges.
        let running = families.length;
        return combine(
          families.map((each) =>
            core.lookup(
              {
                target: infoHash,
                method: 'get_peers',
                family: each,
                ...(lookupOptions.noSeed ? { noSeed: true } : {}),
              },
              {
                peers: (peers) => {
                  for (const peer of peers) {
                    const key = `${peer.host}|${peer.port}`;
                    if (seen.has(key) || peer.port === 0) continue;
                    seen.add(key);
                    channel.push(peer);
                  }
                },
                done: () => {
                  if (--running === 0) channel.end();
                },
              },
              clock(),
            ),
          ),
        );
      });
    },
    announce(infoHash, announceOptions = {}) {
      checkHash(infoHash, 'infoHash');
      const port = announceOptions.port ?? local.port;
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        return Promise.reject(
          new DhtError('invalid-argument', `port ${port} is out of range 1-65535`),
        );
      }
      return operation<AnnounceResult>(announceOptions.signal, (settle) => {
        const peers = new Map<string, PeerAddress>();
        let running = families.length;
        let acknowledgedTotal = 0;
        return combine(
          families.map((each) =>
            core.announce(
              infoHash,
              {
                port,
                family: each,
                ...(announceOptions.impliedPort ? { impliedPort: true } : {}),
                ...(announceOptions.seed ? { seed: true } : {}),
              },
              {
                peers: (found) => {
                  for (const peer of found) peers.set(`${peer.host}|${peer.port}`, peer);
                },
                done: (acknowledged) => {
                  acknowledgedTotal += acknowledged;
                  if (--running === 0)
                    settle({ acknowledged: acknowledgedTotal, peers: [...peers.values()] });
                },
              },
              clock(),
            ),
          ),
        );
      });
    },
    get(target, getOptions = {}) {
      checkHash(target, 'target');
      return operation<DhtItem | undefined>(getOptions.signal, (settle) =>
        core.getItem(
          target,
          getOptions.salt ? { salt: getOptions.salt } : {},
          (item) => settle(item),
          clock(),
        ),
      );
    },
    put(value, putOptions = {}) {
      let bytes: Uint8Array;
      try {
        bytes = encode(value);
      } catch (error) {
        return Promise.reject(
          new DhtError('invalid-argument', 'the value cannot be bencoded', { cause: error }),
        );
      }
      let item: DhtItem & { cas?: number } = { value: bytes };
      if (putOptions.keyPair) {
        const seq = putOptions.seq ?? 0;
        const signature = signEd25519(
          mutableSignatureMessage(bytes, seq, putOptions.salt),
          putOptions.keyPair,
        );
        item = {
          value: bytes,
          key: putOptions.keyPair.publicKey,
          signature,
          seq,
          ...(putOptions.salt ? { salt: putOptions.salt } : {}),
          ...(putOptions.cas !== undefined ? { cas: putOptions.cas } : {}),
        };
      }
      return operation<PutResult>(putOptions.signal, (settle) =>
        core.putItem(item, (stored, target) => settle({ target, stored }), clock()),
      );
    },
    sample(sampleOptions = {}) {
      const target =
        sampleOptions.target ??
        new Uint8Array(globalThis.crypto.getRandomValues(new Uint8Array(20)));
      checkHash(target, 'target');
      return stream<Sample>(sampleOptions.signal, (channel) => {
        const seen = new Set<string>();
        return core.sample(
          target,
          {
            samples: (infoHashes, from) => {
              for (const infoHash of infoHashes) {
                const key = Buffer.from(infoHash).toString('hex');
                if (seen.has(key)) continue;
                seen.add(key);
                channel.push({ infoHash: Uint8Array.from(infoHash), from });
              }
            },
            done: () => channel.end(),
          },
          clock(),
        );
      });
    },
    scrape(infoHash, scrapeOptions = {}) {
      checkHash(infoHash, 'infoHash');
      return operation<ScrapeEstimate>(scrapeOptions.signal, (settle) =>
        core.scrape(infoHash, settle, clock()),
      );
    },
    stats: () => ({ ...core.stats(clock()), address: { ...local } }),
    addNode(address) {
      const parsed = typeof address === 'string' ? parsePeerAddress(address) : address;
      if (!isIP(parsed.host))
        throw new DhtError('invalid-argument', `addNode needs an IP address, got ${parsed.host}`);
      core.addNode({ ...parsed, host: normalizeHost(parsed.host) }, clock());
      flush();
    },
    receive,
    async saveState() {
      const bytes = core.saveState();
      if (options.state) {
        const temporary = `${options.state}.tmp`;
        await writeFile(temporary, bytes);
        await rename(temporary, options.state);
      }
      return bytes;
    },
    async close() {
      if (closed) return;
      if (options.state) await dht.saveState().catch(() => undefined);
      closed = true;
      clearInterval(timer);
      options.signal?.removeEventListener('abort', onSignal);
      const error = new DhtError('closed', 'the DHT node was closed');
      for (const entry of [...open]) {
        entry.cancel();
        entry.fail(error);
      }
      readyResolve();
      if (!shared) {
        socket.off('message', onMessage);
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        socket.off('error', onError);
      }
      if (socket6) {
        const closing = socket6;
        closing.off('message', onMessage);
        await new Promise<void>((resolve) => closing.close(() => resolve()));
        closing.off('error', onError);
      }
    },
  };
  const onSignal = (): void => void dht.close();
  if (options.signal?.aborted) {
    await dht.close();
  } else {
    options.signal?.addEventListener('abort', onSignal, { once: true });
  }
  return dht;
}

/** One handle over the lookups of several families: its `lookup` is the first family's. */
function combine(handles: LookupHandle[]): LookupHandle {
  return {
    lookup: handles[0]!.lookup,
    cancel: () => {
      for (const handle of handles) handle.cancel();
    },
  };
}

async function bindSocket(host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp6', ipv6Only: true, lookup: literalLookup });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => {
      socket.close();
      reject(new DhtError('socket-error', `cannot bind [${host}]:${port}`, { cause: error }));
    });
    socket.bind(port, host, () => resolve());
  });
  return socket;
}

function checkHash(bytes: Uint8Array, name: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 20) {
    throw new DhtError('invalid-argument', `${name} must be 20 bytes`);
  }
}

export type { DhtItem, ScrapeEstimate } from './dht-core.js';
export { DhtError } from './errors.js';
