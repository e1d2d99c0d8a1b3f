/**
 * The routing table (BEP 5): k = 8 nodes per bucket, buckets split only where they cover our own
 * id, good / questionable / bad nodes by the 15-minute rules with failure counts, a replacement
 * cache per bucket (questionable nodes are pinged before they are evicted), at most one node per
 * IP and one per /24 (IPv6: /64) in a bucket, loopback and private addresses exempt (BEP 42),
 * and ids that match their IP (BEP 42) preferred. Pure: time is always passed in.
 */
import type { PeerAddress } from '@bt/primitives';
import {
  type NodeContact,
  type NodeId,
  NODE_ID_LENGTH,
  commonPrefixLength,
  compareDistance,
  idKey,
  idsEqual,
  ipBytes,
  isLocalAddress,
  isLocalIp,
  isValidNodeIdForIp,
} from './node-id.js';

export const BUCKET_SIZE = 8;
/** BEP 5: a node heard from within 15 minutes is good. */
export const GOOD_FOR = 15 * 60_000;
/** Failures in a row that make a node bad. */
export const MAX_FAILURES = 2;
/** A time that never was: for nodes that have not answered, queried or been pinged yet. */
export const NEVER = -Infinity;

export interface RoutingNode extends NodeContact {
  key: string;
  /** Compact node info (26 or 38 bytes), encoded once. */
  compact: Uint8Array;
  /** /24 or /64, for the per-bucket limit; empty for exempt addresses. */
  subnet: string;
  local: boolean;
  /** BEP 42: the id matches the IP. */
  verified: boolean;
  /** When it last answered us (`NEVER`: not yet). */
  lastResponse: number;
  /** When it last queried us (`NEVER`: not yet). */
  lastQuery: number;
  /** When we last pinged it to check on it. */
  lastPinged: number;
  failures: number;
}

interface Bucket {
  nodes: RoutingNode[];
  replacements: RoutingNode[];
  lastChanged: number;
}

export interface RoutingTableStats {
  nodes: number;
  good: number;
  questionable: number;
  buckets: number;
  replacements: number;
}

export function createRoutingNode(contact: NodeContact): RoutingNode {
  const ip = ipBytes(contact.address);
  const local = isLocalIp(ip);
  const compact = new Uint8Array(ip.length + 22);
  compact.set(contact.id.subarray(0, NODE_ID_LENGTH));
  compact.set(ip, NODE_ID_LENGTH);
  compact[NODE_ID_LENGTH + ip.length] = contact.address.port >> 8;
  compact[NODE_ID_LENGTH + ip.length + 1] = contact.address.port & 0xff;
  const id = compact.subarray(0, NODE_ID_LENGTH);
  let subnet = '';
  if (!local) subnet = ip.subarray(0, ip.length === 4 ? 3 : 8).join('.');
  return {
    id,
    address: contact.address,
    key: idKey(id),
    compact,
    subnet,
    local,
    verified: isValidNodeIdForIp(id, ip),
    lastResponse: NEVER,
    lastQuery: NEVER,
    lastPinged: NEVER,
    failures: 0,
  };
}

function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.port === b.port && a.host === b.host;
}

export class RoutingTable {
  readonly id: NodeId;
  readonly #buckets: Bucket[];
  readonly #byKey = new Map<string, RoutingNode>();
  /** Non-exempt IPs in the table: one node per IP. */
  readonly #ips = new Set<string>();

