/**
 * The path policy: every name that comes out of a torrent is hostile until made safe, and one
 * set of rules makes it so. A torrent's name and each segment of each file path go through
 * `sanitizePathSegment`; the result is a single, portable file name that cannot climb out of,
 * or point outside, the download folder on Linux, macOS or Windows:
 *
 * 1. NUL, C0 control characters, DEL, the characters Windows forbids (`< > : " / \ | ? *`)
 *    and Unicode bidirectional overrides (which disguise extensions) become `_`. With `/` and
 *    `\` gone a segment can never be absolute or hold a separator.
 * 2. Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9`, `CONIN$`,
 *    `CONOUT$`, with or without an extension, in any case) get a `_` prefix.
 * 3. Segments longer than 255 UTF-8 bytes are cut (keeping a short extension).
 * 4. Trailing dots and spaces are removed (Windows drops them silently, which would merge
 *    names); a segment left empty, which includes `.` and `..`, becomes `_`.
 *
 * Then `resolveCollisions` makes the file list one-to-one on case-insensitive file systems:
 * when two files map to the same path (ignoring case and Unicode normalisation), or a file and
 * a folder share a path, the later one is renamed by adding `.1`, `.2`... before the extension.
 * BEP 47 padding files are never written, so they take no part in collisions.
 *
 * Nothing is rejected for its spelling: the torrent stays usable, only the names on disk change
 * (the original spelling is kept beside the safe one). `isSafePathSegment` is the check the
 * storage repeats before touching the disk.
 */

// eslint-disable-next-line no-control-regex -- control characters are exactly what it removes
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]/g;
const RESERVED_NAMES = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
const TRAILING_DOTS_AND_SPACES = /[. ]+$/;
const MAX_SEGMENT_BYTES = 255;
const encoder = new TextEncoder();

/** Makes one path segment safe by the rules above. Idempotent. */
export function sanitizePathSegment(segment: string): string {
  let safe = segment.replace(UNSAFE_CHARACTERS, '_');
  if (isReservedName(safe)) safe = `_${safe}`;
  if (utf8Length(safe) > MAX_SEGMENT_BYTES)
    safe = truncateKeepingExtension(safe, MAX_SEGMENT_BYTES);
  safe = safe.replace(TRAILING_DOTS_AND_SPACES, '');
  return safe === '' ? '_' : safe;
}

/** True when `segment` is a non-empty string that `sanitizePathSegment` leaves unchanged. */
export function isSafePathSegment(segment: string): boolean {
  return typeof segment === 'string' && segment !== '' && sanitizePathSegment(segment) === segment;
}

function isReservedName(segment: string): boolean {
  const dot = segment.indexOf('.');
  const base = (dot < 0 ? segment : segment.slice(0, dot)).replace(/ +$/, '');
  return RESERVED_NAMES.test(base);
}

function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never splitting a code point. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function splitExtension(segment: string): { base: string; extension: string } {
  const dot = segment.lastIndexOf('.');
  if (dot <= 0 || segment.length - dot > 16) return { base: segment, extension: '' };
  return { base: segment.slice(0, dot), extension: segment.slice(dot) };
}

function truncateKeepingExtension(segment: string, maxBytes: number): string {
  const { base, extension } = splitExtension(segment);
  return truncateUtf8(base, maxBytes - utf8Length(extension)) + extension;
}

/** `name.txt` → `name.1.txt` (and `folder` → `folder.1`), kept safe and within 255 bytes. */
function withSuffix(segment: string, counter: number, isFile: boolean): string {
  const { base, extension } = isFile ? splitExtension(segment) : { base: segment, extension: '' };
  const suffix = `.${counter}${extension}`;
  const candidate = truncateUtf8(base, MAX_SEGMENT_BYTES - utf8Length(suffix)) + suffix;
  return isSafePathSegment(candidate) ? candidate : `_.${counter}${extension}`;
}

/** The collision key: the path as a case-insensitive, normalisation-insensitive file system sees it. */
function foldSegment(segment: string): string {
  return segment.normalize('NFC').toLowerCase();
}

/**
 * Renames the later of any two non-padding files whose paths collide
 * case-insensitively, or where one file's path is another's folder. Paths must already be
 * sanitised. A renamed file gets a new array in `paths` (the old one is left alone).
 * Returns the indices of renamed files. Deterministic: depends only on the order.
 */
export function resolveCollisions(paths: string[][], skip?: (index: number) => boolean): number[] {
  const filePaths = new Set<string>();
  const folderPaths = new Set<string>();
  const renamed: number[] = [];
  for (let index = 0; index < paths.length; index++) {
    if (skip?.(index)) continue;
    let path = paths[index]!;
    let key = '';
    let changed = false;
    for (let depth = 0; depth < path.length; depth++) {
      const isFile = depth === path.length - 1;
      const prefix = key === '' ? '' : `${key}/`;
      let candidateKey = prefix + foldSegment(path[depth]!);
      // A folder may share its path only with other folders; a file with nothing.
      const taken = (candidate: string): boolean =>
        filePaths.has(candidate) || (isFile && folderPaths.has(candidate));
      if (taken(candidateKey)) {
        const original = path[depth]!;
        for (let counter = 1; ; counter++) {
          const next = withSuffix(original, counter, isFile);
          candidateKey = prefix + foldSegment(next);
          if (!taken(candidateKey)) {
            if (!changed) path = paths[index] = path.slice();
            path[depth] = next;
            break;
          }
        }
        changed = true;
      }
      key = candidateKey;
      if (isFile) filePaths.add(key);
      else folderPaths.add(key);
    }
    if (changed) renamed.push(index);
  }
  return renamed;
}
