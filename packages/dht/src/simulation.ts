/**
 * A simulated network of `DhtCore` nodes on a virtual clock: datagrams are delivered through an
 * event queue with random latency and loss, nodes can leave (churn) or lie (answer with bogus
 * nodes), and nothing touches a socket or a real timer. For tests and benchmarks of routing at a
 * scale no loopback can reach; deterministic for a given seed.
 */
import type { PeerAddress } from '@bt/primitives';
import { type Datagram, DhtCore, type DhtCoreOptions, type LookupResult } from './dht-core.js';
import { decodeKrpc, encodeKrpc } from './krpc.js';
import { type NodeContact, type NodeId, compareDistance } from './node-id.js';

export interface SimulationOptions {
  /** Seed of every random choice. Default 1. */
  seed?: number;
  /** Share of datagrams lost, 0-1. Default 0. */
  loss?: number;
  /** One-way latency in ms, drawn uniformly from [min, max]. Default 10-100. */
  latency?: { min: number; max: number };
  /** Options every node's core gets (the simulation sets `now`, `random`, `bootstrap`). */
  core?: Omit<DhtCoreOptions, 'now' | 'random' | 'bootstrap' | 'state'>;
}

export interface SimulatedNode {
  index: number;
  core: DhtCore;
  address: PeerAddress;
  alive: boolean;
  /** Answers every query with made-up nodes close to the target, at addresses nobody has. */
  liar: boolean;
  /**
   * Set it to a set to record the nodes (by index) that got a datagram through to this one
   * from then on: a test can tell a node that was missed from one that was unreachable.
   */
  heardFrom?: Set<number>;
}

interface Event {
  time: number;
  /** A datagram to deliver, or (bytes undefined) a tick of node `to`. */
  to: number;
  bytes: Uint8Array | undefined;
  from: PeerAddress | undefined;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A binary heap of events by time (ties in insertion order). */
class EventQueue {
  readonly #heap: (Event & { order: number })[] = [];
  #order = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(event: Event): void {
    const heap = this.#heap;
    heap.push({ ...event, order: this.#order++ });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  peekTime(): number | undefined {
    return this.#heap[0]?.time;
  }

  pop(): Event | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (!top || !last || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = i * 2 + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
    return top;
  }

  #less(a: Event & { order: number }, b: Event & { order: number }): boolean {
    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }
}

export class SimulatedNetwork {
  readonly nodes: SimulatedNode[] = [];
  readonly #byHost = new Map<string, SimulatedNode>();
  readonly #queue = new EventQueue();
  readonly #random: () => number;
  readonly #loss: number;
  readonly #latency: { min: number; max: number };
  readonly #coreOptions: SimulationOptions['core'];
  /** When each node's next tick is queued (so it is queued once). */
  readonly #tickAt = new Map<number, number>();
  now = 0;
  /** Datagrams sent, and delivered. */
  sent = 0;
  delivered = 0;

  constructor(options: SimulationOptions = {}) {
    this.#random = prng(options.seed ?? 1);
    this.#loss = options.loss ?? 0;
    this.#latency = options.latency ?? { min: 10, max: 100 };
    this.#coreOptions = options.core;
  }

  /** Random bytes from the simulation's seed. */
  randomBytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = Math.floor(this.#random() * 256);
    return bytes;
  }

  random(): number {
    return this.#random();
  }

  /** Adds a node at a fresh private address (BEP 42 and the per-IP rules exempt them). */
  addNode(options: { bootstrap?: PeerAddress[]; liar?: boolean } = {}): SimulatedNode {
    const index = this.nodes.length;
    const address: PeerAddress = {
      host: `10.${(index >> 16) & 0xff}.${(index >> 8) & 0xff}.${index & 0xff}`,
      port: 6881,
      family: 4,
    };
    const core = new DhtCore({
      ...this.#coreOptions,
      now: this.now,
      random: (length) => this.randomBytes(length),
      bootstrap: options.bootstrap ?? [],
    });
    const node: SimulatedNode = { index, core, address, alive: true, liar: options.liar ?? false };
    this.nodes.push(node);
    this.#byHost.set(address.host, node);
    return node;
  }

  /**
   * Fills every routing table as a settled network would have it, without running the joins:
   * for each bucket of each node, up to 8 nodes drawn from the ids that belong in it.
   */
  wireTables(): void {
    const sorted = [...this.nodes].sort((a, b) => compareIds(a.core.id, b.core.id));
    const ids = sorted.map((node) => node.core.id);
    for (const node of this.nodes) {
      const table = node.core.table()!;
      const own = node.core.id;
      for (let prefix = 0; prefix < 160; prefix++) {
        // Ids sharing `prefix` bits with ours and differing in the next: one contiguous range.
        const low = rangeStart(ids, own, prefix, true);
        const high = rangeStart(ids, own, prefix, false);
        const count = high - low;
        if (count <= 0) {
          if (prefix > 40) break;
          continue;
        }
        const picks = Math.min(8, count);
        for (let i = 0; i < picks; i++) {
          const other = sorted[low + Math.floor(this.#random() * count)]!;
          if (other === node) continue;
          table.heard({ id: other.core.id, address: other.address }, 'response', this.now);
        }
      }
    }
  }

  /** Takes a node off the network: its datagrams vanish, its table entries go stale. */
  kill(node: SimulatedNode): void {
    node.alive = false;
  }

  /** Sends what a node produced (after calls such as `lookup`), and schedules its next tick. */
  flush(node: SimulatedNode): void {
    this.#send(node, node.core.takeOutgoing());
  }

  #send(node: SimulatedNode, datagrams: Datagram[]): void {
    for (const datagram of datagrams) {
      this.sent++;
      if (this.#random() < this.#loss) continue;
      const target = this.#byHost.get(datagram.to.host);
      if (!target || !target.alive) continue;
      const delay = this.#latency.min + this.#random() * (this.#latency.max - this.#latency.min);
      this.#queue.push({
        time: this.now + delay,
        to: target.index,
        bytes: datagram.bytes,
        from: node.address,
      });
    }
    this.#scheduleTick(node);
  }

