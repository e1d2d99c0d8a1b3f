/** Test helper (not exported): builds bencoded torrents from plain objects. */
import { encode, type EncodableValue } from '@bt/bencode';

export interface FakeFile {
  path: string[];
  length: number;
  attr?: string;
}

/** A torrent with the right number of (fake) piece hashes for its files. */
export function makeTorrent(
  options: {
    name?: string;
    pieceLength?: number;
    files?: FakeFile[];
    length?: number;
    info?: Record<string, EncodableValue | undefined>;
    top?: Record<string, EncodableValue | undefined>;
  } = {},
): Uint8Array {
  const pieceLength = options.pieceLength ?? 16384;
  const total = options.files
    ? options.files.reduce((sum, file) => sum + file.length, 0)
    : (options.length ?? 100_000);
  const pieceCount = Math.ceil(total / pieceLength);
  const pieces = new Uint8Array(pieceCount * 20);
  for (let i = 0; i < pieces.length; i++) pieces[i] = i & 0xff;
  const info: Record<string, EncodableValue | undefined> = {
    name: options.name ?? 'example',
    'piece length': pieceLength,
    pieces,
  };
  if (options.files) {
    info.files = options.files.map((file) => ({
      length: file.length,
      path: file.path,
      ...(file.attr ? { attr: file.attr } : {}),
    }));
  } else info.length = total;
  Object.assign(info, options.info);
  return encode({ announce: 'http://tracker.example/announce', ...options.top, info });
}
