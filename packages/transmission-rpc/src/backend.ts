/**
 * What the method table needs of a session: `RpcBackend`. `@bt/transmission-rpc/node` has one
 * over `@bt/session` (`SessionBackend`); a test or another engine can bring its own. Keys are
 * snake_case (Transmission 4.1's spelling); rates and sizes are bytes, speed limits KB/s as the
 * RPC has them, dates Unix seconds.
 */

/** Which torrents a request names (Transmission's `ids`), resolved to ids by the backend. */
export type TorrentSelector =
  | { kind: 'all' }
  | { kind: 'recently-active' }
  | { kind: 'list'; ids: readonly number[]; hashes: readonly string[] };

/** Transmission's status numbers. */
export const TorrentStatus = {
  stopped: 0,
  checkWait: 1,
  check: 2,
  downloadWait: 3,
  download: 4,
  seedWait: 5,
  seed: 6,
} as const;
export type TorrentStatus = (typeof TorrentStatus)[keyof typeof TorrentStatus];

/** Every field of `torrent_get` (Transmission 4.1 spelling). */
export const TORRENT_FIELDS = [
  'activity_date',
  'added_date',
  'availability',
  'bandwidth_priority',
  'comment',
  'corrupt_ever',
  'creator',
  'date_created',
  'desired_available',
  'done_date',
  'download_dir',
  'downloaded_ever',
  'download_limit',
  'download_limited',
  'edit_date',
  'error',
  'error_string',
  'eta',
  'eta_idle',
  'file_count',
  'files',
  'file_stats',
  'group',
  'hash_string',
  'have_unchecked',
  'have_valid',
  'honors_session_limits',
  'id',
  'is_finished',
  'is_private',
  'is_stalled',
  'labels',
  'left_until_done',
  'magnet_link',
  'manual_announce_time',
  'max_connected_peers',
  'metadata_percent_complete',
  'name',
  'peer_limit',
  'peers',
  'peers_connected',
  'peers_from',
  'peers_getting_from_us',
  'peers_sending_to_us',
  'percent_complete',
  'percent_done',
  'pieces',
  'piece_count',
  'piece_size',
  'priorities',
  'primary_mime_type',
  'queue_position',
  'rate_download',
  'rate_upload',
  'recheck_progress',
  'seconds_downloading',
  'seconds_seeding',
  'seed_idle_limit',
  'seed_idle_mode',
  'seed_ratio_limit',
  'seed_ratio_mode',
  'sequential_download',
  'size_when_done',
  'start_date',
  'status',
  'torrent_file',
  'total_size',
  'trackers',
  'tracker_list',
  'tracker_stats',
  'uploaded_ever',
  'upload_limit',
  'upload_limited',
  'upload_ratio',
  'wanted',
  'webseeds',
  'webseeds_sending_to_us',
] as const;
export type TorrentField = (typeof TORRENT_FIELDS)[number];

/** What `torrent_add` asks for. */
export interface TorrentAddInput {
  /** A path on the daemon's machine, an HTTP(S) URL, or a magnet link. */
  filename?: string;
  /** The .torrent's bytes. */
  metainfo?: Uint8Array;
  download_dir?: string;
  paused?: boolean;
  labels?: string[];
  peer_limit?: number;
  bandwidth_priority?: number;
  files_wanted?: number[];
  files_unwanted?: number[];
  priority_high?: number[];
  priority_low?: number[];
  priority_normal?: number[];
  cookies?: string;
}

export interface TorrentAddResult {
  duplicate: boolean;
  id: number;
  name: string;
  hash_string: string;
}

/** `torrent_set`'s changes, validated (types checked) by the method table. */
export interface TorrentSetChanges {
  bandwidth_priority?: number;
  download_limit?: number;
  download_limited?: boolean;
  upload_limit?: number;
  upload_limited?: boolean;
  honors_session_limits?: boolean;
  files_wanted?: number[];
  files_unwanted?: number[];
  priority_high?: number[];
  priority_low?: number[];
  priority_normal?: number[];
  group?: string;
  labels?: string[];
  location?: string;
  peer_limit?: number;
  queue_position?: number;
  seed_idle_limit?: number;
  seed_idle_mode?: number;
  seed_ratio_limit?: number;
  seed_ratio_mode?: number;
  sequential_download?: boolean;
  tracker_add?: string[];
  tracker_remove?: number[];
  tracker_replace?: [number, string][];
  tracker_list?: string;
}

export type TorrentAction = 'start' | 'start_now' | 'stop' | 'verify' | 'reannounce';
export type QueueMove = 'top' | 'up' | 'down' | 'bottom';

export interface SessionStatsTotals {
  uploaded_bytes: number;
  downloaded_bytes: number;
  files_added: number;
  session_count: number;
  seconds_active: number;
}

export interface SessionStatsValues {
  active_torrent_count: number;
  download_speed: number;
  paused_torrent_count: number;
  torrent_count: number;
  upload_speed: number;
  cumulative_stats: SessionStatsTotals;
  current_stats: SessionStatsTotals;
}

export interface BandwidthGroup {
  name: string;
  honors_session_limits: boolean;
  speed_limit_down_enabled: boolean;
  speed_limit_down: number;
  speed_limit_up_enabled: boolean;
  speed_limit_up: number;
}

/** The session API the RPC drives. Methods throw `RpcError`s for what the client got wrong. */
export interface RpcBackend {
  /** Ids of the torrents `selector` names, in id order; unknown ids and hashes are skipped. */
  resolve(selector: TorrentSelector): number[];
  /** Ids removed recently (for `recently-active`). */
  recentlyRemoved(): number[];
  /**
   * The requested fields of each torrent: one row per torrent, its values in the order of
   * `fields` (nested objects with snake_case keys). Rows rather than objects: `torrent-get`
   * of thousands of torrents is the hot path of every web client.
   */
  torrentFields(ids: readonly number[], fields: readonly TorrentField[]): unknown[][];
  torrentAdd(input: TorrentAddInput): Promise<TorrentAddResult>;
  torrentAction(action: TorrentAction, ids: readonly number[]): Promise<void>;
  torrentSet(ids: readonly number[], changes: TorrentSetChanges): Promise<void>;
  torrentRemove(ids: readonly number[], deleteLocalData: boolean): Promise<void>;
  torrentSetLocation(ids: readonly number[], location: string, move: boolean): Promise<void>;
  torrentRenamePath(
    id: number,
    path: string,
    name: string,
  ): Promise<{ path: string; name: string; id: number }>;
  /** Every session key it knows (snake_case). */
  sessionGet(): Record<string, unknown>;
  /** Applies the keys it knows; unknown ones are ignored, as Transmission does. */
  sessionSet(changes: Record<string, unknown>): Promise<void>;
  sessionStats(): SessionStatsValues;
  /** Asks the daemon to shut down (after the answer is sent). */
  sessionClose(): void;
  freeSpace(path: string): Promise<{ size_bytes: number; total_size: number }>;
  portTest(ipProtocol?: 'ipv4' | 'ipv6'): Promise<{ port_is_open: boolean; ip_protocol?: string }>;
  blocklistUpdate(): Promise<number>;
  queueMove(move: QueueMove, ids: readonly number[]): void;
  groupGet(names?: readonly string[]): BandwidthGroup[];
  groupSet(group: Partial<BandwidthGroup> & { name: string }): void;
}
