/**
 * The UDP tracker client (BEP 15, BEP 41): one socket per address family, many requests in
 * flight at once, each matched to its reply by a random transaction id and by the tracker's
 * address. Connection ids are cached per tracker for their one minute and shared by every
 * request to it; concurrent requests to a tracker share one connect exchange.
 *
 * Retransmission follows BEP 15: an exchange waits `retransmitBase × 2^n` seconds (15 s, 30 s,
 * 60 s...) and resends, n counting up across the connect and the action of one request, until
 * `maxRetransmits` resends went unanswered; then the request fails with `timeout` (or
 * `transaction-mismatch` when the tracker only ever sent replies that were not ours).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import {
  type AddressFamily,
  type AnnounceRequest,
  type AnnounceResult,
  isIPv4,
  parseIPv4,
  type ScrapeFile,
  type ScrapeResult,
} from '@bt/primitives';
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_SCRAPE,
  decodeResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  MAX_SCRAPE_INFO_HASHES,
  peekHeader,
  type UdpTrackerResponse,
} from '../codec.js';
import { UdpTrackerError } from '../errors.js';
import { parseUdpTrackerUrl } from '../url.js';

export interface UdpTrackerClientOptions {
  /** Seconds before the first retransmission; doubles after each. BEP 15: 15. */
  retransmitBase?: number;
  /** Retransmissions before giving up. BEP 15: 8 (the last wait is 3840 s). */
  maxRetransmits?: number;
  /** Use one socket of this type for every tracker (IPv4 trackers over `udp6` as mapped addresses). Default: one per family, as needed. */
  socketType?: 'udp4' | 'udp6';
  /** Local address and port for the sockets. Default: any address, a random port. */
  bind?: { address?: string; port?: number };
  /** Seconds a connection id stays usable. BEP 15: 60. */
  connectionIdLifetime?: number;
  /** The BEP 15 `key` sent when an announce does not carry one. Default: random per client. */
  key?: number;
  /** Bytes of socket receive buffer asked of the OS, so bursts of replies queue. Default 1 MiB. */
  receiveBufferSize?: number;
}

export interface UdpTrackerRequestOptions {
  signal?: AbortSignal;
}

interface Endpoint {
  key: string;
  url: string;
  /** What to send to: an IP literal (IPv4-mapped when an IPv4 tracker goes over a udp6 socket). */
  address: string;
  port: number;
  /** The tracker's own family, which picks the peer size of announce replies. */
  family: AddressFamily;
  socketType: 'udp4' | 'udp6';
  urlData: string | undefined;
}

interface Connection {
  id: Uint8Array;
  expiresAt: number;
}

interface SharedConnect {
  promise: Promise<Connection>;
  controller: AbortController;
  waiters: number;
}

interface Pending {
  endpoint: Endpoint;
  expected: number;
  resolve(response: UdpTrackerResponse): void;
  reject(error: UdpTrackerError): void;
  /** The tracker sent something that was not a reply to us while we waited. */
  strayFromTracker: boolean;
}

interface SocketState {
  socket: Socket;
  ready: Promise<void>;
}

/** Progress through BEP 15's schedule, shared by the exchanges of one request. */
interface Attempts {
  n: number;
}

const EXPIRED = Symbol('connection-expired');

function randomU32(): number {
  const value = new Uint32Array(1);
  globalThis.crypto.getRandomValues(value);
  return value[0]!;
}

function abortError(signal: AbortSignal, url: string): UdpTrackerError {
  return new UdpTrackerError('aborted', `request to ${url} was aborted`, {
    url,
    cause: signal.reason,
  });
}

