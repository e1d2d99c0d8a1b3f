/**
 * @bt/dht: a mainline DHT node (BEP 5) with the extensions the best nodes speak: IPv6 (BEP 32),
 * scrapes (BEP 33), secure node ids (BEP 42), read-only mode (BEP 43), arbitrary data (BEP 44)
 * and info-hash sampling (BEP 51). This entry is the pure, sans-IO part (runs in any runtime):
 * the KRPC codec, the routing table, lookups and `DhtCore`, whose `receive(bytes, from, now)` and
 * `tick(now)` return the datagrams to send. The UDP shell is `createDht` in `@bt/dht/node`.
 */
export { BLOOM_LENGTH, bloomEstimate, bloomInsert, bloomMerge } from './bloom.js';
export { DhtCore, immutableTarget, mutableSignatureMessage, mutableTarget } from './dht-core.js';
export type {
  Datagram,
  DhtCoreOptions,
  DhtCoreStats,
  DhtItem,
  LookupHandle,
  LookupHandler,
  LookupMethod,
  LookupRequest,
  LookupResult,
  ScrapeEstimate,
  StoreTarget,
  VerifySignature,
} from './dht-core.js';
export { DhtError } from './errors.js';
export type { DhtErrorCode, DhtErrorOptions } from './errors.js';
export { ItemStore } from './item-store.js';
export type { ItemStoreOptions, StoredItem } from './item-store.js';
export {
  decodeKrpc,
  BytePool,
  encodeKrpc,
  isKrpcDatagram,
  KRPC_ERROR,
  MAX_ITEM_VALUE_LENGTH,
  MAX_SALT_LENGTH,
  MAX_TRANSACTION_ID_LENGTH,
} from './krpc.js';
export { CommonQueryReader, readCommonQuery, readKrpc } from './krpc-read.js';
export type {
  KrpcErrorMessage,
  KrpcMessage,
  KrpcMethod,
  KrpcQuery,
  KrpcResponse,
  Want,
} from './krpc.js';
export { Lookup } from './lookup.js';
export type { Candidate, CandidateState, LookupOptions } from './lookup.js';
export {
  COMPACT_NODE_IPV4_LENGTH,
  COMPACT_NODE_IPV6_LENGTH,
  commonPrefixLength,
  compareDistance,
  decodeCompactNodes,
  encodeCompactNodes,
  isLocalAddress,
  isValidNodeIdForAddress,
  NODE_ID_LENGTH,
  nodeIdForIp,
  randomIdInBucket,
} from './node-id.js';
export type { NodeContact, NodeId } from './node-id.js';
export { PeerStore } from './peer-store.js';
export type { PeerStoreOptions } from './peer-store.js';
export { BUCKET_SIZE, RoutingTable } from './routing-table.js';
export { SimulatedNetwork } from './simulation.js';
export type { SimulatedNode, SimulationOptions } from './simulation.js';
export type { RoutingNode, RoutingTableStats } from './routing-table.js';