  #scheduleTick(node: SimulatedNode): void {
    const deadline = node.core.nextDeadline();
    if (deadline === undefined) return;
    const queued = this.#tickAt.get(node.index);
    if (queued !== undefined && queued <= deadline && queued >= this.now) return;
    this.#tickAt.set(node.index, deadline);
    this.#queue.push({
      time: Math.max(deadline, this.now),
      to: node.index,
      bytes: undefined,
      from: undefined,
    });
  }

  /** Runs events until `until()` holds, the queue empties, or `maxTime` (virtual ms) passes. */
  run(until: () => boolean, maxTime = 120_000): void {
    const deadline = this.now + maxTime;
    while (!until()) {
      const time = this.#queue.peekTime();
      if (time === undefined || time > deadline) break;
      const event = this.#queue.pop()!;
      this.now = Math.max(this.now, event.time);
      const node = this.nodes[event.to]!;
      if (!node.alive) continue;
      if (event.bytes === undefined) {
        if (this.#tickAt.get(node.index) === event.time) this.#tickAt.delete(node.index);
        this.#send(node, node.core.tick(this.now));
        continue;
      }
      this.delivered++;
      if (node.heardFrom) {
        const sender = this.#byHost.get(event.from!.host);
        if (sender) node.heardFrom.add(sender.index);
      }
      if (node.liar) {
        this.#send(node, this.#lie(node, event.bytes, event.from!));
        continue;
      }
      this.#send(node, node.core.receive(event.bytes, event.from!, this.now));
    }
  }

  /** A liar's answer: 8 made-up nodes nearer the target than anything real, at dead addresses. */
  #lie(node: SimulatedNode, bytes: Uint8Array, from: PeerAddress): Datagram[] {
    const message = decodeKrpc(bytes);
    if (message.kind !== 'query') return [];
    const target =
      message.method === 'find_node' ||
      message.method === 'get' ||
      message.method === 'sample_infohashes'
        ? message.target
        : message.method === 'get_peers' || message.method === 'announce_peer'
          ? message.infoHash
          : this.randomBytes(20);
    const nodes: NodeContact[] = [];
    for (let i = 0; i < 8; i++) {
      const id = Uint8Array.from(target);
      id[19] = id[19]! ^ (i + 1);
      nodes.push({
        id,
        address: { host: `10.250.${i}.${Math.floor(this.#random() * 256)}`, port: 6881, family: 4 },
      });
    }
    return [
      {
        bytes: encodeKrpc({
          kind: 'response',
          transactionId: message.transactionId,
          id: node.core.id,
          nodes,
        }),
        to: from,
      },
    ];
  }

  /** Runs a find_node lookup from `node` to the end; returns its result. */
  lookup(node: SimulatedNode, target: NodeId, maxTime = 120_000): LookupResult | undefined {
    let result: LookupResult | undefined;
    node.core.lookup(
      { target, method: 'find_node' },
      { done: (done) => (result = done) },
      this.now,
    );
    this.flush(node);
    this.run(() => result !== undefined, maxTime);
    return result;
  }

  /**
   * The `count` live nodes truly closest to `target`. Liars count: they answer queries under
   * their own ids like any node (only the nodes they report are made up).
   */
  trueClosest(target: NodeId, count: number): SimulatedNode[] {
    return this.nodes
      .filter((node) => node.alive)
      .sort((a, b) => compareDistance(target, a.core.id, b.core.id))
      .slice(0, count);
  }
}

function compareIds(a: NodeId, b: NodeId): number {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * In ids sorted ascending, the first index of the range of ids that share exactly `prefix`
 * leading bits with `own` (`start` true), or the index just past it (`start` false).
 */
function rangeStart(ids: NodeId[], own: NodeId, prefix: number, start: boolean): number {
  // The range: ids whose first `prefix` bits equal own's and whose next bit is the opposite.
  const bound = new Uint8Array(20);
  for (let bit = 0; bit < prefix; bit++) {
    if (own[bit >> 3]! & (0x80 >> (bit & 7)))
      bound[bit >> 3] = bound[bit >> 3]! | (0x80 >> (bit & 7));
  }
  const flipped = !(own[prefix >> 3]! & (0x80 >> (prefix & 7)));
  if (flipped) bound[prefix >> 3] = bound[prefix >> 3]! | (0x80 >> (prefix & 7));
  if (!start) {
    // Just past the range: the same prefix and next bit, all following bits set, plus one.
    for (let bit = prefix + 1; bit < 160; bit++)
      bound[bit >> 3] = bound[bit >> 3]! | (0x80 >> (bit & 7));
  }
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    const c = compareIds(ids[middle]!, bound);
    if (c < 0 || (!start && c === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}
