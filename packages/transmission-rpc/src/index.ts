/**
 * @bt/transmission-rpc: Transmission's RPC (rpc-spec.md, versions up to 18) as a method table
 * over a session API. Pure: a parsed request in, an answer out (`handleRpcRequest`), in both
 * dialects (the legacy `method`/`arguments`/`tag` one and 4.1's JSON-RPC 2.0), against any
 * `RpcBackend`. The access rules (whitelist, host whitelist, Basic credentials) are here too.
 * `@bt/transmission-rpc/node` has the HTTP server and the backend over `@bt/session`.
 */
export {
  isAddressAllowed,
  isHostAllowed,
  normalizeAddress,
  parseBasicAuth,
  parseWhitelist,
} from './access.js';
export { TORRENT_FIELDS, TorrentStatus } from './backend.js';
export type {
  BandwidthGroup,
  QueueMove,
  RpcBackend,
  SessionStatsTotals,
  SessionStatsValues,
  TorrentAction,
  TorrentAddInput,
  TorrentAddResult,
  TorrentField,
  TorrentSelector,
  TorrentSetChanges,
} from './backend.js';
export { RpcError } from './errors.js';
export type { RpcErrorCode } from './errors.js';
export { handleRpcRequest, handleRpcText, RPC_METHODS } from './method-table.js';
export type { Dialect, RpcReply } from './method-table.js';
export { toLegacySessionKey, toLegacyTorrentKey, toSnake } from './names.js';
