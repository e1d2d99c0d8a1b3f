/**
 * `HttpTrackerServer`: the HTTP endpoint of a tracker (BEP 3 announce, BEP 48 scrape, BEP 23
 * compact and BEP 7 IPv6 peers) over a `TrackerRegistry` (by default a `SwarmRegistry`), on
 * `node:http`. Every request that
 * is not a good announce or scrape gets a bencoded `failure reason`; nothing a client sends
 * can make it throw or grow memory without bound (query length, scrape size and the
 * registry's caps are all limited).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { type AnnounceEvent, isIPv4 } from '@bt/primitives';
import {
  encodeAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  TrackerRequestError,
} from '@bt/tracker-http';
import {
  SwarmRegistry,
  type SwarmAnnounceResult,
  type SwarmRegistryOptions,
  type TrackerRegistry,
} from '../swarm-registry.js';

export interface HttpTrackerServerOptions extends SwarmRegistryOptions {
  /**
   * Where swarms live; share one with a UDP server. When absent the server makes a
   * `SwarmRegistry` from the registry options (`interval`, `allowList`, `numwantCap`...).
   */
  registry?: TrackerRegistry;
  /** Seconds between announces asked of clients. Default: the registry's `interval`. */
  interval?: number;
  /** `min interval` sent to clients, in seconds. Default: half the interval. */
  minInterval?: number;
  /** Record the `ip` parameter instead of the connection's address. Default `false`. */
  trustIpParameter?: boolean;
  /** Most info-hashes in one scrape. Default 256. */
  maxScrapeInfoHashes?: number;
  /** The announce path. Default `/announce`; the scrape path is its BEP 48 sibling. */
  announcePath?: string;
  /** Most client connections open at once; more are refused. Default 10 000. */
  maxConnections?: number;
}

export interface HttpTrackerListenOptions {
  port?: number;
  /** Default `127.0.0.1`; `::` for every interface and both families. */
  host?: string;
  signal?: AbortSignal;
}

/** Counters for a status line. */
export interface HttpTrackerServerStats {
  announces: number;
  scrapes: number;
  failures: number;
}

const MAX_URL_LENGTH = 8192;
const BENCODE_HEADERS = { 'content-type': 'text/plain' };

export class HttpTrackerServer {
  readonly registry: TrackerRegistry;
  readonly stats: HttpTrackerServerStats = { announces: 0, scrapes: 0, failures: 0 };
  readonly #server: Server;
  readonly #interval: number;
  readonly #minInterval: number;
  readonly #trustIp: boolean;
  readonly #maxScrape: number;
  readonly #announcePath: string;
  readonly #scrapePath: string;
  #pruneTimer: NodeJS.Timeout | undefined;

