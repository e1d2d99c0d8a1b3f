/** Just enough of the npm `bittorrent-tracker` package's API for the interop tests. */
declare module 'bittorrent-tracker' {
  import type { Socket } from 'node:dgram';

  interface AnnounceParams {
    left?: number;
    uploaded?: number;
    downloaded?: number;
  }

  export default class Client {
    constructor(options: { infoHash: string; peerId: string; announce: string[]; port: number });
    on(event: string, listener: (...args: never[]) => void): this;
    start(params?: AnnounceParams): void;
    complete(params?: AnnounceParams): void;
    stop(params?: AnnounceParams): void;
    scrape(): void;
    destroy(): void;
  }

  export class Server {
    constructor(options: { udp?: boolean; http?: boolean; ws?: boolean; stats?: boolean });
    udp4: Socket;
    udp6: Socket;
    on(event: string, listener: (...args: never[]) => void): this;
    listen(
      port: { udp?: number; http?: number },
      hostname: { udp?: string; udp6?: string; http?: string },
      onListening: () => void,
    ): void;
    close(callback: () => void): void;
  }
}
