/**
 * Key spellings. Transmission before 4.1 mixed kebab-case (methods, session keys) and camelCase
 * (torrent fields); 4.1 (JSON-RPC 2.0) speaks snake_case. The method table works in snake_case:
 * every incoming key is folded to it, and answers are spelled back in the caller's dialect.
 */

/** `hashString`, `peer-limit`, `isUTP`, `hash_string` → `hash_string`, `peer_limit`, `is_utp`. */
export function toSnake(key: string): string {
  return key
    .replace(/-/g, '_')
    .replace(/([a-z0-9])([A-Z]+)/g, '$1_$2')
    .toLowerCase();
}

/** Legacy torrent fields that were never camelCase, and one with an odd capital. */
const LEGACY_TORRENT_KEYS: Record<string, string> = {
  file_count: 'file-count',
  peer_limit: 'peer-limit',
  primary_mime_type: 'primary-mime-type',
  is_utp: 'isUTP',
};

/** A torrent field (or a key of its nested objects) as clients before 4.1 spell it. */
export function toLegacyTorrentKey(snake: string): string {
  return (
    LEGACY_TORRENT_KEYS[snake] ?? snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  );
}

const LEGACY_SESSION_KEYS: Record<string, string> = {
  seed_ratio_limit: 'seedRatioLimit',
  seed_ratio_limited: 'seedRatioLimited',
};

/** A session key as clients before 4.1 spell it (kebab-case, two camelCase exceptions). */
export function toLegacySessionKey(snake: string): string {
  return LEGACY_SESSION_KEYS[snake] ?? snake.replace(/_/g, '-');
}

/** Copies `value` with every object key renamed by `rename`, at every depth. */
export function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, rename));
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[rename(key)] = renameKeys(item, rename);
  return out;
}

/** A copy of `args` whose top-level keys are snake_case (the first spelling wins on a clash). */
export function snakeArguments(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const snake = toSnake(key);
    if (!(snake in out)) out[snake] = value;
  }
  return out;
}
