/**
 * @bt/transmission-rpc/node: the RPC over HTTP (`startRpcServer`: session id exchange,
 * whitelists, Basic auth with lockout, limits, the web client) and `SessionBackend`, the method
 * table's backend over a `@bt/session` session with persistence, queues and limits. Passwords are
 * stored as Transmission stores them (`hashPassword`, `verifyPassword`).
 */
export { RPC_VERSION, SESSION_ID_HEADER, startRpcServer } from './node/http-server.js';
export type { RpcAuthentication, RpcServer, RpcServerOptions } from './node/http-server.js';
export { hashPassword, isHashedPassword, verifyPassword } from './node/password.js';
export { listTorrentFiles, SessionBackend } from './node/session-backend.js';
export type { SessionBackendOptions } from './node/session-backend.js';
export {
  coerceSetting,
  defaultSessionSettings,
  INERT_KEYS,
  START_KEYS,
  isSessionKey,
  SESSION_DEFAULTS,
} from './node/session-settings.js';
export type { SessionKey, SessionSettings, SettingValue } from './node/session-settings.js';
export type { PersistedTorrent } from './node/torrent-entry.js';
