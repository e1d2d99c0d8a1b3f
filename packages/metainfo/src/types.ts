/** The typed view of a v1 torrent that `parseTorrent` returns and every other layer reads. */
import type { BencodeDictionary } from '@bt/bencode';

/** One file of a torrent, in the order the torrent lists it. */
export interface TorrentFile {
  /**
   * Path segments relative to the torrent's root folder (for a single-file torrent: `[name]`),
   * already passed through the path policy (`sanitizePathSegment`, collision renaming): every
   * segment satisfies `isSafePathSegment`. Use `filePathSegments` for the on-disk location.
   */
  path: string[];
  length: number;
  /** Byte offset of the file in the torrent's concatenated content. */
  offset: number;
  /** BEP 47 padding file (`attr` contains `p`): zeros, never written to disk. */
  padding: boolean;
  /** BEP 47 `attr`: `p` padding, `x` executable, `h` hidden, `l` symlink. */
  attributes?: string;
  /** The optional `md5sum` (32 hex digits), as text. */
  md5sum?: string;
  /** BEP 47 `symlink path` (segments, sanitised), for files with the `l` attribute. */
  symlinkPath?: string[];
  /** The path as the torrent spells it, present only when the path policy changed it. */
  originalPath?: string[];
}

/** A parsed, validated v1 torrent (or the v1 side of a hybrid v1/v2 torrent). */
export interface Metainfo {
  /** SHA-1 of the raw bencoded `info` dictionary, as read (BEP 3). */
  infoHash: Uint8Array;
  infoHashHex: string;
  /** The torrent's name after the path policy: a safe single path segment. */
  name: string;
  /** The name as the torrent spells it, present only when the path policy changed it. */
  originalName?: string;
  pieceLength: number;
  pieceCount: number;
  /** Concatenated 20-byte SHA-1 piece hashes. */
  pieces: Uint8Array;
  /** Total bytes, padding files included. */
  length: number;
  files: TorrentFile[];
  /** True when the info dictionary has `files`: the content lives in the folder `<name>/`. */
  multiFile: boolean;
  /** BEP 27: peers come only from the torrent's trackers (no DHT, PEX or LSD). */
  private: boolean;
  /** BEP 12 tiers, in the torrent's order; a lone `announce` becomes `[[url]]`. */
  announce: string[][];
  /** BEP 19 web seeds (`url-list`). */
  urlList: string[];
  /** BEP 17 HTTP seeds (`httpseeds`). */
  httpSeeds: string[];
  creationDate?: number;
  comment?: string;
  createdBy?: string;
  encoding?: string;
  /** `info.source` (changes the info-hash; private trackers use it). */
  source?: string;
  /** The raw bencoded info dictionary exactly as read: what BEP 9 serves to peers. */
  infoBytes: Uint8Array;
  /** True when the info dictionary also carries BEP 52 (v2) fields: a hybrid torrent. */
  hybrid: boolean;
  /** The decoded info dictionary, unknown keys included: decoded from `infoBytes` on first use. */
  info: BencodeDictionary;
  /** The decoded top-level dictionary minus `info`, unknown keys included. */
  extra: BencodeDictionary;
}
