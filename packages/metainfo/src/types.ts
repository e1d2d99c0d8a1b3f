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

/** One file of a BEP 52 (v2) file tree, with its place in the torrent's piece space. */
export interface V2File {
  /** Path segments relative to the torrent's root folder, after the path policy (as `TorrentFile.path`). */
  path: string[];
  length: number;
  /** The merkle root of the file's 16 KiB blocks (SHA-256); absent for an empty file. */
  piecesRoot?: Uint8Array;
  /** v2 aligns every non-empty file to a piece boundary: the index of its first piece. */
  firstPiece: number;
  /** Pieces the file spans (0 for an empty file); its last piece may be short. */
  pieceCount: number;
  /** Byte offset of the file in the v1-compatible layout (`Metainfo.files`, padding included). */
  offset: number;
  /** BEP 47 attributes, as in `TorrentFile.attributes`. */
  attributes?: string;
}

/** The BEP 52 side of a v2-only or hybrid torrent. */
export interface MetainfoV2 {
  /** SHA-256 of the raw bencoded `info` dictionary. */
  infoHash: Uint8Array;
  infoHashHex: string;
  /** The files of the `file tree`, in tree order. */
  files: V2File[];
  /**
   * The verified `piece layers`: for each file longer than a piece, by the hex of its
   * `pieces root`, the concatenated 32-byte hashes of its pieces. A torrent that arrived as an
   * info dictionary from peers (BEP 9) has none yet.
   */
  pieceLayers: Map<string, Uint8Array>;
}

/**
 * A parsed, validated torrent: v1 (BEP 3), v2 (BEP 52) or hybrid. Every torrent has the v1
 * view the storage and the engine read (files with BEP 47 padding, pieces, `infoHash` as peers
 * and trackers know it); v2 and hybrid torrents add `v2`.
 */
export interface Metainfo {
  /**
   * The 20-byte info-hash peers and trackers know: SHA-1 of the raw bencoded `info` (BEP 3) for
   * v1 and hybrid torrents; for a v2-only torrent, its SHA-256 info-hash truncated to 20 bytes.
   */
  infoHash: Uint8Array;
  infoHashHex: string;
  /** The torrent's name after the path policy: a safe single path segment. */
  name: string;
  /** The name as the torrent spells it, present only when the path policy changed it. */
  originalName?: string;
  pieceLength: number;
  pieceCount: number;
  /** Concatenated 20-byte SHA-1 piece hashes (empty for a v2-only torrent: see `v2`). */
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
  /** True when the info dictionary carries both v1 and BEP 52 (v2) fields: a hybrid torrent. */
  hybrid: boolean;
  /** Which protocol versions the torrent speaks. */
  version: 'v1' | 'v2' | 'hybrid';
  /**
   * The BEP 52 side (v2 and hybrid torrents). For a v2-only torrent the v1 view's files hold a
   * padding entry after each file that does not end on a piece boundary (as BEP 47 padding
   * files of a hybrid do), so pieces never span files.
   */
  v2?: MetainfoV2;
  /** The decoded info dictionary, unknown keys included: decoded from `infoBytes` on first use. */
  info: BencodeDictionary;
  /** The decoded top-level dictionary minus `info`, unknown keys included. */
  extra: BencodeDictionary;
}
