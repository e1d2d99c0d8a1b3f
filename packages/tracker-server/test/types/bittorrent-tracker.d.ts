// bittorrent-tracker has no type declarations; these cover what the interop tests touch.
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';

  export interface TrackerClientOptions {
    infoHash: string | Uint8Array;
    peerId: string | Uint8Array;
    announce: string[];
    port: number;
    getAnnounceOpts?: () => Record<string, unknown>;
  }

  export default class Client extends EventEmitter {
    constructor(options: TrackerClientOptions);
    start(options?: Record<string, unknown>): void;
    stop(options?: Record<string, unknown>): void;
    complete(options?: Record<string, unknown>): void;
    update(options?: Record<string, unknown>): void;
    scrape(options?: Record<string, unknown>): void;
    destroy(callback?: (error?: Error) => void): void;
  }
}
