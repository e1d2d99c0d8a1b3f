/**
 * One iterative lookup (BEP 5, Kademlia): the candidates sorted by distance to the target, α
 * requests in flight to the closest unqueried ones, a request that is slow no longer counts
 * against α (the lookup widens instead of stalling), and the end once the k closest candidates
 * that did not fail have all answered. Pure state: the core sends what `next` picks.
 */
import type { PeerAddress } from '@bt/primitives';
import {
  type NodeContact,
  type NodeId,
  compareDistance,
  idKey,
  isValidNodeIdForAddress,
} from './node-id.js';

export type CandidateState = 'new' | 'pending' | 'slow' | 'responded' | 'failed';

export interface Candidate {
  /** Unknown for a bootstrap address until it answers. */
  id: NodeId | undefined;
  address: PeerAddress;
  state: CandidateState;
  /** Requests sent to it so far. */
  attempts: number;
  /** Requests to it still waiting for an answer (a slow one is asked again at once). */
  inFlight: number;
  /** Hops from the start: 0 for nodes we knew, n + 1 for nodes a depth-n node told us of. */
  depth: number;
  /** The write token it gave (get_peers, get). */
  token?: Uint8Array;
  /** BEP 44: it holds the item (seq it reported, or -1 for an immutable item). */
  itemSeq?: number;
  /** BEP 42: its id matches its IP (local addresses always do). Unknown until it has an id. */
  verified?: boolean;
}

export interface LookupOptions {
  /** Requests kept in flight. Default 3. */
  alpha?: number;
  /** Closest nodes the lookup converges on. Default 8. */
  k?: number;
  /** Most candidates remembered; the farthest are forgotten. Default 128. */
  maxCandidates?: number;
  /** Most nodes taken from one answer. Default 16. */
  maxNodesPerResponse?: number;
  /**
   * Requests a candidate gets before it counts as failed: a lost datagram is no reason to skip
   * one of the closest nodes. Default 3.
   */
  maxAttempts?: number;
  /**
   * BEP 42 enforcement, for lookups that find where to store (`announce_peer`, BEP 44 `put`):
   * only nodes whose ids match their IPs count towards the k closest the lookup converges on,
   * and they come first among the store targets. Others are still asked (they know the way).
   * Default false.
   */
  preferVerified?: boolean;
}

function addressKey(address: PeerAddress): string {
  return `${address.host}|${address.port}`;
}

export class Lookup {
  readonly target: NodeId;
  readonly alpha: number;
  readonly k: number;
  /** Candidates with known ids, closest first. */
  readonly candidates: Candidate[] = [];
  /** Bootstrap addresses (no id yet), queried first. */
  readonly #seeds: Candidate[] = [];
  readonly #ids = new Set<string>();
  readonly #addresses = new Set<string>();
  readonly #maxCandidates: number;
  readonly #maxPerResponse: number;
  readonly #maxAttempts: number;
  readonly #preferVerified: boolean;
  /** Requests sent. */
  queried = 0;
  /** Answers received. */
  responses = 0;
  /** Rounds in the Kademlia sense: the deepest hop asked, plus one. */
  rounds = 0;

  constructor(target: NodeId, options: LookupOptions = {}) {
    this.target = target;
    this.alpha = options.alpha ?? 3;
    this.k = options.k ?? 8;
    this.#maxCandidates = options.maxCandidates ?? 128;
    this.#maxPerResponse = options.maxNodesPerResponse ?? 16;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#preferVerified = options.preferVerified ?? false;
  }

