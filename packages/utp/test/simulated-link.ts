/**
 * Two `UtpCore`s joined by a simulated link on a virtual clock: propagation delay, jitter (which
 * reorders), loss, duplication, and an optional bottleneck (a rate and a FIFO queue, whose
 * waiting time is the queuing delay LEDBAT watches). Deterministic for a seed; no timers.
 */
import type { PeerAddress } from '@bt/primitives';
import { type Datagram, UtpCore, type UtpCoreOptions } from '../src/index.js';
import type { UtpConnection } from '../src/index.js';

export interface LinkOptions {
  /** One-way propagation delay (ms). Default 10. */
  delay?: number;
  /** Extra random delay per datagram, 0..jitter ms (reorders packets). Default 0. */
  jitter?: number;
  /** Probability a datagram is lost. */
  loss?: number;
  /** Probability a datagram arrives twice. */
  duplicate?: number;
  /** Bottleneck rate (bytes per ms) in each direction; unlimited when absent. */
  rate?: number;
}

export const A: PeerAddress = { host: '10.0.0.1', port: 1000, family: 4 };
export const B: PeerAddress = { host: '10.0.0.2', port: 2000, family: 4 };

/** mulberry32: a small seeded generator. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface InFlight {
  at: number;
  order: number;
  to: 'a' | 'b';
  bytes: Uint8Array;
}

export class SimulatedNetwork {
  now = 0;
  readonly a: UtpCore;
  readonly b: UtpCore;
  readonly random: () => number;
  readonly #link: Required<Omit<LinkOptions, 'rate'>> & { rate?: number };
  #queue: InFlight[] = [];
  #order = 0;
  #nextTick = 0;
  readonly #flush = { a: false, b: false };
  /** When each direction's bottleneck is free again. */
  readonly #freeAt = { a: 0, b: 0 };
  /** Extra bytes another flow puts on the bottleneck toward b, per ms (a competing flow). */
  crossTraffic = 0;

  /** Starts (or with 0 stops) a competing flow of `rate` bytes per ms toward b. */
  compete(rate: number): void {
    this.crossTraffic = rate;
    this.#lastCross = this.now;
    this.#crossCredit = 0;
  }
  #crossCredit = 0;
  /** Queuing delays seen at the bottleneck toward b (ms), one per datagram. */
  readonly queueDelays: { at: number; delay: number }[] = [];
  /** Datagrams put on the link (before loss). */
  sent = 0;
  /** Drop everything toward this side (a black hole). */
  blackhole: 'a' | 'b' | undefined;
  /** Datagrams still to drop toward each side, whatever they carry (a burst loss). */
  readonly dropNext = { a: 0, b: 0 };
  /** Drop everything toward each side until this time (ms; a link down for a while). */
  readonly dropUntil = { a: 0, b: 0 };
  /** Drops the datagrams for which it returns true. */
  drop: ((to: 'a' | 'b', bytes: Uint8Array) => boolean) | undefined;
  /** Sees every datagram handed to the link. */
  onDatagram: ((to: 'a' | 'b', bytes: Uint8Array) => void) | undefined;

  constructor(
    link: LinkOptions = {},
    options: { seed?: number; a?: UtpCoreOptions; b?: UtpCoreOptions } = {},
  ) {
    this.random = seeded(options.seed ?? 1);
    this.#link = {
      delay: link.delay ?? 10,
      jitter: link.jitter ?? 0,
      loss: link.loss ?? 0,
      duplicate: link.duplicate ?? 0,
      ...(link.rate !== undefined && { rate: link.rate }),
    };
    const random16 = (): number => Math.floor(this.random() * 65536);
    this.a = new UtpCore({
      random16,
      ...options.a,
      requestFlush: () => {
        this.#flush.a = true;
      },
    });
    this.b = new UtpCore({
      random16,
      ...options.b,
      requestFlush: () => {
        this.#flush.b = true;
      },
    });
  }

  /** Sends what a core returned from side `from`. */
  send(from: 'a' | 'b', datagrams: readonly Datagram[]): void {
    const to = from === 'a' ? 'b' : 'a';
    for (const datagram of datagrams) {
      this.sent++;
      this.onDatagram?.(to, datagram.bytes);
      let departure = this.now;
      const rate = this.#link.rate;
      if (rate !== undefined) {
        departure = Math.max(this.now, this.#freeAt[from]) + datagram.bytes.length / rate;
        this.#freeAt[from] = departure;
        if (to === 'b') this.queueDelays.push({ at: this.now, delay: departure - this.now });
      }
      if (this.dropNext[to] > 0) {
        this.dropNext[to]--;
        continue;
      }
      if (
        this.blackhole === to ||
        this.now < this.dropUntil[to] ||
        this.drop?.(to, datagram.bytes) === true ||
        this.random() < this.#link.loss
      )
        continue;
      const copies = this.random() < this.#link.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const at = departure + this.#link.delay + this.random() * this.#link.jitter;
        this.#push({ at, order: this.#order++, to, bytes: datagram.bytes.slice() });
      }
    }
  }

  /** Opens a connection from a to b. */
  connect(): UtpConnection {
    const connection = this.a.connect(B, this.now);
    this.#flush.a = true;
    return connection;
  }

  /** Runs until `done()` or `limit` ms of virtual time have passed; returns whether `done()` held. */
  run(done: () => boolean, limit = 600_000, tickInterval = 10): boolean {
    const end = this.now + limit;
    while (!done()) {
      this.#flushAll();
      if (done()) return true;
      const next = this.#queue[0];
      const at = Math.min(next ? next.at : Infinity, this.#nextTick);
      if (at > end) return false;
      this.now = Math.max(this.now, at);
      if (this.crossTraffic > 0 && this.#link.rate !== undefined) this.#cross();
      while (this.#queue.length > 0 && this.#queue[0]!.at <= this.now) {
        const item = this.#shift();
        const core = item.to === 'a' ? this.a : this.b;
        this.send(item.to, core.receive(item.bytes, item.to === 'a' ? B : A, this.now));
      }
      if (this.now >= this.#nextTick) {
        this.#nextTick = this.now + tickInterval;
        this.send('a', this.a.tick(this.now));
        this.send('b', this.b.tick(this.now));
      }
    }
    this.#flushAll();
    return true;
  }

  #lastCross = 0;

  /** The competing flow's bytes occupy the bottleneck toward b. */
  #cross(): void {
    this.#crossCredit += (this.now - this.#lastCross) * this.crossTraffic;
    this.#lastCross = this.now;
    if (this.#crossCredit <= 0) return;
    this.#freeAt.a = Math.max(this.now, this.#freeAt.a) + this.#crossCredit / this.#link.rate!;
    this.#crossCredit = 0;
  }

  #flushAll(): void {
    for (let round = 0; round < 4 && (this.#flush.a || this.#flush.b); round++) {
      if (this.#flush.a) {
        this.#flush.a = false;
        this.send('a', this.a.flush(this.now));
      }
      if (this.#flush.b) {
        this.#flush.b = false;
        this.send('b', this.b.flush(this.now));
      }
    }
  }

  // A binary heap ordered by arrival time, then by sending order.
  #push(item: InFlight): void {
    const heap = this.#queue;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #shift(): InFlight {
    const heap = this.#queue;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

function before(x: InFlight, y: InFlight): boolean {
  return x.at < y.at || (x.at === y.at && x.order < y.order);
}

/** Reads everything a connection delivers. */
export class Collector {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  closed = false;
  error: Error | undefined;
  connected = false;

  handlers(): {
    onData(chunk: Uint8Array): void;
    onDrain(): void;
    onClose(error?: Error): void;
    onConnect(): void;
  } {
    return {
      onData: (chunk) => {
        this.chunks.push(chunk.slice());
        this.length += chunk.length;
      },
      onDrain: () => undefined,
      onClose: (error) => {
        this.closed = true;
        this.error = error;
      },
      onConnect: () => {
        this.connected = true;
      },
    };
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** `length` bytes of a deterministic pattern. */
export function pattern(length: number, seed = 7): Uint8Array {
  const random = seeded(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export function equalBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * A connection from a to b over a `{ delay: 10 }` link that has delivered `first` bytes (of
 * `pattern(first)`): the sender, b's accepted side, and what each has read.
 */
export function establishedConnection(first = 1000): {
  network: SimulatedNetwork;
  sender: UtpConnection;
  accepted: UtpConnection;
  received: Collector;
  echo: Collector;
} {
  const received = new Collector();
  const echo = new Collector();
  let accepted: UtpConnection | undefined;
  const network = new SimulatedNetwork(
    { delay: 10 },
    {
      b: {
        onConnection: (connection) => {
          accepted = connection;
          connection.open(received.handlers());
        },
      },
    },
  );
  const sender = network.connect();
  sender.open(echo.handlers());
  sender.write(pattern(first));
  if (!network.run(() => received.length === first)) throw new Error('the connection failed');
  return { network, sender, accepted: accepted!, received, echo };
}
