/**
 * The session keys of the RPC (snake_case) with Transmission's defaults, which of them change
 * what the engine does, and which are kept only so clients can read back what they wrote.
 */

export type SettingValue = string | number | boolean;

/** Keys `session-set` may change, with Transmission's defaults. */
export const SESSION_DEFAULTS = {
  alt_speed_down: 50,
  alt_speed_enabled: false,
  alt_speed_time_begin: 540,
  alt_speed_time_day: 127,
  alt_speed_time_enabled: false,
  alt_speed_time_end: 1020,
  alt_speed_up: 50,
  blocklist_enabled: false,
  blocklist_url: 'http://www.example.com/blocklist',
  cache_size_mb: 4,
  default_trackers: '',
  dht_enabled: false,
  download_dir: '',
  download_queue_enabled: true,
  download_queue_size: 5,
  encryption: 'preferred',
  idle_seeding_limit: 30,
  idle_seeding_limit_enabled: false,
  incomplete_dir: '',
  incomplete_dir_enabled: false,
  lpd_enabled: false,
  peer_limit_global: 200,
  peer_limit_per_torrent: 50,
  peer_port: 51413,
  peer_port_random_on_start: false,
  pex_enabled: false,
  port_forwarding_enabled: false,
  queue_stalled_enabled: true,
  queue_stalled_minutes: 30,
  rename_partial_files: false,
  script_torrent_added_enabled: false,
  script_torrent_added_filename: '',
  script_torrent_done_enabled: false,
  script_torrent_done_filename: '',
  script_torrent_done_seeding_enabled: false,
  script_torrent_done_seeding_filename: '',
  seed_queue_enabled: false,
  seed_queue_size: 10,
  seed_ratio_limit: 2,
  seed_ratio_limited: false,
  speed_limit_down: 100,
  speed_limit_down_enabled: false,
  speed_limit_up: 100,
  speed_limit_up_enabled: false,
  start_added_torrents: true,
  trash_original_torrent_files: false,
  utp_enabled: false,
} satisfies Record<string, SettingValue>;

export type SessionSettings = {
  -readonly [K in keyof typeof SESSION_DEFAULTS]: (typeof SESSION_DEFAULTS)[K];
};
export type SessionKey = keyof SessionSettings;

/**
 * Kept and reported, but the engine has no such feature yet: setting them changes nothing.
 * (The disk cache is sized by the storage itself.)
 */
export const INERT_KEYS: ReadonlySet<SessionKey> = new Set([
  'cache_size_mb',
  'port_forwarding_enabled',
  'rename_partial_files',
  'peer_port_random_on_start',
  'script_torrent_added_enabled',
  'script_torrent_added_filename',
  'script_torrent_done_seeding_enabled',
  'script_torrent_done_seeding_filename',
  'trash_original_torrent_files',
  'default_trackers',
]);

/**
 * Read by the engine when it starts (its listening port, DHT node, extensions, transports and
 * encryption): a change is kept and reported at once and takes effect at the next start.
 */
export const START_KEYS: ReadonlySet<SessionKey> = new Set([
  'peer_port',
  'dht_enabled',
  'pex_enabled',
  'lpd_enabled',
  'utp_enabled',
  'encryption',
]);

/** Transmission's three words for `encryption`. */
export const ENCRYPTION_MODES = ['required', 'preferred', 'tolerated'] as const;

/** A copy of the defaults. */
export function defaultSessionSettings(): SessionSettings {
  return { ...SESSION_DEFAULTS };
}

/** Checks one value against the default's type; undefined when it does not fit. */
export function coerceSetting(key: SessionKey, value: unknown): SettingValue | undefined {
  const expected = typeof SESSION_DEFAULTS[key];
  if (expected === 'boolean' && (value === 0 || value === 1)) return value === 1;
  if (typeof value !== expected) return undefined;
  if (key === 'encryption' && !(ENCRYPTION_MODES as readonly unknown[]).includes(value))
    return undefined;
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  return value as SettingValue;
}

export function isSessionKey(key: string): key is SessionKey {
  return Object.hasOwn(SESSION_DEFAULTS, key);
}
