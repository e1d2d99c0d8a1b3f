/**
 * The RPC over HTTP, as transmission-daemon serves it: `POST <rpc-url>rpc` with the
 * `X-Transmission-Session-Id` exchange (409 with the id, on any method, GET included; the id
 * rotates), `rpc-whitelist` (403), `rpc-host-whitelist` against DNS rebinding (421), HTTP Basic
 * auth (401) with a lockout per client address after repeated failures, CORS, and a static web
 * client under `<rpc-url>web/`. Request bodies and headers are bounded and slow clients time out,
 * so no client pins the server; every failure of the RPC itself is an HTTP 200 answer.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { answerClientError } from '@bt/session/node';
import { isAddressAllowed, isHostAllowed, parseBasicAuth } from '../access.js';
import type { RpcBackend } from '../backend.js';
import { RpcError } from '../errors.js';
import { handleRpcText } from '../method-table.js';
import { CONTENT_TYPES, serveStaticFile } from './static-files.js';

export const SESSION_ID_HEADER = 'X-Transmission-Session-Id';
/** The RPC version this server speaks (Transmission 4.1). */
export const RPC_VERSION = 18;

export interface RpcAuthentication {
  username: string;
  /** Checks a password (constant-time; see `verifyPassword`). */
  verify(password: string): boolean;
}

export interface RpcServerOptions {
  backend: RpcBackend;
  /** Default 9091; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Transmission's `rpc-url`. Default `/transmission/`. */
  url?: string;
  /** `rpc-whitelist` patterns, enforced when given (Transmission's default: 127.0.0.1,::1). */
  whitelist?: readonly string[];
  /** `rpc-host-whitelist` patterns, enforced when given. */
  hostWhitelist?: readonly string[];
  authentication?: RpcAuthentication;
  /** Failed logins from one address before it is locked out. Default 10. */
  lockoutFailures?: number;
  /** How long a lockout lasts. Default 5 minutes. */
  lockoutMs?: number;
  /** Largest request body. Default 16 MiB (a base64 .torrent of ~12 MB). */
  maxBodyBytes?: number;
  /** Time a client has to send its headers. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time a client has to send its whole request. Default 30 s. */
  requestTimeoutMs?: number;
  /** The session id lives this long, then a new one is issued. Default 1 hour. */
  sessionIdLifetimeMs?: number;
  /** A folder holding a web client (Transmission's `TRANSMISSION_WEB_HOME`). */
  webRoot?: string;
  /**
   * A folder served at `/` (btd's own web UI), behind the same whitelists and credentials as
   * the RPC; without it `/` redirects to the web client.
   */
  appRoot?: string;
  /**
   * Other routes, asked in order after the whitelists and authentication (btd's `/stream/`):
   * a handler that answers the request returns true.
   */
  handlers?: readonly ((request: IncomingMessage, response: ServerResponse) => boolean)[];
  /** Told about refused requests (for the daemon's log). */
  onRefused?: (event: { address: string; status: number; reason: string }) => void;
}

export interface RpcServer {
  readonly port: number;
  readonly server: Server;
  /** The current `X-Transmission-Session-Id`. */
  readonly sessionId: string;
  close(): Promise<void>;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': `Authorization, Content-Type, ${SESSION_ID_HEADER}`,
  'Access-Control-Expose-Headers': SESSION_ID_HEADER,
};

