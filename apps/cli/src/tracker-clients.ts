/**
 * What `bt announce` and `bt scrape` share: reading the torrent (a .torrent file, a magnet
 * link or a bare info-hash), and handing each tracker URL to the client of its scheme
 * (http/https: @bt/tracker-http, udp: @bt/tracker-udp). Display only; no protocol here.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseMagnet, parseTorrent } from '@bt/metainfo';
import {
  type AnnounceRequest,
  type AnnounceResult,
  parseInfoHash,
  type ScrapeResult,
  toHex,
} from '@bt/primitives';
import { HttpTrackerClient, HttpTrackerError } from '@bt/tracker-http';
import { UdpTrackerClient, UdpTrackerError } from '@bt/tracker-udp';
import { UsageError } from './command.js';

export interface TrackerTarget {
  infoHash: Uint8Array;
  infoHashHex: string;
  name?: string;
  /** Total bytes, when a .torrent says. */
  length?: number;
  /** Every tracker the input names, tiers flattened, duplicates removed. */
  trackers: string[];
}

/** Reads `<file.torrent | magnet:?... | info-hash>`. */
export async function readTarget(input: string, cwd: string): Promise<TrackerTarget> {
  if (/^magnet:/i.test(input)) {
    const magnet = parseMagnet(input);
    if (!magnet.infoHash) throw new UsageError('the magnet link has no v1 info-hash (urn:btih)');
    return {
      infoHash: magnet.infoHash,
      infoHashHex: toHex(magnet.infoHash),
      ...(magnet.name === undefined ? {} : { name: magnet.name }),
      trackers: magnet.trackers,
    };
  }
  if (/^([0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/.test(input)) {
    const bytes = await readFile(resolve(cwd, input)).catch(() => undefined);
    if (bytes === undefined) {
      const infoHash = parseInfoHash(input);
      return { infoHash, infoHashHex: toHex(infoHash), trackers: [] };
    }
  }
  const metainfo = parseTorrent(await readFile(resolve(cwd, input)), { copy: false });
  return {
    infoHash: metainfo.infoHash,
    infoHashHex: metainfo.infoHashHex,
    name: metainfo.name,
    length: metainfo.length,
    trackers: [...new Set(metainfo.announce.flat())],
  };
}

export type TrackerScheme = 'http' | 'udp';

export function trackerScheme(url: string): TrackerScheme {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'udp') return 'udp';
  throw new UsageError(
    `unsupported tracker URL ${JSON.stringify(url)}: bt speaks http://, https:// and udp://`,
  );
}

/** One HTTP and one UDP client (made when first needed), chosen per URL by scheme. */
export class TrackerClients {
  readonly #timeoutMs: number;
  #http: HttpTrackerClient | undefined;
  #udp: UdpTrackerClient | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  async announce(
    url: string,
    request: AnnounceRequest,
    signal: AbortSignal,
  ): Promise<AnnounceResult> {
    if (trackerScheme(url) === 'http') return this.#httpClient().announce(url, request, { signal });
    return this.#udpClient().announce(url, request, { signal: this.#withTimeout(signal) });
  }

  async scrape(url: string, infoHashes: Uint8Array[], signal: AbortSignal): Promise<ScrapeResult> {
    if (trackerScheme(url) === 'http')
      return this.#httpClient().scrape(url, infoHashes, { signal });
    return this.#udpClient().scrape(url, infoHashes, { signal: this.#withTimeout(signal) });
  }

  async close(): Promise<void> {
    await Promise.all([this.#http?.close(), this.#udp?.close()]);
  }

  #httpClient(): HttpTrackerClient {
    return (this.#http ??= new HttpTrackerClient({ timeout: this.#timeoutMs }));
  }

  #udpClient(): UdpTrackerClient {
    // BEP 15's schedule (15 s, doubling) suits a long-running client; a command waits seconds.
    return (this.#udp ??= new UdpTrackerClient({
      retransmitBase: Math.max(1, this.#timeoutMs / 4000),
      maxRetransmits: 2,
    }));
  }

  #withTimeout(signal: AbortSignal): AbortSignal {
    return AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]);
  }
}

export interface TrackerFailure {
  code: string;
  message: string;
  /** The tracker answered and said no (its own words are in `message`). */
  refused: boolean;
}

/** A tracker error as one line and a code, whichever transport raised it. */
export function describeTrackerFailure(error: unknown, timeoutMs: number): TrackerFailure {
  if (HttpTrackerError.isInstance(error)) {
    if (error.code === 'failure-reason') {
      return {
        code: error.code,
        message: `tracker refused: ${error.failureReason ?? ''}`,
        refused: true,
      };
    }
    return {
      code: error.code,
      message: error.message,
      refused: error.code === 'scrape-unsupported',
    };
  }
  if (UdpTrackerError.isInstance(error)) {
    if (error.code === 'tracker-error') {
      return {
        code: error.code,
        message: `tracker refused: ${error.trackerMessage ?? error.message}`,
        refused: true,
      };
    }
    if (error.code === 'aborted' && isTimeout(error.cause)) {
      return {
        code: 'timeout',
        message: `the tracker did not answer within ${timeoutMs} ms`,
        refused: false,
      };
    }
    return { code: error.code, message: error.message, refused: false };
  }
  if (error instanceof UsageError) throw error;
  return {
    code: 'error',
    message: error instanceof Error ? error.message : String(error),
    refused: false,
  };
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError';
}
