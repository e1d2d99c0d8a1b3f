/**
 * The DHT node itself, sans-IO: `receive(bytes, from, now)` and `tick(now)` return the
 * datagrams to send, so the same code runs over a UDP socket, under a simulated network and on
 * a virtual clock. It serves others (BEP 5 queries, tokens, the peer store, BEP 44 items, BEP 51
 * samples, BEP 33 scrapes), keeps one routing table per address family (BEP 32), runs iterative
 * lookups, learns its external address from responders' `ip` votes and takes a BEP 42 id for
 * it, speaks read-only mode (BEP 43), and stays bounded under abuse: incoming queries limited per
 * IP, outgoing queries per second, every table and store capped.
 */
import { decode, encode } from '@bt/bencode';
import {
  type AddressFamily,
  type PeerAddress,
  decodeCompactPeer,
  randomBytes,
  writeIPv4,
} from '@bt/primitives';
import { BLOOM_LENGTH, bloomEstimate, bloomInsert, bloomMerge } from './bloom.js';
import { DhtError } from './errors.js';
import { CommonQueryReader, readKrpc } from './krpc-read.js';
import { Sha1, sha1 } from '@bt/hash';
import { ItemStore, type ItemStoreOptions } from './item-store.js';
import {
  BytePool,
  type KrpcErrorMessage,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponse,
  KRPC_ERROR,
  MAX_ITEM_VALUE_LENGTH,
  MAX_SALT_LENGTH,
  encodeKrpc,
} from './krpc.js';
import { type Candidate, Lookup } from './lookup.js';
import {
  type NodeContact,
  type NodeId,
  NODE_ID_LENGTH,
  decodeCompactNodes,
  encodeCompactNodes,
  idKey,
  idsEqual,
  ipBytes,
  isLocalAddress,
  isValidNodeIdForAddress,
  nodeIdForIp,
  randomIdInBucket,
} from './node-id.js';
import { PeerStore, type PeerStoreOptions } from './peer-store.js';
import { RoutingTable, type RoutingTableStats } from './routing-table.js';

/** A datagram to send (or one that arrived). `bytes` is owned by the receiver. */
export interface Datagram {
  bytes: Uint8Array;
  to: PeerAddress;
}

