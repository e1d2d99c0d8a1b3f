/**
 * The HTTP `Range` header of a request for one resource (RFC 9110 §14.2), as a stream server
 * answers it: one byte range is served (206), a range that cannot be satisfied is refused (416),
 * and anything else, a malformed header, another unit or several ranges, is ignored (the whole
 * resource, 200), as the RFC allows. Pure.
 */

/** Header values longer than this are not parsed (and so ignored). */
const MAX_RANGE_HEADER = 256;

export type RangeAnswer =
  /** Serve everything (no header, or one we ignore). */
  | { kind: 'full' }
  /** Serve bytes `start..end` inclusive (206). */
  | { kind: 'partial'; start: number; end: number }
  /** The range lies past the end (416, `Content-Range: bytes *\/size`). */
  | { kind: 'unsatisfiable' };

/** How to answer `header` for a resource of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined || header.length > MAX_RANGE_HEADER) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first.length > 15 || last.length > 15) return { kind: 'unsatisfiable' };
  if (first === '') {
    // the last N bytes
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  m4a: 'audio/mp4',
  mkv: 'video/x-matroska',
  mka: 'audio/x-matroska',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  mov: 'video/quicktime',
  ts: 'video/mp2t',
  mpg: 'video/mpeg',
  mpeg: 'video/mpeg',
  ogv: 'video/ogg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  wav: 'audio/wav',
  aac: 'audio/aac',
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
  txt: 'text/plain; charset=utf-8',
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  iso: 'application/x-iso9660-image',
  zip: 'application/zip',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
};

/** The `Content-Type` for a file name, by its extension (`application/octet-stream` if unknown). */
export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}
