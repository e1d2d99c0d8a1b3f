/**
 * Files of torrents over HTTP while they download, for a media player (mpv, VLC) or a browser:
 * `GET` and `HEAD` of `/stream/<info-hash>/<file index>[/<any name>]` with `Range` (one range:
 * 206; past the end: 416; anything else ignored: 200), `Accept-Ranges`, a `Content-Type` from
 * the file's extension. Each response is a `Torrent.createReadStream` piped with backpressure:
 * its reads wait for their pieces, which get deadlines, and a client that goes away releases
 * them. The first and last pieces of a file get deadlines as soon as the file is named (media
 * containers read their ends first). `createStreamHandler` is the handler (`bt stream` and btd
 * share it); `startStreamServer` serves one file on its own port, with bounded headers,
 * connections and readers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Duplex, pipeline } from 'node:stream';
import { contentTypeOf, parseRange } from '../http-range.js';
import { fileEndsFirst, fileRange } from '../file-stream.js';
import type { Torrent } from '../torrent.js';

export interface StreamHandlerOptions {
  /** The torrent an info-hash (40 hex digits, lower case) names, if any. */
  resolve(infoHashHex: string): Torrent | undefined;
  /** The path's first part. Default `/stream/`. */
  prefix?: string;
  /** Responses streaming at once; more are answered 503. Default 32. */
  maxReaders?: number;
}

export interface StreamHandler {
  /**
   * Answers the request when its path is under the prefix and returns true; returns false (and
   * answers nothing) otherwise, for the caller's other routes.
   */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** The path that serves file `fileIndex` (from 0) of the torrent, with its name at the end. */
  pathOf(torrent: Torrent, fileIndex: number): string;
  /** Gives the ends of a file deadlines now, before any request (released by `close`). */
  prepare(torrent: Torrent, fileIndex: number): void;
  /** Responses streaming now. */
  readonly readers: number;
  /** Ends every response and releases every deadline. */
  close(): void;
}

/** Files whose ends keep deadlines; past it the oldest is released. */
const MAX_PREPARED = 64;

export function createStreamHandler(options: StreamHandlerOptions): StreamHandler {
  const prefix = (options.prefix ?? '/stream/').replace(/\/?$/, '/');
  const maxReaders = options.maxReaders ?? 32;
  const prepared = new Map<string, () => void>();
  const open = new Set<ServerResponse>();

  const prepare = (torrent: Torrent, fileIndex: number): void => {
    const key = `${torrent.infoHashHex}/${fileIndex}`;
    if (prepared.has(key)) return;
    prepared.set(key, fileEndsFirst(torrent, fileIndex));
    if (prepared.size > MAX_PREPARED) {
      const [oldest, release] = prepared.entries().next().value!;
      release();
      prepared.delete(oldest);
    }
  };

  const answer = (
    response: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): void => {
    const body = `${status} ${message}\n`;
    response.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      ...headers,
    });
    response.end(response.req.method === 'HEAD' ? undefined : body);
  };

  const serve = (request: IncomingMessage, response: ServerResponse, path: string): void => {
    const [hash = '', index = '', ...rest] = path.slice(prefix.length).split('/');
    if (rest.length > 1 || !/^[0-9a-fA-F]{40}$/.test(hash) || !/^\d{1,6}$/.test(index)) {
      answer(response, 404, 'Not Found: the path is /stream/<info-hash>/<file index>');
      return;
    }
    const torrent = options.resolve(hash.toLowerCase());
    const fileIndex = Number(index);
    const file = torrent?.description.files[fileIndex];
    if (!torrent || !file || file.padding) {
      answer(response, 404, 'Not Found: no such torrent or file');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const { length } = fileRange(torrent.description, fileIndex);
    prepare(torrent, fileIndex);
    const name = file.path.at(-1) ?? torrent.name;
    const common = {
      'Accept-Ranges': 'bytes',
      'Content-Type': contentTypeOf(name),
      'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}`,
      'Cache-Control': 'no-store',
    };
    const range = parseRange(request.headers.range, length);
    if (range.kind === 'unsatisfiable') {
      answer(response, 416, 'Range Not Satisfiable', {
        ...common,
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Range': `bytes */${length}`,
      });
      return;
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : length - 1;
    const headers: Record<string, string> = {
      ...common,
      'Content-Length': String(end - start + 1),
    };
    if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${length}`;
    const status = range.kind === 'partial' ? 206 : 200;
    if (request.method === 'HEAD' || length === 0) {
      response.writeHead(status, headers);
      response.end();
      return;
    }
    if (open.size >= maxReaders) {
      answer(response, 503, 'Service Unavailable: too many readers', { 'Retry-After': '1' });
      return;
    }
    const reader = torrent.createReadStream(fileIndex, { start, end });
    open.add(response);
    response.writeHead(status, headers);
    // the headers go now: a player knows the length before the first piece arrives
    response.flushHeaders();
    // an error (the torrent stopped, the client went away) ends the response mid-body: the
    // client sees a short answer, and the reader's deadlines are released
    pipeline(reader, response, () => open.delete(response));
  };

  return {
    handle(request, response) {
      let path: string;
      try {
        path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
      } catch {
        return false;
      }
      if (!path.startsWith(prefix)) return false;
      serve(request, response, path);
      return true;
    },
    pathOf(torrent, fileIndex) {
      const file = torrent.description.files[fileIndex];
      const name = file?.path.at(-1) ?? torrent.name;
      return `${prefix}${torrent.infoHashHex}/${fileIndex}/${encodeURIComponent(name)}`;
    },
    prepare,
    get readers() {
      return open.size;
    },
    close() {
      for (const response of open) response.destroy();
      open.clear();
      for (const release of prepared.values()) release();
      prepared.clear();
    },
  };
}

/**
 * A `clientError` of a Node HTTP server answered and closed: 408 for a client too slow with its
 * request, 431 for headers over the limit, 400 for the rest (the RPC server uses it too).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? '408 Request Timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  else socket.destroy();
}

export interface StreamServerOptions {
  torrent: Torrent;
  /** The file served (from 0). */
  fileIndex: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Connections at once. Default 64. */
  maxConnections?: number;
  /** Responses streaming at once. Default 32. */
  maxReaders?: number;
}

export interface StreamServer {
  /** The file's URL (to open in mpv or VLC). */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly handler: StreamHandler;
  close(): Promise<void>;
}

/** Serves one file of a torrent on its own port; resolves once it listens. */
export async function startStreamServer(options: StreamServerOptions): Promise<StreamServer> {
  const { torrent, fileIndex } = options;
  fileRange(torrent.description, fileIndex);
  const handler = createStreamHandler({
    resolve: (hex) => (hex === torrent.infoHashHex ? torrent : undefined),
    maxReaders: options.maxReaders,
  });
  handler.prepare(torrent, fileIndex);
  const path = handler.pathOf(torrent, fileIndex);
  const server = createServer({
    maxHeaderSize: 16 * 1024,
    headersTimeout: 10_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5000,
    connectionsCheckingInterval: 1000,
  });
  server.maxConnections = options.maxConnections ?? 64;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const bare = (request.url ?? '/').split('?')[0];
    if (bare === '/' && (request.method === 'GET' || request.method === 'HEAD')) {
      // the root leads to the file, for a browser pointed at the bare address
      response.writeHead(302, { Location: path, 'Content-Length': 0 });
      response.end();
      return;
    }
    if (!handler.handle(request, response)) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('404 Not Found\n');
    }
  });
  server.on('clientError', answerClientError);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}${path}`,
    port,
    server,
    handler,
    close: () =>
      new Promise<void>((resolveClose) => {
        handler.close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
