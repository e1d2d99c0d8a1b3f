/**
 * Static files for the HTTP server (btd's web UI at `/`): content types, no way out of the
 * folder, a precompressed `.gz` sibling sent when the client accepts gzip, ETags with 304s,
 * content-hashed names (`app-1a2b3c4d5e.js`) cached for a year and everything else revalidated,
 * and headers that keep the page out of other sites' frames.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.gif': 'image/gif',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A name with a content hash in it never changes content. */
const HASHED_NAME = /-[0-9a-f]{8,}\.[a-z0-9]+$/;

export type StaticResult = 'served' | 'not-found' | 'forbidden' | 'bad-request';

/**
 * Sends `relative` (URL-encoded, from the request path) out of `root`; a folder answers with its
 * `index.html`. Resolves with what happened; the caller answers anything but `served`.
 */
export async function serveStaticFile(
  request: IncomingMessage,
  response: ServerResponse,
  root: string,
  relative: string,
  extraHeaders: Record<string, string> = {},
): Promise<StaticResult> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return 'bad-request';
  }
  if (decoded.includes('\0')) return 'bad-request';
  const rootPath = resolve(root);
  const target = resolve(rootPath, normalize(`./${decoded}`));
  if (target !== rootPath && !target.startsWith(rootPath + sep)) return 'forbidden';
  let file = target;
  let info;
  try {
    info = await stat(file);
    if (info.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return 'not-found';
  } catch {
    return 'not-found';
  }
  const headers: Record<string, string | number> = {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': HASHED_NAME.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept-Encoding',
    ...extraHeaders,
  };
  let body = file;
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (acceptsGzip) {
    try {
      const gzipped = await stat(`${file}.gz`);
      if (gzipped.isFile() && gzipped.mtimeMs >= info.mtimeMs - 1000) {
        body = `${file}.gz`;
        info = gzipped;
        headers['Content-Encoding'] = 'gzip';
      }
    } catch {
      // no precompressed copy: send the file as it is
    }
  }
  const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}${body === file ? '' : '-gz'}"`;
  headers.ETag = etag;
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    response.end();
    return 'served';
  }
  headers['Content-Length'] = info.size;
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return 'served';
  }
  createReadStream(body)
    .on('error', () => response.destroy())
    .pipe(response);
  return 'served';
}
