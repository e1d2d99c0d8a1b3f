/** Minimal types for the npm reference implementations the interop tests and bench compare with. */
declare module 'parse-torrent' {
  export default function parseTorrent(
    input: Uint8Array | string,
  ): Promise<Record<string, unknown>>;
}

declare module 'create-torrent' {
  export default function createTorrent(
    input: string | string[],
    options: Record<string, unknown>,
    callback: (error: Error | null, torrent: Uint8Array) => void,
  ): void;
}