  /** Whether a candidate counts towards the k closest (BEP 42, with `preferVerified`). */
  #counts(candidate: Candidate): boolean {
    return !this.#preferVerified || candidate.verified === true;
  }

  /**
   * A request to the candidate is slow: while attempts remain it is asked again at once (a lost
   * datagram is no reason to skip one of the closest nodes); after the last one it no longer
   * holds the lookup up, though a late answer still counts.
   */
  slowed(candidate: Candidate): void {
    if (candidate.state !== 'pending') return;
    candidate.state = candidate.attempts < this.#maxAttempts ? 'new' : 'slow';
  }

  /** A request to the candidate went unanswered for good. */
  timedOut(candidate: Candidate): void {
    candidate.inFlight = Math.max(0, candidate.inFlight - 1);
    if (candidate.state === 'responded' || candidate.state === 'failed') return;
    if (candidate.inFlight > 0 || candidate.state === 'new') return;
    candidate.state = candidate.attempts < this.#maxAttempts ? 'new' : 'failed';
  }

  /** Adds a bootstrap address whose id is unknown. */
  addSeed(address: PeerAddress): void {
    const key = addressKey(address);
    if (this.#addresses.has(key)) return;
    this.#addresses.add(key);
    this.#seeds.push({ id: undefined, address, state: 'new', attempts: 0, inFlight: 0, depth: 0 });
  }

  /** Adds nodes (from the table, or from an answer); returns how many were new. */
  add(nodes: readonly NodeContact[], selfId?: NodeId, depth = 0): number {
    let added = 0;
    const limit = Math.min(nodes.length, this.#maxPerResponse);
    for (let i = 0; i < limit; i++) {
      const node = nodes[i]!;
      const key = idKey(node.id);
      const address = addressKey(node.address);
      if (this.#ids.has(key) || this.#addresses.has(address)) continue;
      if (selfId && idKey(selfId) === key) continue;
      if (node.address.port === 0) continue;
      const candidate: Candidate = {
        id: node.id,
        address: node.address,
        state: 'new',
        attempts: 0,
        inFlight: 0,
        depth,
        verified: isValidNodeIdForAddress(node.id, node.address),
      };
      const list = this.candidates;
      // Binary search for the insertion point.
      let low = 0;
      let high = list.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (compareDistance(this.target, list[middle]!.id!, node.id) < 0) low = middle + 1;
        else high = middle;
      }
      if (low >= this.#maxCandidates) continue;
      list.splice(low, 0, candidate);
      this.#ids.add(key);
      this.#addresses.add(address);
      added++;
      if (list.length > this.#maxCandidates) {
        // Forget the farthest one that is not waiting for an answer.
        for (let j = list.length - 1; j >= 0; j--) {
          const state = list[j]!.state;
          if (state === 'new' || state === 'failed') {
            const [dropped] = list.splice(j, 1);
            this.#ids.delete(idKey(dropped!.id!));
            this.#addresses.delete(addressKey(dropped!.address));
            break;
          }
        }
      }
    }
    return added;
  }

  /** The candidate an answer from this address belongs to. */
  find(address: PeerAddress): Candidate | undefined {
    for (const seed of this.#seeds)
      if (seed.address.port === address.port && seed.address.host === address.host) return seed;
    for (const candidate of this.candidates) {
      if (candidate.address.port === address.port && candidate.address.host === address.host)
        return candidate;
    }
    return undefined;
  }

  /** A seed answered: it now has an id and joins the sorted candidates as answered. */
  responded(candidate: Candidate, id: NodeId): void {
    candidate.inFlight = Math.max(0, candidate.inFlight - 1);
    if (candidate.state === 'responded') return;
    this.responses++;
    if (candidate.id === undefined) {
      candidate.id = id;
      candidate.verified = isValidNodeIdForAddress(id, candidate.address);
      candidate.state = 'responded';
      const key = idKey(id);
      if (this.#ids.has(key)) return;
      this.#ids.add(key);
      const list = this.candidates;
      let low = 0;
      let high = list.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (compareDistance(this.target, list[middle]!.id!, id) < 0) low = middle + 1;
        else high = middle;
      }
      list.splice(low, 0, candidate);
      return;
    }
    candidate.state = 'responded';
  }

  #inFlight(): number {
    let count = 0;
    for (const seed of this.#seeds) if (seed.state === 'pending') count++;
    for (const candidate of this.candidates) if (candidate.state === 'pending') count++;
    return count;
  }

  /** Candidates to query now (at most `budget`), marked pending. */
  next(budget: number): Candidate[] {
    const picked: Candidate[] = [];
    let room = Math.min(budget, this.alpha - this.#inFlight());
    if (room <= 0) return picked;
    for (const seed of this.#seeds) {
      if (room <= 0) break;
      if (seed.state !== 'new') continue;
      seed.state = 'pending';
      seed.attempts++;
      seed.inFlight++;
      picked.push(seed);
      room--;
    }
    // Only the k closest live candidates are worth asking, plus as many as slow ones hold up.
    let live = 0;
    for (const candidate of this.candidates) {
      if (room <= 0 || live >= this.k) break;
      // A slow request does not hold the lookup back: the next candidate gets asked too.
      if (candidate.state === 'failed' || candidate.state === 'slow') continue;
      // Unverified nodes are asked on the way (BEP 42), but do not fill the k closest.
      if (this.#counts(candidate)) live++;
      if (candidate.state !== 'new') continue;
      candidate.state = 'pending';
      candidate.attempts++;
      candidate.inFlight++;
      picked.push(candidate);
      room--;
    }
    for (const candidate of picked) this.rounds = Math.max(this.rounds, candidate.depth + 1);
    this.queried += picked.length;
    return picked;
  }

  /** Whether the lookup has converged, or has nothing left to try. */
  get done(): boolean {
    let live = 0;
    for (const candidate of this.candidates) {
      // Failed candidates, and those slow on their last attempt, do not hold the end up; nor,
      // with `preferVerified`, do nodes whose ids do not match their IPs (BEP 42).
      if (candidate.state === 'failed' || candidate.state === 'slow') continue;
      if (!this.#counts(candidate)) continue;
      if (candidate.state !== 'responded') return false;
      live++;
      if (live >= this.k)
        return !this.#seeds.some((seed) => seed.state === 'pending' || seed.state === 'new');
    }
    for (const seed of this.#seeds)
      if (seed.state === 'pending' || seed.state === 'new') return false;
    return true;
  }

  /** The k closest that answered, closest first. */
  closestResponded(count = this.k, withToken = false): Candidate[] {
    const out: Candidate[] = [];
    for (const candidate of this.candidates) {
      if (candidate.state !== 'responded') continue;
      if (withToken && !candidate.token) continue;
      out.push(candidate);
      if (out.length >= count) break;
    }
    return out;
  }

  /**
   * Where to store: the `count` closest that answered with a token. With `preferVerified`
   * (BEP 42), the closest whose ids match their IPs; only when fewer than `count` of those
   * answered, the closest others fill the rest (BEP 42 allows storing on non-compliant nodes
   * beside the compliant ones), so a network of old nodes still gets the announce.
   */
  storeTargets(count = this.k): Candidate[] {
    if (!this.#preferVerified) return this.closestResponded(count, true);
    const verified: Candidate[] = [];
    const others: Candidate[] = [];
    for (const candidate of this.candidates) {
      if (candidate.state !== 'responded' || !candidate.token) continue;
      if (candidate.verified) {
        verified.push(candidate);
        if (verified.length >= count) break;
      } else if (others.length < count) {
        others.push(candidate);
      }
    }
    const out = verified.concat(others.slice(0, count - verified.length));
    return out.sort((a, b) => compareDistance(this.target, a.id!, b.id!));
  }
}