  constructor(id: NodeId, now: number) {
    this.id = id;
    this.#buckets = [{ nodes: [], replacements: [], lastChanged: now }];
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(id: NodeId): RoutingNode | undefined {
    // A scan of the one bucket the id belongs in: no key string built (once per query served).
    for (const node of this.#buckets[this.#bucketIndex(id)]!.nodes) {
      if (idsEqual(node.id, id)) return node;
    }
    return undefined;
  }

  isGood(node: RoutingNode, now: number): boolean {
    if (node.failures >= MAX_FAILURES || node.lastResponse === NEVER) return false;
    return now - node.lastResponse < GOOD_FOR || now - node.lastQuery < GOOD_FOR;
  }

  #bucketIndex(id: NodeId): number {
    return Math.min(commonPrefixLength(this.id, id), this.#buckets.length - 1);
  }

  /** Whether a node with this id and address could get a place (now or after a check). */
  wouldAccept(id: NodeId, address: PeerAddress): boolean {
    if (commonPrefixLength(this.id, id) === NODE_ID_LENGTH * 8) return false;
    if (this.#ips.has(address.host) && !isLocalAddress(address.host)) return false;
    const index = this.#bucketIndex(id);
    const bucket = this.#buckets[index]!;
    return (
      bucket.nodes.length < BUCKET_SIZE ||
      index === this.#buckets.length - 1 ||
      bucket.nodes.some((node) => node.failures > 0 || node.lastResponse === NEVER)
    );
  }

  /**
   * A node answered us (`response`) or queried us. Known nodes are refreshed; an unknown node
   * that answered is added where there is room (splitting our own bucket), replaces a bad node,
   * or waits in the replacement cache. Returns a questionable node of that bucket the caller
   * should ping, if any.
   */
  heard(contact: NodeContact, kind: 'response' | 'query', now: number): RoutingNode | undefined {
    const key = idKey(contact.id);
    const existing = this.#byKey.get(key);
    if (existing) {
      // Another address claiming a known id is ignored: a spoof, or a node that moved.
      if (!sameAddress(existing.address, contact.address)) return undefined;
      if (kind === 'response') {
        existing.lastResponse = now;
        existing.failures = 0;
        this.#buckets[this.#bucketIndex(existing.id)]!.lastChanged = now;
      } else {
        existing.lastQuery = now;
      }
      return undefined;
    }
    if (kind !== 'response') return undefined;
    if (commonPrefixLength(this.id, contact.id) === NODE_ID_LENGTH * 8) return undefined;
    const node = createRoutingNode(contact);
    node.lastResponse = now;
    return this.#insert(node, now);
  }

  #insert(node: RoutingNode, now: number): RoutingNode | undefined {
    if (!node.local && this.#ips.has(node.address.host)) return undefined;
    for (;;) {
      const index = this.#bucketIndex(node.id);
      const bucket = this.#buckets[index]!;
      if (node.subnet !== '' && bucket.nodes.some((other) => other.subnet === node.subnet))
        return undefined;
      if (bucket.nodes.length < BUCKET_SIZE) {
        this.#add(bucket, node, now);
        return undefined;
      }
      if (index === this.#buckets.length - 1 && this.#buckets.length < NODE_ID_LENGTH * 8) {
        this.#split();
        continue;
      }
      const bad = bucket.nodes.findIndex((other) => other.failures >= MAX_FAILURES);
      if (bad >= 0) {
        this.#remove(bucket, bad);
        this.#add(bucket, node, now);
        return undefined;
      }
      // BEP 42: a node whose id matches its IP takes the place of one whose id does not.
      if (node.verified && !node.local) {
        const unverified = bucket.nodes.findIndex((other) => !other.verified);
        if (unverified >= 0) {
          this.#remove(bucket, unverified);
          this.#add(bucket, node, now);
          return undefined;
        }
      }
      const replacements = bucket.replacements;
      const already = replacements.findIndex((other) => other.key === node.key);
      if (already >= 0) replacements.splice(already, 1);
      if (!replacements.some((other) => other.address.host === node.address.host && !node.local)) {
        replacements.push(node);
        if (replacements.length > BUCKET_SIZE) replacements.shift();
      }
      // The stalest questionable node is checked; if it fails, a replacement takes its place.
      let stalest: RoutingNode | undefined;
      for (const other of bucket.nodes) {
        if (this.isGood(other, now)) continue;
        if (now - other.lastPinged < 60_000) continue;
        if (!stalest || other.lastResponse < stalest.lastResponse) stalest = other;
      }
      if (stalest) stalest.lastPinged = now;
      return stalest;
    }
  }

  #add(bucket: Bucket, node: RoutingNode, now: number): void {
    bucket.nodes.push(node);
    bucket.lastChanged = now;
    this.#byKey.set(node.key, node);
    if (!node.local) this.#ips.add(node.address.host);
  }

  #remove(bucket: Bucket, index: number): void {
    const [node] = bucket.nodes.splice(index, 1);
    if (!node) return;
    this.#byKey.delete(node.key);
    if (!node.local) this.#ips.delete(node.address.host);
  }