/** The app's own page: scripts and connections from here only, and never inside another site's frame. */
const APP_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** Starts the server; resolves once it listens. */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const base = (options.url ?? '/transmission/').replace(/\/?$/, '/');
  const rpcPath = `${base}rpc`;
  const webPath = `${base}web/`;
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const lockoutFailures = options.lockoutFailures ?? 10;
  const lockoutMs = options.lockoutMs ?? 5 * 60_000;
  const lifetime = options.sessionIdLifetimeMs ?? 60 * 60_000;
  let sessionId = newSessionId();
  let sessionIdBorn = Date.now();
  const failures = new Map<string, { count: number; until: number }>();

  const currentSessionId = (): string => {
    if (Date.now() - sessionIdBorn > lifetime) {
      sessionId = newSessionId();
      sessionIdBorn = Date.now();
    }
    return sessionId;
  };

  const send = (
    response: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void => {
    if (response.headersSent) return;
    response.writeHead(status, {
      'Content-Type': 'text/html; charset=UTF-8',
      'Content-Length': Buffer.byteLength(body),
      ...CORS_HEADERS,
      ...headers,
    });
    response.end(body);
  };

  const refuse = (
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    reason: string,
    headers: Record<string, string> = {},
  ): void => {
    options.onRefused?.({ address: request.socket.remoteAddress ?? '', status, reason });
    send(response, status, `<h1>${status}: ${reason}</h1>`, {
      ...headers,
      Connection: status === 409 ? 'keep-alive' : 'close',
    });
  };

  const authenticate = (request: IncomingMessage, response: ServerResponse): boolean => {
    const auth = options.authentication;
    if (!auth) return true;
    const address = request.socket.remoteAddress ?? '';
    const now = Date.now();
    const record = failures.get(address);
    if (record && record.count >= lockoutFailures && now < record.until) {
      refuse(
        request,
        response,
        403,
        'Too many unsuccessful login attempts. Please try again later.',
      );
      return false;
    }
    const credentials = parseBasicAuth(request.headers.authorization);
    if (
      credentials &&
      credentials.username === auth.username &&
      auth.verify(credentials.password)
    ) {
      failures.delete(address);
      return true;
    }
    if (request.headers.authorization !== undefined) {
      const next = record && now < record.until ? record.count + 1 : 1;
      failures.set(address, { count: next, until: now + lockoutMs });
      if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
    }
    refuse(request, response, 401, 'Unauthorized User', {
      'WWW-Authenticate': 'Basic realm="Transmission"',
    });
    return false;
  };

  const readBody = (request: IncomingMessage): Promise<string> =>
    new Promise((resolveBody, reject) => {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > maxBody) {
        reject(new RpcError('invalid-request', `request body over ${maxBody} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          reject(new RpcError('invalid-request', `request body over ${maxBody} bytes`));
          request.pause();
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    });

  const serveRpc = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const id = currentSessionId();
    if (request.headers[SESSION_ID_HEADER.toLowerCase()] !== id) {
      refuse(request, response, 409, 'Conflict', {
        [SESSION_ID_HEADER]: id,
        'X-Transmission-Rpc-Version': String(RPC_VERSION),
      });
      return;
    }
    if (request.method !== 'POST') {
      refuse(request, response, 405, 'Method Not Allowed', { Allow: 'POST' });
      return;
    }
    let text: string;
    try {
      text = await readBody(request);
    } catch (error) {
      refuse(request, response, 413, error instanceof Error ? error.message : 'Payload Too Large');
      return;
    }
    const reply = await handleRpcText(options.backend, text);
    if (reply.body === undefined) {
      response.writeHead(204, { ...CORS_HEADERS, [SESSION_ID_HEADER]: id });
      response.end();
      return;
    }
    const body = JSON.stringify(reply.body);
    response.writeHead(200, {
      'Content-Type': 'application/json; charset=UTF-8',
      'Content-Length': Buffer.byteLength(body),
      [SESSION_ID_HEADER]: id,
      ...CORS_HEADERS,
    });
    response.end(body);
  };

  const serveWeb = async (
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ): Promise<void> => {
    const root = options.webRoot;
    if (!root) {
      refuse(
        request,
        response,
        404,
        'Not Found (no web client: set TRANSMISSION_WEB_HOME or --web-root)',
      );
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(webPath.length));
    } catch {
      refuse(request, response, 400, 'Bad Request');
      return;
    }
    const rootPath = resolve(root);
    const target = resolve(rootPath, normalize(relative || 'index.html'));
    if (target !== rootPath && !target.startsWith(rootPath + sep)) {
      refuse(request, response, 403, 'Forbidden');
      return;
    }
    let file = target;
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
      response.writeHead(200, {
        'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      createReadStream(file)
        .on('error', () => response.destroy())
        .pipe(response);
    } catch {
      refuse(request, response, 404, 'Not Found');
    }
  };

  const serveApp = async (
    request: IncomingMessage,
    response: ServerResponse,
    root: string,
    path: string,
  ): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      refuse(request, response, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const result = await serveStaticFile(request, response, root, path, APP_HEADERS);
    if (result === 'forbidden') refuse(request, response, 403, 'Forbidden');
    else if (result === 'bad-request') refuse(request, response, 400, 'Bad Request');
    else if (result === 'not-found') refuse(request, response, 404, 'Not Found');
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const address = request.socket.remoteAddress ?? '';
    if (options.whitelist && !isAddressAllowed(address, options.whitelist)) {
      refuse(
        request,
        response,
        403,
        `Unauthorized IP Address. Either disable the IP address whitelist or add your address to it.`,
      );
      return;
    }
    if (options.hostWhitelist && !isHostAllowed(request.headers.host, options.hostWhitelist)) {
      refuse(
        request,
        response,
        421,
        'Transmission received your request, but the hostname was unrecognized. Add it to rpc-host-whitelist.',
      );
      return;
    }
    if (request.method === 'OPTIONS') {
      send(response, 204, '');
      return;
    }
    if (!authenticate(request, response)) return;
    for (const handler of options.handlers ?? []) if (handler(request, response)) return;
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === rpcPath || path === base.slice(0, -1) + '/rpc/') {
      await serveRpc(request, response);
    } else if (path.startsWith(webPath)) {
      await serveWeb(request, response, path);
    } else if (options.appRoot && !path.startsWith(base) && path !== base.slice(0, -1)) {
      await serveApp(request, response, options.appRoot, path);
    } else if (
      path === '/' ||
      path === base ||
      path === base.slice(0, -1) ||
      path === `${base}web`
    ) {
      send(response, 301, '', { Location: webPath });
    } else {
      refuse(request, response, 404, 'Not Found');
    }
  };

  const server = createServer({
    maxHeaderSize: 16 * 1024,
    headersTimeout: options.headersTimeoutMs ?? 10_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    keepAliveTimeout: 5000,
    // how often the limits above are enforced
    connectionsCheckingInterval: 1000,
  });
  server.maxConnections = 512;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9091, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  return {
    port,
    server,
    get sessionId() {
      return currentSessionId();
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
