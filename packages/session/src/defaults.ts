/**
 * The layers plugged in when a front-end names none: the tracker client chosen by URL scheme
 * (the one place that happens), and file-system storage with one hash pool for the session.
 */
import { createFileStorage, type HashPool } from '@bt/storage';
import { HttpTrackerClient } from '@bt/tracker-http/node';
import { UdpTrackerClient } from '@bt/tracker-udp/node';
import type { StorageFactory, TrackerClient, TrackerClientResolver } from './interfaces.js';

export interface DefaultTrackerOptions {
  /** Longest wait for an HTTP(S) tracker (ms). Default: the HTTP client's own (15 s). */
  httpTimeoutMs?: number;
  /** First UDP retransmission after this many seconds, doubling (BEP 15 says 15). Default 3. */
  udpRetransmitBase?: number;
  /** UDP retransmissions before giving up. Default 2. */
  udpMaxRetransmits?: number;
}

/**
 * HTTP(S) and UDP tracker clients, made on first use, with `close` for the session's end. The
 * CLI's `bt announce` and `bt scrape` use it too, with their shorter waits.
 */
export function createDefaultTrackerResolver(
  options: DefaultTrackerOptions = {},
): TrackerClientResolver & { close(): Promise<void> } {
  let http: HttpTrackerClient | undefined;
  let udp: UdpTrackerClient | undefined;
  const resolve = (url: string): TrackerClient | undefined => {
    const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
    switch (scheme) {
      case 'http':
      case 'https':
        return (http ??= new HttpTrackerClient(
          options.httpTimeoutMs === undefined ? {} : { timeout: options.httpTimeoutMs },
        ));
      case 'udp':
        return (udp ??= new UdpTrackerClient({
          retransmitBase: options.udpRetransmitBase ?? 3,
          maxRetransmits: options.udpMaxRetransmits ?? 2,
        }));
      default:
        return undefined;
    }
  };
  return Object.assign(resolve, {
    async close(): Promise<void> {
      await Promise.allSettled([http?.close(), udp?.close()]);
    },
  });
}

/**
 * Files under `directory/<name>`, hashed on the given pool. The piece cache is sized for the
 * engine's bounded blocks in flight (16 MiB) plus pieces on their way to the disk, not the
 * storage's roomier default.
 */
export function fileStorageFactory(
  hashPool?: HashPool,
  cacheSize = 32 * 1024 * 1024,
): StorageFactory {
  return (torrent, directory, options) =>
    createFileStorage({
      layout: torrent,
      directory,
      hashPool,
      cacheSize,
      wantedFiles: options?.wantedFiles,
    });
}