  constructor(options: HttpTrackerServerOptions = {}) {
    this.registry = options.registry ?? new SwarmRegistry(options);
    this.#interval = options.interval ?? this.registry.interval;
    this.#minInterval = options.minInterval ?? Math.max(1, Math.floor(this.#interval / 2));
    this.#trustIp = options.trustIpParameter ?? false;
    this.#maxScrape = options.maxScrapeInfoHashes ?? 256;
    this.#announcePath = options.announcePath ?? '/announce';
    const slash = this.#announcePath.lastIndexOf('/');
    this.#scrapePath = `${this.#announcePath.slice(0, slash + 1)}scrape${this.#announcePath.slice(slash + 1).replace(/^announce/, '')}`;
    this.#server = createServer(
      {
        keepAlive: true,
        keepAliveTimeout: 30_000,
        requestTimeout: 30_000,
        headersTimeout: 20_000,
        maxHeaderSize: 16_384,
      },
      (request, response) => this.#handle(request, response),
    );
    this.#server.maxConnections = options.maxConnections ?? 10_000;
    this.#server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  async listen(options: HttpTrackerListenOptions = {}): Promise<AddressInfo> {
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(
        { port: options.port ?? 0, host, ...(options.signal ? { signal: options.signal } : {}) },
        () => {
          this.#server.off('error', onError);
          resolve();
        },
      );
    });
    if (this.#pruneTimer === undefined) {
      const prune = this.registry.prune.bind(this.registry);
      this.#pruneTimer = setInterval(prune, Math.min(this.#interval, 600) * 500);
      this.#pruneTimer.unref();
    }
    return this.address()!;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  /** Stops accepting, closes idle and open connections, resolves when closed. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    try {
      const url = request.url ?? '/';
      if (url.length > MAX_URL_LENGTH)
        throw new TrackerRequestError('malformed-query', 'request URL too long');
      const mark = url.indexOf('?');
      const path = mark < 0 ? url : url.slice(0, mark);
      const query = mark < 0 ? '' : url.slice(mark + 1);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        this.#fail(response, 405, 'only GET is served');
      } else if (path === this.#announcePath) {
        this.#send(response, 200, this.#announce(request, query));
        this.stats.announces++;
      } else if (path === this.#scrapePath) {
        this.#send(response, 200, this.#scrape(query));
        this.stats.scrapes++;
      } else {
        this.#fail(response, 404, `no such path; announce at ${this.#announcePath}`);
      }
    } catch (error) {
      if (TrackerRequestError.isInstance(error)) this.#fail(response, 200, error.message);
      else this.#fail(response, 500, 'internal tracker error');
    }
  }

  #announce(request: IncomingMessage, queryString: string): Uint8Array {
    const query = parseAnnounceQuery(queryString);
    this.#checkAllowed(query.infoHash);
    let host = request.socket.remoteAddress ?? '';
    if (this.#trustIp && query.ip !== undefined && (isIPv4(query.ip) || isIP(query.ip) === 6))
      host = query.ip;
    if (host.startsWith('::ffff:') && isIPv4(host.slice(7))) host = host.slice(7);
    const family: 4 | 6 = host.includes(':') ? 6 : 4;
    const event: AnnounceEvent = query.event;
    let result: SwarmAnnounceResult;
    try {
      result = this.registry.announce({
        infoHash: query.infoHash,
        peer: { host, port: query.port, family, peerId: query.peerId },
        event,
        left: query.left,
        ...(query.numwant === undefined ? {} : { numwant: query.numwant }),
      });
    } catch (error) {
      throw registryRefusal(error);
    }
    return encodeAnnounceResponse({
      interval: this.#interval,
      minInterval: this.#minInterval,
      complete: result.complete,
      incomplete: result.incomplete,
      peers: result.peers,
      compact: query.compact,
      noPeerId: query.noPeerId,
    });
  }

  #checkAllowed(infoHash: Uint8Array): void {
    if (!this.registry.isAllowed(infoHash)) {
      throw new TrackerRequestError('not-allowed', 'torrent not allowed on this tracker');
    }
  }

  #scrape(queryString: string): Uint8Array {
    const hashes = parseScrapeQuery(queryString, this.#maxScrape);
    if (hashes.length === 0)
      throw new TrackerRequestError('missing-parameter', 'scrape needs at least one info_hash');
    const unique = new Map<string, Uint8Array>();
    for (const hash of hashes) {
      if (!this.registry.isAllowed(hash)) continue;
      unique.set(
        Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1'),
        hash,
      );
    }
    return encodeScrapeResponse(this.registry.scrape([...unique.values()]));
  }

  #fail(response: ServerResponse, status: number, reason: string): void {
    this.stats.failures++;
    this.#send(response, status, encodeFailure(reason));
  }

  #send(response: ServerResponse, status: number, body: Uint8Array): void {
    response.writeHead(status, { ...BENCODE_HEADERS, 'content-length': body.length });
    response.end(body);
  }
}

/** A registry refuses with an error carrying a string `code`; anything else is our bug. */
function registryRefusal(error: unknown): unknown {
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    return new TrackerRequestError('not-allowed', error.message);
  }
  return error;
}