export class UdpTrackerClient {
  readonly #retransmitBase: number;
  readonly #maxRetransmits: number;
  readonly #socketType: 'udp4' | 'udp6' | undefined;
  readonly #bind: { address?: string; port?: number } | undefined;
  readonly #connectionLifetime: number;
  readonly #key: number;
  readonly #receiveBufferSize: number;
  readonly #sockets = new Map<'udp4' | 'udp6', SocketState>();
  readonly #pending = new Map<number, Pending>();
  readonly #connections = new Map<string, Connection>();
  readonly #connecting = new Map<string, SharedConnect>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(options: UdpTrackerClientOptions = {}) {
    this.#retransmitBase = options.retransmitBase ?? 15;
    this.#maxRetransmits = options.maxRetransmits ?? 8;
    if (!(this.#retransmitBase > 0)) throw new RangeError('retransmitBase must be positive');
    if (!Number.isInteger(this.#maxRetransmits) || this.#maxRetransmits < 0) {
      throw new RangeError('maxRetransmits must be a non-negative integer');
    }
    this.#socketType = options.socketType;
    this.#bind = options.bind;
    this.#connectionLifetime = (options.connectionIdLifetime ?? 60) * 1000;
    this.#key = (options.key ?? randomU32()) >>> 0;
    this.#receiveBufferSize = options.receiveBufferSize ?? 1024 * 1024;
  }

  /** BEP 15 announce. Resolves with the tracker's peers and counts; rejects with `UdpTrackerError`. */
  async announce(
    url: string,
    request: AnnounceRequest,
    options: UdpTrackerRequestOptions = {},
  ): Promise<AnnounceResult> {
    const endpoint = await this.#endpoint(url, options.signal);
    const ip = request.ip && isIPv4(request.ip) ? parseIPv4(request.ip) : new Uint8Array(4);
    const numwant =
      request.numwant === undefined || request.numwant < 0
        ? -1
        : Math.min(request.numwant, 0x7fffffff);
    // Encode once up front so bad values fail before anything is sent.
    const template = encodeAnnounceRequest({
      connectionId: new Uint8Array(8),
      transactionId: 0,
      infoHash: request.infoHash,
      peerId: request.peerId,
      downloaded: request.downloaded,
      left: request.left,
      uploaded: request.uploaded,
      event: request.event ?? 'none',
      ip,
      key: (request.key ?? this.#key) >>> 0,
      numwant,
      port: request.port,
      urlData: endpoint.urlData,
    });
    const response = await this.#request(endpoint, ACTION_ANNOUNCE, template, options.signal);
    if (response.action !== 'announce')
      throw new Error('unreachable: reply action checked on receipt');
    return {
      interval: response.interval,
      complete: response.seeders,
      incomplete: response.leechers,
      peers: response.peers,
    };
  }

  /**
   * BEP 15 scrape. More than 74 info-hashes go out as several requests at once. A tracker
   * that lists fewer torrents than asked yields fewer files (in order); more is malformed.
   */
  async scrape(
    url: string,
    infoHashes: readonly Uint8Array[],
    options: UdpTrackerRequestOptions = {},
  ): Promise<ScrapeResult> {
    const endpoint = await this.#endpoint(url, options.signal);
    if (infoHashes.length === 0)
      throw new UdpTrackerError('invalid-request', 'scrape needs at least one info-hash', { url });
    const chunks: Uint8Array[][] = [];
    for (let start = 0; start < infoHashes.length; start += MAX_SCRAPE_INFO_HASHES) {
      chunks.push(infoHashes.slice(start, start + MAX_SCRAPE_INFO_HASHES));
    }
    const results = await Promise.all(
      chunks.map(async (chunk) => {
        const template = encodeScrapeRequest({
          connectionId: new Uint8Array(8),
          transactionId: 0,
          infoHashes: chunk,
        });
        const response = await this.#request(endpoint, ACTION_SCRAPE, template, options.signal);
        if (response.action !== 'scrape')
          throw new Error('unreachable: reply action checked on receipt');
        if (response.entries.length > chunk.length) {
          throw new UdpTrackerError(
            'malformed-response',
            `scrape reply lists ${response.entries.length} torrents for ${chunk.length} info-hashes`,
            { url },
          );
        }
        return response.entries.map((entry, index): ScrapeFile => ({
          infoHash: chunk[index]!,
          complete: entry.seeders,
          downloaded: entry.completed,
          incomplete: entry.leechers,
        }));
      }),
    );
    return { files: results.flat() };
  }

  /** Fails every request in flight with `closed` and releases the sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const pending of [...this.#pending.values()]) {
      pending.reject(
        new UdpTrackerError('closed', 'the client was closed', { url: pending.endpoint.url }),
      );
    }
    this.#pending.clear();
    for (const shared of this.#connecting.values()) shared.controller.abort();
    const sockets = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(
      sockets.map(
        (state) =>
          new Promise<void>((resolve) => {
            try {
              state.socket.close(() => resolve());
            } catch {
              resolve();
            }
          }),
      ),
    );
  }

  async #endpoint(url: string, signal: AbortSignal | undefined): Promise<Endpoint> {
    if (this.#closed) throw new UdpTrackerError('closed', 'the client was closed', { url });
    if (signal?.aborted) throw abortError(signal, url);
    const parsed = parseUdpTrackerUrl(url);
    let address = parsed.host;
    let family = parsed.family;
    if (family === undefined) {
      const wanted = this.#socketType === 'udp4' ? 4 : this.#socketType === 'udp6' ? 6 : 0;
      try {
        // IPv4 first when a name has both: far more UDP trackers answer there.
        const all = await lookup(parsed.host, { family: wanted, all: true });
        const found = all.find((entry) => entry.family === 4) ?? all[0];
        if (!found) throw new Error(`no address for ${parsed.host}`);
        address = found.address;
        family = found.family === 6 ? 6 : 4;
      } catch (error) {
        throw new UdpTrackerError('dns-failed', `cannot resolve ${parsed.host}`, {
          url,
          cause: error,
        });
      }
      if (signal?.aborted) throw abortError(signal, url);
    }
    let socketType: 'udp4' | 'udp6' = family === 6 ? 'udp6' : 'udp4';
    if (this.#socketType === 'udp4' && family === 6) {
      throw new UdpTrackerError(
        'invalid-request',
        `an IPv6 tracker cannot be reached over a udp4 socket`,
        { url },
      );
    }
    if (this.#socketType === 'udp6' && family === 4) {
      address = `::ffff:${address}`;
      socketType = 'udp6';
    }
    return {
      key: `${address}|${parsed.port}`,
      url,
      address,
      port: parsed.port,
      family,
      socketType,
      urlData: parsed.urlData,
    };
  }

  /** Connect (or reuse a connection id), then the action; reconnects when the id expires mid-way. */
  async #request(
    endpoint: Endpoint,
    action: number,
    template: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<UdpTrackerResponse> {
    const attempts: Attempts = { n: 0 };
    for (;;) {
      const connection = await this.#connection(endpoint, signal);
      const response = await this.#exchange(
        endpoint,
        action,
        (transactionId) => {
          const packet = template.slice();
          packet.set(connection.id, 0);
          new DataView(packet.buffer).setUint32(12, transactionId);
          return packet;
        },
        attempts,
        signal,
        connection.expiresAt,
      ).catch((error: unknown) => {
        // The tracker may have forgotten us (restart); the next request connects afresh.
        if (UdpTrackerError.isInstance(error) && error.code === 'tracker-error')
          this.#forget(endpoint, connection);
        throw error;
      });
      if (response !== EXPIRED) return response;
      this.#forget(endpoint, connection);
    }
  }

  #forget(endpoint: Endpoint, connection: Connection): void {
    if (this.#connections.get(endpoint.key) === connection) this.#connections.delete(endpoint.key);
  }

  /** A cached connection id, or one connect exchange shared by every request waiting for it. */
  async #connection(endpoint: Endpoint, signal: AbortSignal | undefined): Promise<Connection> {
    const cached = this.#connections.get(endpoint.key);
    if (cached && cached.expiresAt > Date.now()) return cached;
    let shared = this.#connecting.get(endpoint.key);
    if (!shared) {
      const controller = new AbortController();
      const created: SharedConnect = {
        controller,
        waiters: 0,
        promise: this.#exchange(
          endpoint,
          ACTION_CONNECT,
          (transactionId) => encodeConnectRequest({ transactionId }),
          { n: 0 },
          controller.signal,
          Number.POSITIVE_INFINITY,
        ).then((response) => {
          if (response === EXPIRED || response.action !== 'connect')
            throw new Error('unreachable: connect reply');
          const connection = {
            id: response.connectionId,
            expiresAt: Date.now() + this.#connectionLifetime,
          };
          this.#connections.set(endpoint.key, connection);
          return connection;
        }),
      };
      shared = created;
      this.#connecting.set(endpoint.key, created);
      const clear = (): void => {
        if (this.#connecting.get(endpoint.key) === created) this.#connecting.delete(endpoint.key);
      };
      created.promise.then(clear, clear);
    }
    const current = shared;
    current.waiters++;
    try {
      return await raceSignal(current.promise, signal, endpoint.url);
    } finally {
      current.waiters--;
      // Nobody waits any more: stop retransmitting.
      if (current.waiters === 0 && signal?.aborted) current.controller.abort();
    }
  }

  /**
   * One request/reply exchange on BEP 15's retransmission schedule. Resolves with the reply,
   * or with `EXPIRED` when a retransmission would go out after `expiresAt` (the connection id
   * is stale; the caller reconnects and carries on with the same `attempts`).
   */
  #exchange(
    endpoint: Endpoint,
    expected: number,
    build: (transactionId: number) => Uint8Array,
    attempts: Attempts,
    signal: AbortSignal | undefined,
    expiresAt: number,
  ): Promise<UdpTrackerResponse | typeof EXPIRED> {
    return new Promise<UdpTrackerResponse | typeof EXPIRED>((resolve, reject) => {
      if (this.#closed) {
        reject(new UdpTrackerError('closed', 'the client was closed', { url: endpoint.url }));
        return;
      }
      if (signal?.aborted) {
        reject(abortError(signal, endpoint.url));
        return;
      }
      let transactionId = randomU32();
      while (this.#pending.has(transactionId)) transactionId = randomU32();
      const packet = build(transactionId);
      let timer: ReturnType<typeof setTimeout> | undefined;
      let settled = false;
      const finish = (): void => {
        settled = true;
        this.#pending.delete(transactionId);
        if (timer) {
          clearTimeout(timer);
          this.#timers.delete(timer);
        }
        signal?.removeEventListener('abort', onAbort);
      };
      const pending: Pending = {
        endpoint,
        expected,
        strayFromTracker: false,
        resolve: (response) => {
          if (settled) return;
          finish();
          resolve(response);
        },
        reject: (error) => {
          if (settled) return;
          finish();
          reject(error);
        },
      };
      const onAbort = (): void => pending.reject(abortError(signal!, endpoint.url));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(transactionId, pending);

      const send = (): void => {
        this.#send(endpoint, packet).catch((error: unknown) => {
          pending.reject(
            UdpTrackerError.isInstance(error)
              ? error
              : new UdpTrackerError('socket-error', `cannot send to ${endpoint.url}`, {
                  url: endpoint.url,
                  cause: error,
                }),
          );
        });
      };
      const arm = (): void => {
        const delay = this.#retransmitBase * 1000 * 2 ** attempts.n;
        timer = setTimeout(() => {
          if (timer) this.#timers.delete(timer);
          if (settled) return;
          if (attempts.n >= this.#maxRetransmits) {
            pending.reject(
              pending.strayFromTracker
                ? new UdpTrackerError(
                    'transaction-mismatch',
                    `${endpoint.url} answered, but never with our transaction id`,
                    { url: endpoint.url },
                  )
                : new UdpTrackerError(
                    'timeout',
                    `no answer from ${endpoint.url} after ${attempts.n} retransmissions`,
                    {
                      url: endpoint.url,
                    },
                  ),
            );
            return;
          }
          attempts.n++;
          if (Date.now() >= expiresAt) {
            finish();
            resolve(EXPIRED);
            return;
          }
          send();
          arm();
        }, delay);
        this.#timers.add(timer);
      };
      send();
      arm();
    });
  }

  async #send(endpoint: Endpoint, packet: Uint8Array): Promise<void> {
    const state = this.#socket(endpoint.socketType);
    await state.ready;
    await new Promise<void>((resolve, reject) => {
      state.socket.send(packet, endpoint.port, endpoint.address, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  #socket(type: 'udp4' | 'udp6'): SocketState {
    const existing = this.#sockets.get(type);
    if (existing) return existing;
    const socket = createSocket({ type, ipv6Only: false });
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('listening', () => resolve());
      socket.once('error', reject);
      socket.bind(this.#bind?.port ?? 0, this.#bind?.address);
    });
    const state: SocketState = { socket, ready };
    ready.then(
      () => {
        socket.unref();
        try {
          socket.setRecvBufferSize(this.#receiveBufferSize);
        } catch {
          // The OS refused the size; its default still works.
        }
      },
      () => undefined,
    );
    socket.on('message', (message: Buffer, remote: RemoteInfo) => this.#receive(message, remote));
    socket.on('error', (error) => {
      // The socket is unusable: fail what rides on it; the next request opens a fresh one.
      if (this.#sockets.get(type) === state) this.#sockets.delete(type);
      for (const pending of [...this.#pending.values()]) {
        if (pending.endpoint.socketType === type) {
          pending.reject(
            new UdpTrackerError('socket-error', `${type} socket failed`, {
              url: pending.endpoint.url,
              cause: error,
            }),
          );
        }
      }
      try {
        socket.close();
      } catch {
        // already closed
      }
    });
    this.#sockets.set(type, state);
    return state;
  }

  #receive(message: Uint8Array, remote: RemoteInfo): void {
    const header = peekHeader(message);
    const pending = header ? this.#pending.get(header.transactionId) : undefined;
    if (!pending || !sameAddress(pending.endpoint, remote)) {
      // Not ours (a late duplicate, a spoof, a tracker that garbles ids): note it, ignore it.
      for (const waiting of this.#pending.values()) {
        if (sameAddress(waiting.endpoint, remote)) waiting.strayFromTracker = true;
      }
      return;
    }
    let response: UdpTrackerResponse;
    try {
      response = decodeResponse(message, pending.endpoint.family);
    } catch (error) {
      pending.reject(
        UdpTrackerError.isInstance(error)
          ? new UdpTrackerError(error.code, error.message, {
              url: pending.endpoint.url,
              offset: error.offset,
              cause: error,
            })
          : new UdpTrackerError('malformed-response', 'unreadable reply', {
              url: pending.endpoint.url,
              cause: error,
            }),
      );
      return;
    }
    if (response.action === 'error') {
      pending.reject(
        new UdpTrackerError('tracker-error', `${pending.endpoint.url} says: ${response.message}`, {
          url: pending.endpoint.url,
          trackerMessage: response.message,
        }),
      );
      return;
    }
    const actionCode =
      response.action === 'connect'
        ? ACTION_CONNECT
        : response.action === 'announce'
          ? ACTION_ANNOUNCE
          : ACTION_SCRAPE;
    if (actionCode !== pending.expected) {
      pending.reject(
        new UdpTrackerError(
          'malformed-response',
          `expected action ${pending.expected} in the reply, got ${actionCode}`,
          {
            url: pending.endpoint.url,
            offset: 0,
          },
        ),
      );
      return;
    }
    pending.resolve(response);
  }
}

function sameAddress(endpoint: Endpoint, remote: RemoteInfo): boolean {
  return (
    remote.port === endpoint.port && remote.address.toLowerCase() === endpoint.address.toLowerCase()
  );
}

async function raceSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  url: string,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) throw abortError(signal, url);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, url));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
  });
}