/** Checks an ed25519 signature (BEP 44); the Node shell passes one built on `node:crypto`. */
export type VerifySignature = (
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

export interface DhtCoreOptions {
  /** The clock's reading at creation (milliseconds; any epoch, as long as it only moves on). */
  now: number;
  /** A fixed node id. Default: from the saved state, else random, replaced by a BEP 42 id once our external IP is known. */
  id?: NodeId;
  /** Address families with a routing table. Default `[4]`. */
  families?: readonly AddressFamily[];
  /** Routers and nodes to bootstrap from (IP literals: the shell resolves names). */
  bootstrap?: readonly PeerAddress[];
  /** Bytes from `saveState()`: the node id and the table's nodes. */
  state?: Uint8Array;
  /** BEP 43: never answer queries, ask others not to add us (`ro: 1`). */
  readOnly?: boolean;
  /** Source of randomness. Default `crypto.getRandomValues`. */
  random?: (length: number) => Uint8Array;
  /** ed25519 verification for BEP 44 mutable items; without it they are refused. */
  verifySignature?: VerifySignature;
  /** Our client version (`v`). Default `BT` and two version bytes. */
  version?: Uint8Array;
  /** Requests a lookup keeps in flight. Default 5 (libtorrent's aggressive lookups). */
  alpha?: number;
  /** After this many ms a request stops counting against α. Default 1000. */
  slowAfter?: number;
  /**
   * Requests a lookup sends one candidate before it gives up on it (a slow request is repeated
   * at once). Default 3: a node is then missed when three request-answer pairs in a row were
   * lost. On a lossier network more attempts cost a dead node's few seconds more.
   */
  lookupAttempts?: number;
  /** After this many ms a request has failed. Default 4000. */
  queryTimeout?: number;
  /** Outgoing queries per second, at most. Default 500. */
  maxQueriesPerSecond?: number;
  /** Queries accepted from one IP per second (bursts of 4 times that). Default 50. */
  maxQueriesPerIpPerSecond?: number;
  /** How long a flooding IP is ignored, in ms. Default 60 s. */
  floodBlockDuration?: number;
  /** Longest datagram looked at. Default 4096 bytes. */
  maxDatagramLength?: number;
  /** Most queries of ours waiting for an answer. Default 2048. */
  maxPendingQueries?: number;
  peerStore?: PeerStoreOptions;
  itemStore?: ItemStoreOptions;
}

export interface DhtCoreStats {
  id: Uint8Array;
  /** Our address as responders report it (BEP 42), once enough agree. */
  externalAddress: PeerAddress | undefined;
  tables: { family: AddressFamily; table: RoutingTableStats }[];
  lookupsActive: number;
  lookupsTotal: number;
  queriesIn: number;
  queriesOut: number;
  responsesIn: number;
  /** Datagrams that were not KRPC, or that we could not make sense of. */
  malformed: number;
  /** Queries ignored because their IP sent too many. */
  rateLimited: number;
  /** Answers that matched no query of ours (late, spoofed, or from the wrong address). */
  unexpected: number;
  /** Over the last complete 5-second window. */
  queriesInPerSecond: number;
  queriesOutPerSecond: number;
  storedPeers: number;
  storedInfoHashes: number;
  storedItems: number;
  pendingQueries: number;
}

/** How a lookup reports what it finds. Set once; called synchronously from `receive`/`tick`. */
export interface LookupHandler {
  /** Peers from one `values` answer (get_peers), not yet deduplicated across answers. */
  peers?: (peers: PeerAddress[], from: PeerAddress) => void;
  /** Every answer, for the BEP 44 / 51 / 33 operations built on lookups. */
  response?: (response: KrpcResponse, candidate: Candidate) => void;
  done?: (result: LookupResult) => void;
}

export interface LookupResult {
  target: Uint8Array;
  /** Requests sent. */
  queried: number;
  responses: number;
  /** Hops: the deepest node asked was found through this many answers, plus one. */
  rounds: number;
  /** The closest nodes that answered, closest first. */
  closest: NodeContact[];
  /** The closest nodes that answered with a write token (get_peers, get): where to store. */
  storeTargets: StoreTarget[];
  /** Whether it was cancelled rather than converging. */
  cancelled: boolean;
}

/** A node that gave us a write token during a lookup. */
export interface StoreTarget extends NodeContact {
  token: Uint8Array;
  /** BEP 44: the seq of the item it holds (-1 for an immutable item), if it holds one. */
  itemSeq?: number;
}

export type LookupMethod = 'find_node' | 'get_peers' | 'get' | 'sample_infohashes';

export interface LookupRequest {
  target: Uint8Array;
  method: LookupMethod;
  family?: AddressFamily;
  /** get_peers: BEP 33 flags. */
  scrape?: boolean;
  noSeed?: boolean;
  /** get: only items newer than this. */
  seq?: number;
  /**
   * The lookup finds where to store (`announce_peer`, BEP 44 `put`): BEP 42, it converges on
   * the closest nodes whose ids match their IPs, and `storeTargets` prefers them.
   */
  store?: boolean;
}

/** A lookup in progress; `cancel()` stops it (its `done` is called with `cancelled`). */
export interface LookupHandle {
  readonly lookup: Lookup;
  cancel(): void;
}

/** A BEP 44 item as found in (or put into) the DHT. */
export interface DhtItem {
  /** The bencoded value. */
  value: Uint8Array;
  /** Mutable items: the ed25519 public key, signature, sequence number and salt. */
  key?: Uint8Array;
  signature?: Uint8Array;
  seq?: number;
  salt?: Uint8Array;
}

export interface ScrapeEstimate {
  seeds: number;
  peers: number;
  /** Nodes whose answer went into the estimate. */
  responses: number;
}

interface QueryHandler {
  response(message: KrpcResponse, now: number): void;
  error(message: KrpcErrorMessage, now: number): void;
  timeout(now: number): void;
  slow?(now: number): void;
}

interface Pending {
  tid: number;
  to: PeerAddress;
  /** The id we expect (from the table or a lookup); failures are charged to it. */
  nodeId: NodeId | undefined;
  slowAt: number;
  deadline: number;
  handler: QueryHandler;
}

interface ActiveLookup {
  request: LookupRequest;
  lookup: Lookup;
  family: AddressFamily;
  handler: LookupHandler;
  finished: boolean;
}

interface IpBudget {
  tokens: number;
  last: number;
  blockedUntil: number;
  /**
   * Ports of this IP pinged on hearing a query, and when: pairs, the last PINGED_PORTS ports.
   * Spares `#ping` its address key for a node that asks often.
   */
  pinged: number[];
}

type QueryBody = KrpcQuery extends infer Q
  ? Q extends KrpcQuery
    ? Omit<Q, 'kind' | 'transactionId' | 'id'>
    : never
  : never;

const DEFAULT_VERSION = Uint8Array.of(0x42, 0x54, 0x00, 0x01);
const K = 8;
const TOKEN_LENGTH = 8;
const SECRET_ROTATION = 5 * 60_000;
const MAINTENANCE_INTERVAL = 5_000;
const RATE_WINDOW = 5_000;
const MAX_IP_BUDGETS = 4096;
/** A node is pinged at most once a minute. */
const PING_AGAIN_AFTER = 60_000;
/** Ports per IP whose pings the IP's query budget remembers. */
const PINGED_PORTS = 4;
const MAX_VALUES_V4 = 100;
const MAX_VALUES_V6 = 50;
const MAX_SAMPLES = 20;
const SAMPLE_INTERVAL = 6 * 60 * 60;
/** Distinct responders that must agree on our address before we believe it. */
const IP_VOTES_NEEDED = 4;

function addressKey(address: PeerAddress): string {
  return `${address.host}|${address.port}`;
}

/** Whether `port` of the budget's IP was pinged on a query of its in the last minute. */
function pingedLately(budget: IpBudget, port: number, now: number): boolean {
  const pinged = budget.pinged;
  for (let i = 0; i < pinged.length; i += 2)
    if (pinged[i] === port) return now - pinged[i + 1]! < PING_AGAIN_AFTER;
  return false;
}

function notePing(budget: IpBudget, port: number, now: number): void {
  const pinged = budget.pinged;
  for (let i = 0; i < pinged.length; i += 2) {
    if (pinged[i] === port) {
      pinged[i + 1] = now;
      return;
    }
  }
  if (pinged.length >= PINGED_PORTS * 2) pinged.splice(0, 2);
  pinged.push(port, now);
}

/**
 * A response with every field present (unset ones undefined): all answers then share one object
 * shape, so the encoder's reads of them stay monomorphic.
 */
function newResponse(transactionId: Uint8Array, id: NodeId, ip: PeerAddress): KrpcResponse {
  return {
    kind: 'response',
    transactionId,
    id,
    ip,
    readOnly: undefined,
    version: undefined,
    nodes: undefined,
    nodes6: undefined,
    values: undefined,
    token: undefined,
    samples: undefined,
    interval: undefined,
    num: undefined,
    value: undefined,
    key: undefined,
    signature: undefined,
    seq: undefined,
    seedsBloom: undefined,
    peersBloom: undefined,
  };
}

function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.host === b.host;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** BEP 44: what a mutable item's signature covers: (`4:salt` salt) `3:seqi<seq>e1:v` value. */
export function mutableSignatureMessage(
  value: Uint8Array,
  seq: number,
  salt?: Uint8Array,
): Uint8Array {
  const parts: Uint8Array[] = [];
  if (salt && salt.length > 0) parts.push(ascii(`4:salt${salt.length}:`), salt);
  parts.push(ascii(`3:seqi${seq}e1:v`), value);
  return concatBytes(...parts);
}

/** BEP 44: the target of an immutable item (SHA-1 of its bencoded value). */
export function immutableTarget(value: Uint8Array): Uint8Array {
  return sha1(value);
}

/** BEP 44: the target of a mutable item (SHA-1 of public key and salt). */
export function mutableTarget(key: Uint8Array, salt?: Uint8Array): Uint8Array {
  return sha1(salt && salt.length > 0 ? concatBytes(key, salt) : key);
}

export class DhtCore {
  #id: NodeId;
  readonly #fixedId: boolean;
  readonly #families: readonly AddressFamily[];
  readonly #tables = new Map<AddressFamily, RoutingTable>();
  readonly #bootstrap: PeerAddress[];
  readonly #savedNodes: NodeContact[] = [];
  readonly #readOnly: boolean;
  readonly #random: (length: number) => Uint8Array;
  readonly #verify: VerifySignature | undefined;
  readonly #version: Uint8Array;
  readonly #alpha: number;
  readonly #lookupAttempts: number;
  readonly #slowAfter: number;
  readonly #timeout: number;
  readonly #maxQps: number;
  readonly #maxPerIp: number;
  readonly #blockFor: number;
  readonly #maxDatagram: number;
  readonly #maxPending: number;
  readonly #peers: PeerStore;
  readonly #items: ItemStore;

  #outbox: Datagram[] = [];
  readonly #sha1 = new Sha1();
  readonly #pool = new BytePool();
  readonly #tokenInput = new Uint8Array(16 + 16 + 20);
  readonly #queryReader = new CommonQueryReader();
  readonly #digest = new Uint8Array(20);
  readonly #expected = new Uint8Array(TOKEN_LENGTH);
  readonly #pending = new Map<number, Pending>();
  /** Pending queries not yet slow, in send order (their slow times are in order too). */
  readonly #notSlow = new Map<number, Pending>();
  #nextTid: number;
  #sendTokens: number;
  #sendRefilled: number;
  readonly #ipBudgets = new Map<string, IpBudget>();
  readonly #lookups = new Set<ActiveLookup>();
  #lookupsTotal = 0;
  #secrets: [Uint8Array, Uint8Array];
  #secretRotated: number;
  #lastMaintenance: number;
  #started = false;
  #bootstrapping: ActiveLookup | undefined;
  #refreshing: ActiveLookup | undefined;
  readonly #recentPings = new Map<string, number>();
  readonly #ipVotes = new Map<string, Set<string>>();
  #externalAddress: PeerAddress | undefined;

  #queriesIn = 0;
  #queriesOut = 0;
  #responsesIn = 0;
  #malformed = 0;
  #rateLimited = 0;
  #unexpected = 0;
  #windowStart: number;
  #windowIn = 0;
  #windowOut = 0;
  #lastWindowIn = 0;
  #lastWindowOut = 0;

  constructor(options: DhtCoreOptions) {
    const now = options.now;
    this.#random = options.random ?? randomBytes;
    this.#verify = options.verifySignature;
    this.#version = options.version ?? DEFAULT_VERSION;
    this.#readOnly = options.readOnly ?? false;
    this.#alpha = options.alpha ?? 5;
    this.#lookupAttempts = options.lookupAttempts ?? 3;
    this.#slowAfter = options.slowAfter ?? 1000;
    this.#timeout = options.queryTimeout ?? 4000;
    this.#maxQps = options.maxQueriesPerSecond ?? 500;
    this.#maxPerIp = options.maxQueriesPerIpPerSecond ?? 50;
    this.#blockFor = options.floodBlockDuration ?? 60_000;
    this.#maxDatagram = options.maxDatagramLength ?? 4096;
    this.#maxPending = options.maxPendingQueries ?? 2048;
    this.#families = options.families ?? [4];
    this.#bootstrap = [...(options.bootstrap ?? [])];
    this.#peers = new PeerStore(options.peerStore);
    this.#items = new ItemStore(options.itemStore);
    let id = options.id;
    if (options.state) {
      const state = DhtCore.parseState(options.state);
      id ??= state.id;
      this.#savedNodes.push(...state.nodes);
    }
    if (id !== undefined && id.length !== NODE_ID_LENGTH) {
      throw new DhtError('invalid-argument', `a node id is 20 bytes, got ${id.length}`);
    }
    this.#fixedId = options.id !== undefined;
    this.#id = id ? Uint8Array.from(id) : this.#random(NODE_ID_LENGTH);
    for (const family of this.#families) this.#tables.set(family, new RoutingTable(this.#id, now));
    const tid = this.#random(2);
    this.#nextTid = (tid[0]! << 8) | tid[1]!;
    this.#sendTokens = this.#maxQps;
    this.#sendRefilled = now;
    this.#secrets = [this.#random(16), this.#random(16)];
    this.#secretRotated = now;
    this.#lastMaintenance = now;
    this.#windowStart = now;
  }

  /** Reads what `saveState` wrote. @throws DhtError `invalid-state` */
  static parseState(bytes: Uint8Array): { id: NodeId; nodes: NodeContact[] } {
    try {
      const root = decode(bytes);
      if (!(root instanceof Map)) throw new Error('not a dictionary');
      const id = root.get('id');
      if (!(id instanceof Uint8Array) || id.length !== NODE_ID_LENGTH) throw new Error('bad id');
      const nodes: NodeContact[] = [];
      const v4 = root.get('nodes');
      if (v4 instanceof Uint8Array) nodes.push(...decodeCompactNodes(v4, 4, 'nodes'));
      const v6 = root.get('nodes6');
      if (v6 instanceof Uint8Array) nodes.push(...decodeCompactNodes(v6, 6, 'nodes6'));
      return { id: Uint8Array.from(id), nodes: nodes.slice(0, 1000) };
    } catch (error) {
      throw new DhtError('invalid-state', 'not a DHT state saved by saveState()', { cause: error });
    }
  }

  get id(): NodeId {
    return this.#id;
  }

  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** Lookups running now (bootstrap and refreshes included). */
  get activeLookups(): number {
    return this.#lookups.size;
  }

  /** The routing table of a family (read it, do not change it). */
  table(family: AddressFamily = this.#families[0]!): RoutingTable | undefined {
    return this.#tables.get(family);
  }

  /** The node id and table, to hand to `state` on the next start. */
  saveState(): Uint8Array {
    const state: Record<string, Uint8Array> = { id: this.#id };
    for (const [family, table] of this.#tables) {
      const nodes = table
        .nodes()
        .filter((node) => node.failures === 0)
        .slice(0, 500);
      state[family === 4 ? 'nodes' : 'nodes6'] = encodeCompactNodes(nodes, family);
    }
    return encode(state);
  }

  /** Datagrams produced by calls other than `receive` and `tick` (lookups started, pings). */
  takeOutgoing(): Datagram[] {
    const out = this.#outbox;
    this.#outbox = [];
    return out;
  }

  /** Handles one datagram and returns what to send in reply. Never throws on bad input. */
  receive(bytes: Uint8Array, from: PeerAddress, now: number): Datagram[] {
    this.#receive(bytes, from, now);
    return this.takeOutgoing();
  }

  /**
   * `receive` without taking the outbox: what to send waits for the next `takeOutgoing()`, so a
   * shell can hand a batch of datagrams in and send all the answers together afterwards.
   */
  handle(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.#receive(bytes, from, now);
  }

  #receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    this.#clock = now;
    if (bytes.length > this.#maxDatagram || bytes.length < 2 || from.port === 0) {
      this.#malformed++;
      return;
    }
    let message: KrpcMessage;
    try {
      message = readKrpc(bytes, this.#queryReader);
    } catch (error) {
      if (!DhtError.isInstance(error)) throw error;
      this.#malformed++;
      return;
    }
    switch (message.kind) {
      case 'query':
        this.#onQuery(message, from, now);
        break;
      case 'response':
      case 'error':
        this.#onAnswer(message, from, now);
        break;
    }
  }

  /** Timers: timeouts, secret rotation, table upkeep, lookups waiting for send budget. */
  tick(now: number): Datagram[] {
    if (!this.#started) this.bootstrap(now);
    this.#expire(now);
    if (now - this.#secretRotated >= SECRET_ROTATION) {
      this.#secrets = [this.#random(16), this.#secrets[0]];
      this.#secretRotated = now;
    }
    if (now - this.#windowStart >= RATE_WINDOW) {
      this.#lastWindowIn = this.#windowIn;
      this.#lastWindowOut = this.#windowOut;
      this.#windowIn = 0;
      this.#windowOut = 0;
      this.#windowStart = now;
    }
    if (now - this.#lastMaintenance >= MAINTENANCE_INTERVAL) {
      this.#lastMaintenance = now;
      this.#maintain(now);
    }
    for (const active of this.#lookups) this.#pump(active, now);
    return this.takeOutgoing();
  }

  /** When `tick` next has something to do (a timeout, upkeep), so a shell can sleep until then. */
  nextDeadline(): number | undefined {
    let next: number | undefined = this.#started
      ? this.#lastMaintenance + MAINTENANCE_INTERVAL
      : undefined;
    const first = this.#notSlow.values().next();
    if (!first.done && (next === undefined || first.value.slowAt < next)) next = first.value.slowAt;
    const pending = this.#pending.values().next();
    if (!pending.done && (next === undefined || pending.value.deadline < next))
      next = pending.value.deadline;
    return next;
  }

  /** Starts joining the network: a lookup of our own id through the bootstrap nodes. */
  bootstrap(now: number, onDone?: (result: LookupResult) => void): void {
    this.#started = true;
    if (this.#bootstrapping && !this.#bootstrapping.finished) {
      const previous = this.#bootstrapping.handler.done;
      this.#bootstrapping.handler.done = (result) => {
        previous?.(result);
        onDone?.(result);
      };
      return;
    }
    for (const family of this.#families) {
      const active = this.#startLookup(
        { target: this.#id, method: 'find_node', family },
        { ...(onDone ? { done: onDone } : {}) },
        now,
        (lookup) => {
          lookup.add(this.#savedNodes.filter((node) => node.address.family === family));
          for (const address of this.#bootstrap)
            if (address.family === family) lookup.addSeed(address);
        },
      );
      this.#bootstrapping = active.finished ? undefined : active;
    }
  }

  /** Adds nodes to bootstrap from (BEP 5 `port` messages, the `addNode` API): pinged first. */
  addNode(address: PeerAddress, now: number): void {
    if (!this.#tables.has(address.family)) return;
    this.#ping(address, undefined, now);
  }

  /**
   * Starts an iterative lookup. Its answers reach `handler`; the datagrams to send are taken
   * with `takeOutgoing()` (or come out of the next `tick`).
   */
  lookup(request: LookupRequest, handler: LookupHandler, now: number): LookupHandle {
    const active = this.#startLookup(request, handler, now);
    return { lookup: active.lookup, cancel: () => this.#finish(active, true) };
  }

  #startLookup(
    request: LookupRequest,
    handler: LookupHandler,
    now: number,
    seed?: (lookup: Lookup) => void,
  ): ActiveLookup {
    this.#clock = now;
    const family = request.family ?? this.#families[0]!;
    const lookup = new Lookup(request.target, {
      alpha: this.#alpha,
      k: K,
      maxAttempts: this.#lookupAttempts,
      preferVerified: request.store ?? false,
    });
    const table = this.#tables.get(family);
    if (table) lookup.add(table.closest(request.target, K * 2));
    seed?.(lookup);
    if (lookup.candidates.length === 0 && !seed) {
      lookup.add(this.#savedNodes.filter((node) => node.address.family === family));
      for (const address of this.#bootstrap) if (address.family === family) lookup.addSeed(address);
    }
    const active: ActiveLookup = { request, lookup, family, handler, finished: false };
    this.#lookups.add(active);
    this.#lookupsTotal++;
    this.#pump(active, now);
    return active;
  }

  /**
   * BEP 5: finds the nodes closest to `infoHash` that gave tokens and announces to them.
   * `peers` streams the peers found on the way; `done` gets how many nodes acknowledged.
   */
  announce(
    infoHash: Uint8Array,
    options: { port: number; impliedPort?: boolean; seed?: boolean; family?: AddressFamily },
    handler: {
      peers?: (peers: PeerAddress[]) => void;
      done?: (acknowledged: number, result: LookupResult) => void;
    },
    now: number,
  ): LookupHandle {
    return this.lookup(
      {
        target: infoHash,
        method: 'get_peers',
        store: true,
        ...(options.family ? { family: options.family } : {}),
      },
      {
        peers: (peers) => handler.peers?.(peers),
        done: (result) => {
          const targets = result.storeTargets;
          if (result.cancelled || targets.length === 0) return handler.done?.(0, result);
          let remaining = targets.length;
          let acknowledged = 0;
          const settle = (ok: boolean): void => {
            if (ok) acknowledged++;
            if (--remaining === 0) handler.done?.(acknowledged, result);
          };
          for (const candidate of targets) {
            const sent = this.#sendQuery(
              candidate.address,
              {
                method: 'announce_peer',
                infoHash,
                port: options.port,
                token: candidate.token,
                ...(options.impliedPort ? { impliedPort: true } : {}),
                ...(options.seed ? { seed: true } : {}),
              },
              candidate.id,
              {
                response: () => settle(true),
                error: () => settle(false),
                timeout: () => settle(false),
              },
              this.#clock,
              true,
            );
            if (!sent) settle(false);
          }
        },
      },
      now,
    );
  }

  /** The `now` of the call being handled, for work started from inside handlers. */
  #clock = 0;

  /** BEP 44 get: the newest valid item under `target` (mutable items need `salt` if they had one). */
  getItem(
    target: Uint8Array,
    options: { salt?: Uint8Array; seq?: number },
    done: (item: DhtItem | undefined, result: LookupResult) => void,
    now: number,
  ): LookupHandle {
    let best: DhtItem | undefined;
    return this.lookup(
      { target, method: 'get', ...(options.seq !== undefined ? { seq: options.seq } : {}) },
      {
        response: (response, candidate) => {
          const item = this.#checkItem(target, response, options.salt);
          if (!item) return;
          candidate.itemSeq = item.seq ?? -1;
          if (!best || (item.seq ?? -1) > (best.seq ?? -1)) best = item;
        },
        done: (result) => done(best, result),
      },
      now,
    );
  }

  #checkItem(target: Uint8Array, response: KrpcResponse, salt?: Uint8Array): DhtItem | undefined {
    if (!response.value) return undefined;
    if (!response.key) {
      return idKey(sha1(response.value)) === idKey(target) ? { value: response.value } : undefined;
    }
    if (!response.signature || response.seq === undefined || !this.#verify) return undefined;
    if (response.key.length !== 32 || response.signature.length !== 64) return undefined;
    if (idKey(mutableTarget(response.key, salt)) !== idKey(target)) return undefined;
    const message = mutableSignatureMessage(response.value, response.seq, salt);
    if (!this.#verify(response.signature, message, response.key)) return undefined;
    return {
      value: response.value,
      key: response.key,
      signature: response.signature,
      seq: response.seq,
      ...(salt ? { salt } : {}),
    };
  }

  /**
   * BEP 44 put: a `get` lookup for tokens, then `put` to the closest nodes that gave one.
   * Mutable items arrive signed (the shell signs). `done` gets the target and how many stored it.
   */
  putItem(
    item: DhtItem & { cas?: number },
    done: (stored: number, target: Uint8Array, errors: KrpcErrorMessage[]) => void,
    now: number,
  ): LookupHandle {
    if (item.value.length > MAX_ITEM_VALUE_LENGTH) {
      throw new DhtError(
        'invalid-argument',
        `a BEP 44 value is at most ${MAX_ITEM_VALUE_LENGTH} bytes bencoded`,
      );
    }
    if (item.salt && item.salt.length > MAX_SALT_LENGTH) {
      throw new DhtError('invalid-argument', `a BEP 44 salt is at most ${MAX_SALT_LENGTH} bytes`);
    }
    const target = item.key ? mutableTarget(item.key, item.salt) : immutableTarget(item.value);
    return this.lookup(
      { target, method: 'get', store: true },
      {
        done: (result) => {
          const targets = result.storeTargets;
          if (result.cancelled || targets.length === 0) return done(0, target, []);
          let remaining = targets.length;
          let stored = 0;
          const errors: KrpcErrorMessage[] = [];
          const settle = (ok: boolean): void => {
            if (ok) stored++;
            if (--remaining === 0) done(stored, target, errors);
          };
          for (const candidate of targets) {
            const sent = this.#sendQuery(
              candidate.address,
              {
                method: 'put',
                token: candidate.token,
                value: item.value,
                ...(item.key
                  ? { key: item.key, signature: item.signature!, seq: item.seq ?? 0 }
                  : {}),
                ...(item.salt && item.salt.length > 0 ? { salt: item.salt } : {}),
                ...(item.cas !== undefined && candidate.itemSeq !== undefined
                  ? { cas: item.cas }
                  : {}),
              },
              candidate.id,
              {
                response: () => settle(true),
                error: (message) => {
                  errors.push(message);
                  settle(false);
                },
                timeout: () => settle(false),
              },
              this.#clock,
              true,
            );
            if (!sent) settle(false);
          }
        },
      },
      now,
    );
  }

  /** BEP 51: a lookup that asks every node on the way for samples of the info-hashes it stores. */
  sample(
    target: Uint8Array,
    handler: {
      samples: (infoHashes: Uint8Array[], from: PeerAddress, total: number | undefined) => void;
      done?: (result: LookupResult) => void;
    },
    now: number,
  ): LookupHandle {
    return this.lookup(
      { target, method: 'sample_infohashes' },
      {
        response: (response, candidate) => {
          if (response.samples) handler.samples(response.samples, candidate.address, response.num);
        },
        ...(handler.done ? { done: handler.done } : {}),
      },
      now,
    );
  }

  /** BEP 33: estimated seeds and peers of a swarm, from the union of the nodes' bloom filters. */
  scrape(
    infoHash: Uint8Array,
    done: (estimate: ScrapeEstimate) => void,
    now: number,
  ): LookupHandle {
    const seeds = new Uint8Array(BLOOM_LENGTH);
    const peers = new Uint8Array(BLOOM_LENGTH);
    let responses = 0;
    return this.lookup(
      { target: infoHash, method: 'get_peers', scrape: true },
      {
        response: (response) => {
          if (response.seedsBloom && response.peersBloom) {
            bloomMerge(seeds, response.seedsBloom);
            bloomMerge(peers, response.peersBloom);
            responses++;
          } else if (response.values && response.values.length > 0) {
            for (const peer of response.values) bloomInsert(peers, ipBytes(peer));
            responses++;
          }
        },
        done: () =>
          done({
            seeds: Math.round(bloomEstimate(seeds)),
            peers: Math.round(bloomEstimate(peers)),
            responses,
          }),
      },
      now,
    );
  }

  /** Counters and sizes, for `stats()` and status lines. */
  stats(now: number): DhtCoreStats {
    return {
      id: this.#id,
      externalAddress: this.#externalAddress,
      tables: [...this.#tables].map(([family, table]) => ({ family, table: table.stats(now) })),
      lookupsActive: this.#lookups.size,
      lookupsTotal: this.#lookupsTotal,
      queriesIn: this.#queriesIn,
      queriesOut: this.#queriesOut,
      responsesIn: this.#responsesIn,
      malformed: this.#malformed,
      rateLimited: this.#rateLimited,
      unexpected: this.#unexpected,
      queriesInPerSecond: this.#lastWindowIn / (RATE_WINDOW / 1000),
      queriesOutPerSecond: this.#lastWindowOut / (RATE_WINDOW / 1000),
      storedPeers: this.#peers.size,
      storedInfoHashes: this.#peers.infoHashCount,
      storedItems: this.#items.size,
      pendingQueries: this.#pending.size,
    };
  }

  // ---- lookups -------------------------------------------------------------------------------

  #pump(active: ActiveLookup, now: number): void {
    if (active.finished) return;
    this.#clock = now;
    const { lookup, request } = active;
    const picks = lookup.next(this.#budget(now));
    for (const candidate of picks) {
      const body = this.#lookupQuery(request);
      const sent = this.#sendQuery(
        candidate.address,
        body,
        candidate.id,
        {
          response: (response, at) => {
            if (active.finished) return;
            if (candidate.id && idKey(candidate.id) !== idKey(response.id)) {
              // It answered with another id than the one it was listed under: not to be trusted.
              candidate.state = 'failed';
            } else if (idKey(response.id) === idKey(this.#id)) {
              candidate.state = 'failed';
            } else if (candidate.state === 'responded') {
              // An answer to a repeated request, after the first one: nothing new.
              lookup.responded(candidate, response.id);
            } else {
              lookup.responded(candidate, response.id);
              if (response.token) candidate.token = response.token;
              const nodes = active.family === 4 ? response.nodes : response.nodes6;
              if (nodes) lookup.add(nodes, this.#id, candidate.depth + 1);
              if (response.values && response.values.length > 0)
                active.handler.peers?.(response.values, candidate.address);
              active.handler.response?.(response, candidate);
            }
            this.#pump(active, at);
          },
          error: (_message, at) => {
            if (active.finished) return;
            candidate.state = 'failed';
            this.#pump(active, at);
          },
          slow: (at) => {
            if (active.finished) return;
            lookup.slowed(candidate);
            this.#pump(active, at);
          },
          timeout: (at) => {
            if (active.finished) return;
            lookup.timedOut(candidate);
            this.#pump(active, at);
          },
        },
        now,
        false,
      );
      if (!sent) candidate.state = 'new';
    }
    if (lookup.done) this.#finish(active, false);
  }

  #lookupQuery(request: LookupRequest): QueryBody {
    switch (request.method) {
      case 'find_node':
        return { method: 'find_node', target: request.target };
      case 'get_peers':
        return {
          method: 'get_peers',
          infoHash: request.target,
          ...(request.scrape ? { scrape: true } : {}),
          ...(request.noSeed ? { noSeed: true } : {}),
        };
      case 'get':
        return {
          method: 'get',
          target: request.target,
          ...(request.seq !== undefined ? { seq: request.seq } : {}),
        };
      case 'sample_infohashes':
        return { method: 'sample_infohashes', target: request.target };
    }
  }

  #finish(active: ActiveLookup, cancelled: boolean): void {
    if (active.finished) return;
    active.finished = true;
    this.#lookups.delete(active);
    if (this.#bootstrapping === active) this.#bootstrapping = undefined;
    if (this.#refreshing === active) this.#refreshing = undefined;
    const { lookup } = active;
    const closest: NodeContact[] = lookup
      .closestResponded()
      .map((candidate) => ({ id: candidate.id!, address: candidate.address }));
    const storeTargets: StoreTarget[] = lookup.storeTargets(K).map((candidate) => ({
      id: candidate.id!,
      address: candidate.address,
      token: candidate.token!,
      ...(candidate.itemSeq !== undefined ? { itemSeq: candidate.itemSeq } : {}),
    }));
    active.handler.done?.({
      target: lookup.target,
      queried: lookup.queried,
      responses: lookup.responses,
      rounds: lookup.rounds,
      closest,
      storeTargets,
      cancelled,
    });
  }

  // ---- queries out -----------------------------------------------------------------------------

  #budget(now: number): number {
    const elapsed = now - this.#sendRefilled;
    if (elapsed > 0) {
      this.#sendTokens = Math.min(this.#maxQps, this.#sendTokens + (elapsed * this.#maxQps) / 1000);
      this.#sendRefilled = now;
    }
    return Math.max(
      0,
      Math.min(this.#maxPending - this.#pending.size, Math.floor(this.#sendTokens)),
    );
  }

  #sendQuery(
    to: PeerAddress,
    body: QueryBody,
    nodeId: NodeId | undefined,
    handler: QueryHandler,
    now: number,
    force: boolean,
  ): boolean {
    if (!force && this.#budget(now) < 1) return false;
    if (this.#pending.size >= this.#maxPending) return false;
    this.#budget(now);
    this.#sendTokens = Math.max(0, this.#sendTokens - 1);
    let tid = this.#nextTid;
    for (let tries = 0; this.#pending.has(tid) && tries < 65536; tries++) tid = (tid + 1) & 0xffff;
    this.#nextTid = (tid + 1) & 0xffff;
    const query = {
      ...body,
      kind: 'query',
      transactionId: Uint8Array.of(tid >> 8, tid & 0xff),
      id: this.#id,
      ...(this.#readOnly ? { readOnly: true } : {}),
    } as KrpcQuery;
    const pending: Pending = {
      tid,
      to,
      nodeId,
      slowAt: now + this.#slowAfter,
      deadline: now + this.#timeout,
      handler,
    };
    this.#pending.set(tid, pending);
    this.#notSlow.set(tid, pending);
    this.#queriesOut++;
    this.#windowOut++;
    this.#outbox.push({ bytes: encodeKrpc(query, this.#version, this.#pool), to });
    return true;
  }

  #ping(address: PeerAddress, nodeId: NodeId | undefined, now: number): void {
    const key = addressKey(address);
    const last = this.#recentPings.get(key);
    if (last !== undefined && now - last < PING_AGAIN_AFTER) return;
    if (this.#recentPings.size >= 1024)
      this.#recentPings.delete(this.#recentPings.keys().next().value!);
    this.#recentPings.set(key, now);
    this.#sendQuery(
      address,
      { method: 'ping' },
      nodeId,
      { response: () => undefined, error: () => undefined, timeout: () => undefined },
      now,
      false,
    );
  }

  #expire(now: number): void {
    for (const pending of this.#notSlow.values()) {
      if (pending.slowAt > now) break;
      this.#notSlow.delete(pending.tid);
      this.#clock = now;
      pending.handler.slow?.(now);
    }
    for (const pending of this.#pending.values()) {
      if (pending.deadline > now) break;
      this.#pending.delete(pending.tid);
      this.#notSlow.delete(pending.tid);
      if (pending.nodeId) this.#tables.get(pending.to.family)?.failed(pending.nodeId, pending.to);
      this.#clock = now;
      pending.handler.timeout(now);
    }
  }

  // ---- answers in ------------------------------------------------------------------------------

  #onAnswer(message: KrpcResponse | KrpcErrorMessage, from: PeerAddress, now: number): void {
    const t = message.transactionId;
    const pending = t.length === 2 ? this.#pending.get((t[0]! << 8) | t[1]!) : undefined;
    if (!pending || !sameAddress(pending.to, from)) {
      this.#unexpected++;
      return;
    }
    this.#pending.delete(pending.tid);
    this.#notSlow.delete(pending.tid);
    this.#clock = now;
    if (message.kind === 'error') {
      pending.handler.error(message, now);
      return;
    }
    this.#responsesIn++;
    if (message.ip) this.#voteIp(message.ip, from, now);
    // BEP 43: read-only nodes answer but never join the table.
    if (!message.readOnly) {
      const table = this.#tables.get(from.family);
      const check = table?.heard({ id: message.id, address: from }, 'response', now);
      if (check) this.#ping(check.address, check.id, now);
    }
    pending.handler.response(message, now);
  }

  #voteIp(ip: PeerAddress, from: PeerAddress, now: number): void {
    if (ip.family !== from.family) return;
    let voters = this.#ipVotes.get(ip.host);
    if (!voters) {
      if (this.#ipVotes.size >= 64) this.#ipVotes.clear();
      voters = new Set();
      this.#ipVotes.set(ip.host, voters);
    }
    if (voters.size < 64) voters.add(from.host);
    if (voters.size < IP_VOTES_NEEDED || this.#externalAddress?.host === ip.host) return;
    this.#externalAddress = { host: ip.host, port: ip.port, family: ip.family };
    this.#ipVotes.clear();
    // BEP 42: take an id that matches our external address, unless one was given or the address is local.
    if (this.#fixedId || this.#readOnly || isLocalAddress(ip.host)) return;
    if (isValidNodeIdForAddress(this.#id, ip)) return;
    this.#changeId(nodeIdForIp(ipBytes(ip), this.#random(NODE_ID_LENGTH)), now);
  }

  #changeId(id: NodeId, now: number): void {
    this.#id = id;
    for (const [family, old] of this.#tables) {
      const table = new RoutingTable(id, now);
      for (const node of old.nodes()) {
        if (Number.isFinite(node.lastResponse)) table.heard(node, 'response', node.lastResponse);
      }
      this.#tables.set(family, table);
    }
  }

  // ---- queries in ------------------------------------------------------------------------------

  /** The IP's budget with one query taken from it, or undefined when it has none left. */
  #allowQuery(from: PeerAddress, now: number): IpBudget | undefined {
    let budget = this.#ipBudgets.get(from.host);
    const burst = this.#maxPerIp * 4;
    if (!budget) {
      if (this.#ipBudgets.size >= MAX_IP_BUDGETS) {
        // Forget the longest-known IPs that are not blocked.
        for (const [host, entry] of this.#ipBudgets) {
          if (this.#ipBudgets.size < MAX_IP_BUDGETS * 0.75) break;
          if (entry.blockedUntil <= now) this.#ipBudgets.delete(host);
        }
        if (this.#ipBudgets.size >= MAX_IP_BUDGETS) return undefined;
      }
      budget = { tokens: burst, last: now, blockedUntil: 0, pinged: [] };
      this.#ipBudgets.set(from.host, budget);
    }
    if (budget.blockedUntil > now) return undefined;
    budget.tokens = Math.min(burst, budget.tokens + ((now - budget.last) * this.#maxPerIp) / 1000);
    budget.last = now;
    if (budget.tokens < 1) {
      budget.blockedUntil = now + this.#blockFor;
      return undefined;
    }
    budget.tokens--;
    return budget;
  }

  #onQuery(query: KrpcQuery, from: PeerAddress, now: number): void {
    // BEP 43: a read-only node does not answer.
    if (this.#readOnly) return;
    const budget = this.#allowQuery(from, now);
    if (budget === undefined) {
      this.#rateLimited++;
      return;
    }
    this.#queriesIn++;
    this.#windowIn++;
    if (idsEqual(query.id, this.#id)) return;
    const reply = this.#answer(query, from, now);
    this.#outbox.push({ bytes: encodeKrpc(reply, this.#version, this.#pool), to: from });
    if (!query.readOnly) {
      const table = this.#tables.get(from.family);
      if (table && !table.get(query.id)) {
        // An unknown node that would fit: pinged, at most once a minute.
        if (!pingedLately(budget, from.port, now) && table.wouldAccept(query.id, from)) {
          notePing(budget, from.port, now);
          this.#ping(from, query.id, now);
        }
      } else {
        table?.heard({ id: query.id, address: from }, 'query', now);
      }
    }
  }

  #error(query: KrpcQuery, code: number, message: string): KrpcErrorMessage {
    return { kind: 'error', transactionId: query.transactionId, code, message };
  }

  #answer(query: KrpcQuery, from: PeerAddress, now: number): KrpcResponse | KrpcErrorMessage {
    const response = newResponse(query.transactionId, this.#id, from);
    switch (query.method) {
      case 'ping':
        return response;
      case 'find_node':
        this.#addNodes(response, query.target, query.want, from);
        return response;
      case 'get_peers': {
        if (this.#peers.canAccept(query.infoHash))
          response.token = this.#token(from, query.infoHash, 0);
        const scrape = query.scrape ? this.#peers.scrape(query.infoHash, now) : undefined;
        const limit = scrape ? 40 : from.family === 4 ? MAX_VALUES_V4 : MAX_VALUES_V6;
        const values = this.#peers.get(query.infoHash, from.family, limit, now, query.noSeed);
        if (values.length > 0) response.values = values.map((value) => decodeCompactPeer(value));
        if (scrape) {
          response.seedsBloom = scrape.seeds;
          response.peersBloom = scrape.peers;
        }
        this.#addNodes(response, query.infoHash, query.want, from);
        return response;
      }
      case 'announce_peer': {
        if (!this.#checkToken(query.token, from, query.infoHash)) {
          return this.#error(query, KRPC_ERROR.protocol, 'bad token');
        }
        const port = query.impliedPort ? from.port : query.port;
        this.#peers.add(
          query.infoHash,
          { host: from.host, port, family: from.family },
          query.seed ?? false,
          now,
        );
        return response;
      }
      case 'get': {
        response.token = this.#token(from, query.target, 0);
        const item = this.#items.get(query.target, now);
        if (item) {
          if (item.key) {
            response.seq = item.seq!;
            if (query.seq === undefined || item.seq! > query.seq) {
              response.value = item.value;
              response.key = item.key;
              response.signature = item.signature!;
            }
          } else {
            response.value = item.value;
          }
        }
        this.#addNodes(response, query.target, query.want, from);
        return response;
      }
      case 'put':
        return this.#put(query, from, now, response);
      case 'sample_infohashes': {
        response.samples = this.#peers.sample(MAX_SAMPLES, this.#random(64));
        response.interval = SAMPLE_INTERVAL;
        response.num = this.#peers.infoHashCount;
        this.#addNodes(response, query.target, query.want, from);
        return response;
      }
      case 'unknown':
        // Forward compatibility: an unknown query with a target is answered like find_node.
        if (query.target) {
          this.#addNodes(response, query.target, query.want, from);
          return response;
        }
        return this.#error(query, KRPC_ERROR.methodUnknown, 'Method Unknown');
    }
  }

  #put(
    query: Extract<KrpcQuery, { method: 'put' }>,
    from: PeerAddress,
    now: number,
    response: KrpcResponse,
  ): KrpcResponse | KrpcErrorMessage {
    if (query.value.length > MAX_ITEM_VALUE_LENGTH)
      return this.#error(query, KRPC_ERROR.messageTooBig, 'message (v field) too big');
    if (query.salt && query.salt.length > MAX_SALT_LENGTH)
      return this.#error(query, KRPC_ERROR.saltTooBig, 'salt (salt field) too big');
    try {
      // Stored values are served re-encoded, so only canonical bencode keeps its signature.
      decode(query.value, { strict: true });
    } catch {
      return this.#error(query, KRPC_ERROR.protocol, 'v is not canonical bencode');
    }
    if (!query.key) {
      const target = immutableTarget(query.value);
      if (!this.#checkToken(query.token, from, target))
        return this.#error(query, KRPC_ERROR.protocol, 'bad token');
      this.#items.put(target, { value: Uint8Array.from(query.value) }, now);
      return response;
    }
    if (
      query.key.length !== 32 ||
      !query.signature ||
      query.signature.length !== 64 ||
      query.seq === undefined
    ) {
      return this.#error(
        query,
        KRPC_ERROR.protocol,
        'a mutable put needs k (32 bytes), sig (64 bytes) and seq',
      );
    }
    if (query.seq < 0) return this.#error(query, KRPC_ERROR.protocol, 'negative seq');
    const target = mutableTarget(query.key, query.salt);
    if (!this.#checkToken(query.token, from, target))
      return this.#error(query, KRPC_ERROR.protocol, 'bad token');
    if (!this.#verify)
      return this.#error(query, KRPC_ERROR.server, 'mutable items are not stored here');
    if (
      !this.#verify(
        query.signature,
        mutableSignatureMessage(query.value, query.seq, query.salt),
        query.key,
      )
    ) {
      return this.#error(query, KRPC_ERROR.invalidSignature, 'invalid signature');
    }
    const existing = this.#items.get(target, now);
    if (existing && existing.seq !== undefined) {
      if (query.cas !== undefined && query.cas !== existing.seq)
        return this.#error(
          query,
          KRPC_ERROR.casMismatch,
          'the CAS hash mismatched, re-read value and try again',
        );
      if (query.seq < existing.seq)
        return this.#error(query, KRPC_ERROR.sequenceTooLow, 'sequence number less than current');
      if (query.seq === existing.seq && idKey(existing.value) !== idKey(query.value)) {
        return this.#error(
          query,
          KRPC_ERROR.sequenceTooLow,
          'sequence number not greater than current',
        );
      }
    }
    this.#items.put(
      target,
      {
        value: Uint8Array.from(query.value),
        key: Uint8Array.from(query.key),
        signature: Uint8Array.from(query.signature),
        seq: query.seq,
        ...(query.salt && query.salt.length > 0 ? { salt: Uint8Array.from(query.salt) } : {}),
      },
      now,
    );
    return response;
  }

  #addNodes(
    response: KrpcResponse,
    target: Uint8Array,
    want: { v4: boolean; v6: boolean } | undefined,
    from: PeerAddress,
  ): void {
    const v4 = want ? want.v4 : from.family === 4;
    const v6 = want ? want.v6 : from.family === 6;
    const table4 = this.#tables.get(4);
    const table6 = this.#tables.get(6);
    if (v4) response.nodes = table4 ? table4.closest(target, K) : [];
    if (v6) response.nodes6 = table6 ? table6.closest(target, K) : [];
  }

  #token(from: PeerAddress, target: Uint8Array, secret: 0 | 1): Uint8Array {
    const token = new Uint8Array(TOKEN_LENGTH);
    this.#tokenInto(from, target, secret, token);
    return token;
  }

  /** The token's bytes into `out`: the first 8 bytes of SHA-1(secret, IP, target). */
  #tokenInto(from: PeerAddress, target: Uint8Array, secret: 0 | 1, out: Uint8Array): void {
    const input = this.#tokenInput;
    const key = this.#secrets[secret];
    for (let i = 0; i < 16; i++) input[i] = key[i]!;
    // Once per get_peers served: a dotted quad is written in place, nothing allocated.
    let ipLength = 4;
    if (from.family !== 4 || !writeIPv4(from.host, input, 16)) {
      const ip = ipBytes(from);
      input.set(ip, 16);
      ipLength = ip.length;
    }
    for (let i = 0, at = 16 + ipLength; i < NODE_ID_LENGTH; i++, at++) input[at] = target[i]!;
    const digest = this.#digest;
    this.#sha1.digestInto(input, digest, 0, 36 + ipLength);
    for (let i = 0; i < TOKEN_LENGTH; i++) out[i] = digest[i]!;
  }

  #checkToken(token: Uint8Array, from: PeerAddress, target: Uint8Array): boolean {
    if (token.length !== TOKEN_LENGTH) return false;
    for (const secret of [0, 1] as const) {
      this.#tokenInto(from, target, secret, this.#expected);
      let same = true;
      for (let i = 0; i < TOKEN_LENGTH; i++) if (token[i] !== this.#expected[i]) same = false;
      if (same) return true;
    }
    return false;
  }

  // ---- upkeep ----------------------------------------------------------------------------------

  #maintain(now: number): void {
    this.#peers.expire(now);
    this.#items.expire(now);
    for (const [host, budget] of this.#ipBudgets) {
      if (budget.blockedUntil <= now && now - budget.last > 60_000) this.#ipBudgets.delete(host);
    }
    for (const [key, time] of this.#recentPings)
      if (now - time >= PING_AGAIN_AFTER) this.#recentPings.delete(key);
    for (const [family, table] of this.#tables) {
      // An empty table: bootstrap again (the routers may have been down).
      if (
        table.size === 0 &&
        !this.#bootstrapping &&
        (this.#bootstrap.length > 0 || this.#savedNodes.length > 0)
      ) {
        this.bootstrap(now);
        continue;
      }
      for (const node of table.questionable(now, 4)) {
        node.lastPinged = now;
        this.#sendQuery(
          node.address,
          { method: 'ping' },
          node.id,
          { response: () => undefined, error: () => undefined, timeout: () => undefined },
          now,
          false,
        );
      }
      if (!this.#refreshing && !this.#bootstrapping) {
        const stale = table.staleBuckets(now);
        const index = stale[0];
        if (index !== undefined) {
          table.touchBucket(index, now);
          const target = randomIdInBucket(this.#id, index, this.#random(NODE_ID_LENGTH));
          const active = this.#startLookup({ target, method: 'find_node', family }, {}, now);
          this.#refreshing = active.finished ? undefined : active;
        }
      }
    }
  }
}