  #split(): void {
    const last = this.#buckets[this.#buckets.length - 1]!;
    const depth = this.#buckets.length - 1;
    const next: Bucket = { nodes: [], replacements: [], lastChanged: last.lastChanged };
    const keep: RoutingNode[] = [];
    for (const node of last.nodes) {
      if (commonPrefixLength(this.id, node.id) > depth) next.nodes.push(node);
      else keep.push(node);
    }
    const keepReplacements: RoutingNode[] = [];
    for (const node of last.replacements) {
      if (commonPrefixLength(this.id, node.id) > depth) next.replacements.push(node);
      else keepReplacements.push(node);
    }
    last.nodes = keep;
    last.replacements = keepReplacements;
    this.#buckets.push(next);
  }

  /**
   * A query to the node went unanswered. Bad nodes (failures in a row, or never answered) leave
   * the table, and the newest replacement (one with a verified id first) takes their place.
   */
  failed(id: NodeId, address: PeerAddress): void {
    const node = this.#byKey.get(idKey(id));
    if (!node || !sameAddress(node.address, address)) return;
    node.failures++;
    if (node.failures < MAX_FAILURES && node.lastResponse !== NEVER) return;
    const bucket = this.#buckets[this.#bucketIndex(node.id)]!;
    const index = bucket.nodes.indexOf(node);
    if (index < 0) return;
    // With nothing to put in its place, a bad node stays (skipped by `closest`) a little longer.
    if (bucket.replacements.length === 0 && node.failures < MAX_FAILURES * 2) return;
    this.#remove(bucket, index);
    this.#promote(bucket);
  }

  #promote(bucket: Bucket): void {
    while (bucket.replacements.length > 0 && bucket.nodes.length < BUCKET_SIZE) {
      let pick = bucket.replacements.length - 1;
      for (let i = bucket.replacements.length - 1; i >= 0; i--) {
        if (bucket.replacements[i]!.verified) {
          pick = i;
          break;
        }
      }
      const [candidate] = bucket.replacements.splice(pick, 1);
      if (!candidate) return;
      if (!candidate.local && this.#ips.has(candidate.address.host)) continue;
      if (
        candidate.subnet !== '' &&
        bucket.nodes.some((other) => other.subnet === candidate.subnet)
      )
        continue;
      this.#add(bucket, candidate, bucket.lastChanged);
      return;
    }
  }

  /** Up to `count` nodes closest to `target` that are not bad, closest first. */
  closest(target: NodeId, count: number, now?: number): RoutingNode[] {
    const buckets = this.#buckets;
    const start = Math.min(commonPrefixLength(this.id, target), buckets.length - 1);
    // The `count` closest so far, closest first: each candidate is inserted in place (no
    // closure, no sort of every candidate; ids in a table are distinct, so ties cannot occur).
    const found: RoutingNode[] = [];
    if (count <= 0) return found;
    const answered = now !== undefined;
    // Bucket `start` holds the closest; deeper buckets come next (all at one distance level),
    // then shallower ones, each strictly farther than the last.
    let seen = insertClosest(found, buckets[start]!.nodes, target, count, answered);
    if (seen < count) {
      for (let i = start + 1; i < buckets.length; i++)
        seen += insertClosest(found, buckets[i]!.nodes, target, count, answered);
    }
    for (let i = start - 1; i >= 0 && seen < count; i--)
      seen += insertClosest(found, buckets[i]!.nodes, target, count, answered);
    return found;
  }

  /** Buckets nobody changed for `idleFor` ms: the prefix length a refresh target must share. */
  staleBuckets(now: number, idleFor = GOOD_FOR): number[] {
    const stale: number[] = [];
    this.#buckets.forEach((bucket, index) => {
      if (now - bucket.lastChanged >= idleFor) stale.push(index);
    });
    return stale;
  }

  /** Marks a bucket refreshed (a lookup of an id in it started). */
  touchBucket(index: number, now: number): void {
    const bucket = this.#buckets[index];
    if (bucket) bucket.lastChanged = now;
  }

  /** Up to `limit` questionable nodes not pinged in the last minute, stalest first. */
  questionable(now: number, limit: number): RoutingNode[] {
    const out: RoutingNode[] = [];
    for (const bucket of this.#buckets) {
      for (const node of bucket.nodes) {
        if (this.isGood(node, now) || now - node.lastPinged < 60_000) continue;
        out.push(node);
      }
    }
    const seen = (node: RoutingNode): number => Math.max(node.lastResponse, node.lastQuery, -1);
    out.sort((a, b) => seen(a) - seen(b));
    if (out.length > limit) out.length = limit;
    return out;
  }

  nodes(): RoutingNode[] {
    return [...this.#byKey.values()];
  }

  stats(now: number): RoutingTableStats {
    let good = 0;
    let replacements = 0;
    for (const bucket of this.#buckets) {
      replacements += bucket.replacements.length;
      for (const node of bucket.nodes) if (this.isGood(node, now)) good++;
    }
    return {
      nodes: this.#byKey.size,
      good,
      questionable: this.#byKey.size - good,
      buckets: this.#buckets.length,
      replacements,
    };
  }
}

/**
 * Inserts the usable nodes of one bucket into `found` (the `count` closest to `target` so far,
 * closest first); returns how many were usable. `answered`: only nodes that ever answered.
 */
function insertClosest(
  found: RoutingNode[],
  nodes: readonly RoutingNode[],
  target: NodeId,
  count: number,
  answered: boolean,
): number {
  let seen = 0;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    if (node.failures >= MAX_FAILURES) continue;
    if (answered && node.lastResponse === NEVER) continue;
    seen++;
    let at = found.length;
    if (at === count) {
      if (compareDistance(target, node.id, found[at - 1]!.id) >= 0) continue;
      at--;
    } else {
      found.push(node);
    }
    while (at > 0 && compareDistance(target, node.id, found[at - 1]!.id) < 0) {
      found[at] = found[at - 1]!;
      at--;
    }
    found[at] = node;
  }
  return seen;
}
