/** Just enough of the npm `bittorrent-dht` package's API for the interop tests and the bench. */
declare module 'bittorrent-dht' {
  interface Peer {
    host: string;
    port: number;
  }

  interface PutOptions {
    v: Uint8Array | string;
    k?: Uint8Array;
    seq?: number;
    salt?: Uint8Array;
    sign?: (message: Buffer) => Uint8Array;
  }

  interface GetResult {
    v: Buffer;
    seq?: number;
    k?: Buffer;
  }

  export default class DHT {
    constructor(options?: {
      bootstrap?: string[] | false;
      host?: string | false;
      verify?: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
      nodeId?: Uint8Array;
    });
    nodeId: Buffer;
    nodes: { count(): number; toArray(): unknown[] };
    listen(port: number, host: string, callback?: () => void): void;
    address(): { address: string; port: number; family: string };
    on(event: 'ready' | 'listening', listener: () => void): this;
    on(event: 'peer', listener: (peer: Peer, infoHash: Buffer, from: Peer | null) => void): this;
    on(event: 'error' | 'warning', listener: (error: Error) => void): this;
    once(event: 'ready' | 'listening', listener: () => void): this;
    removeListener(event: string, listener: (...args: never[]) => void): this;
    announce(infoHash: Uint8Array, port: number, callback: (error: Error | null) => void): void;
    lookup(
      infoHash: Uint8Array,
      callback?: (error: Error | null, count?: number) => void,
    ): () => void;
    put(
      options: PutOptions,
      callback: (error: Error | null, hash: Buffer, count: number) => void,
    ): void;
    get(
      hash: Uint8Array,
      options: { salt?: Uint8Array; cache?: boolean },
      callback: (error: Error | null, result: GetResult | null) => void,
    ): void;
    addNode(node: Peer & { id?: Uint8Array }): void;
    toJSON(): { nodes: Peer[] };
    destroy(callback?: () => void): void;
  }
}
