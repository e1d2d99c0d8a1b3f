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

// Anything that might need a change: an unsafe character, a trailing dot or space.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const MIGHT_BE_UNSAFE = /[\u0000-\u001f\u007f<>:"/\\|?*\u202a-\u202e\u2066-\u2069]|[. ]$/;

/** Makes one path segment safe by the rules above. Idempotent. */
export function sanitizePathSegment(segment: string): string {
  // Fast path for the common case: short (at most 85 UTF-16 units is at most 255 UTF-8
  // bytes), nothing to replace, cannot be a device name (those start with c, p, a, n or l).
  if (segment.length > 0 && segment.length <= 85 && !MIGHT_BE_UNSAFE.test(segment)) {
    const first = segment.charCodeAt(0) | 0x20;
    if (first !== 0x63 && first !== 0x70 && first !== 0x61 && first !== 0x6e && first !== 0x6c) {
      return segment;
    }
    if (!isReservedName(segment)) return segment;
  }
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

/** The collision key: the name as a case-insensitive, normalisation-insensitive file system sees it. */
function foldSegment(segment: string): string {
  // eslint-disable-next-line no-control-regex -- ASCII needs no normalisation
  return /^[\u0000-\u007f]*$/.test(segment)
    ? segment.toLowerCase()
    : segment.normalize('NFC').toLowerCase();
}

/** A folder in the collision trie: what each folded name in it is taken by. */
interface FolderNode {
  files: Set<string>;
  folders: Map<string, FolderNode>;
  /** Sub-folders by their exact name: repeated folder names skip the folding. */
  exact: Map<string, FolderNode>;
}

/**
 * Renames the later of any two non-padding files whose paths collide case-insensitively, or
 * where one file's path is another's folder. Paths must already be sanitised. A renamed file
 * gets a new array in `paths` (the old one is left alone). Returns the indices of renamed
 * files. Deterministic: depends only on the order.
 */
export function resolveCollisions(paths: string[][], skip?: (index: number) => boolean): number[] {
  const root: FolderNode = { files: new Set(), folders: new Map(), exact: new Map() };
  const renamed: number[] = [];
  for (let index = 0; index < paths.length; index++) {
    if (skip?.(index)) continue;
    let path = paths[index]!;
    let folder = root;
    let changed = false;
    const last = path.length - 1;
    for (let depth = 0; depth <= last; depth++) {
      const isFile = depth === last;
      if (!isFile) {
        const known = folder.exact.get(path[depth]!);
        if (known !== undefined) {
          folder = known;
          continue;
        }
      }
      let key = foldSegment(path[depth]!);
      let renamedHere = false;
      // A folder may share its name only with other folders; a file with nothing.
      if (folder.files.has(key) || (isFile && folder.folders.has(key))) {
        const original = path[depth]!;
        for (let counter = 1; ; counter++) {
          const next = withSuffix(original, counter, isFile);
          key = foldSegment(next);
          if (!folder.files.has(key) && !(isFile && folder.folders.has(key))) {
            if (!changed) path = paths[index] = path.slice();
            path[depth] = next;
            break;
          }
        }
        changed = true;
        renamedHere = true;
      }
      if (isFile) {
        folder.files.add(key);
      } else {
        let child = folder.folders.get(key);
        if (child === undefined) {
          child = { files: new Set(), folders: new Map(), exact: new Map() };
          folder.folders.set(key, child);
        }
        // A name that needed no renaming maps to this folder for good: no file can take its
        // folded name later (it would collide with the folder and be renamed).
        if (!renamedHere) folder.exact.set(path[depth]!, child);
        folder = child;
      }
    }
    if (changed) renamed.push(index);
  }
  return renamed;
}
