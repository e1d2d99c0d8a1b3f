/**
 * What `bt announce` and `bt scrape` share: reading the torrent (a .torrent file, a magnet
 * link or a bare info-hash), and the tracker clients, which `@bt/session`'s resolver chooses
 * by URL scheme (the one place that happens), with a command's shorter waits. Display only; no
 * protocol here.
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseMagnet } from '@bt/metainfo';
import {
  type AnnounceRequest,
  type AnnounceResult,
  parseInfoHash,
  type ScrapeResult,
  toHex,
} from '@bt/primitives';
import { createDefaultTrackerResolver, type TrackerClient } from '@bt/session';
import { HttpTrackerError } from '@bt/tracker-http';
import { UdpTrackerError } from '@bt/tracker-udp';
import { UsageError } from './command.js';
import { readTorrent } from './torrent-file.js';

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
    const isFile = await access(resolve(cwd, input)).then(
      () => true,
      () => false,
    );
    if (!isFile) {
      const infoHash = parseInfoHash(input);
      return { infoHash, infoHashHex: toHex(infoHash), trackers: [] };
    }
  }
  const metainfo = await readTorrent(input, cwd);
  return {
    infoHash: metainfo.infoHash,
    infoHashHex: metainfo.infoHashHex,
    name: metainfo.name,
    length: metainfo.length,
    trackers: [...new Set(metainfo.announce.flat())],
  };
}

/** The clients of the session's resolver, with a command's timeouts. */
export class TrackerClients {
  readonly #timeoutMs: number;
  readonly #resolve: ReturnType<typeof createDefaultTrackerResolver>;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    // BEP 15's schedule (15 s, doubling) suits a long-running client; a command waits seconds.
    this.#resolve = createDefaultTrackerResolver({
      httpTimeoutMs: timeoutMs,
      udpRetransmitBase: Math.max(1, timeoutMs / 4000),
      udpMaxRetransmits: 2,
    });
  }

  /** Throws a `UsageError` for a URL no client speaks. */
  check(url: string): void {
    this.#client(url);
  }

  async announce(
    url: string,
    request: AnnounceRequest,
    signal: AbortSignal,
  ): Promise<AnnounceResult> {
    return this.#client(url).announce(url, request, { signal: this.#withTimeout(signal) });
  }

  async scrape(url: string, infoHashes: Uint8Array[], signal: AbortSignal): Promise<ScrapeResult> {
    const client = this.#client(url);
    if (client.scrape === undefined) throw new UsageError(`${url}: this tracker cannot scrape`);
    return client.scrape(url, infoHashes, { signal: this.#withTimeout(signal) });
  }

  async close(): Promise<void> {
    await this.#resolve.close();
  }

  #client(url: string): TrackerClient {
    const client = this.#resolve(url);
    if (client === undefined) {
      throw new UsageError(
        `unsupported tracker URL ${JSON.stringify(url)}: bt speaks http://, https:// and udp://`,
      );
    }
    return client;
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
