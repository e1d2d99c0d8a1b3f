/**
 * Two `ByteStream`s joined in memory: what one writes, the other reads, in a later microtask,
 * in the chunks it was written in. For tests and for running two peer shells in one process.
 * A paused side keeps what reaches it queued, so the writer's `bufferedBytes` grows past the
 * high-water mark until the reader resumes, and the writer then gets `onDrain`.
 */
import type { PeerAddress } from '@bt/primitives';
import type { ByteStream, ByteStreamHandlers } from './byte-stream.js';

export interface MemoryStreamPairOptions {
  /** `bufferedBytes` above which a writer gets `onDrain` once it falls back. Default 64 KiB. */
  highWaterMark?: number;
  /** The addresses each side sees the other at. Default 127.0.0.1 ports 1 and 2. */
  addresses?: readonly [PeerAddress, PeerAddress];
}

/** Two connected streams: `[a, b]`, `a` writing to `b` and back. */
export function createMemoryStreamPair(
  options: MemoryStreamPairOptions = {},
): [MemoryStream, MemoryStream] {
  const highWaterMark = options.highWaterMark ?? 64 * 1024;
  const [first, second] = options.addresses ?? [
    { host: '127.0.0.1', port: 1, family: 4 },
    { host: '127.0.0.1', port: 2, family: 4 },
  ];
  const a = new MemoryStream(second, highWaterMark);
  const b = new MemoryStream(first, highWaterMark);
  a.connect(b);
  b.connect(a);
  return [a, b];
}

/** One side of `createMemoryStreamPair`. */
export class MemoryStream implements ByteStream {
  readonly remoteAddress: PeerAddress;
  readonly #highWaterMark: number;
  #other: MemoryStream | undefined;
  #handlers: ByteStreamHandlers | undefined;
  /** Chunks the other side wrote, not yet delivered here. */
  readonly #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #paused = false;
  #closed = false;
  /** The other side closed: close once the inbox is delivered. */
  #ending = false;
  #flushQueued = false;
  #aboveHighWater = false;

  constructor(remoteAddress: PeerAddress, highWaterMark: number) {
    this.remoteAddress = remoteAddress;
    this.#highWaterMark = highWaterMark;
  }

  /** @internal joins the pair. */
  connect(other: MemoryStream): void {
    this.#other = other;
  }

  get bufferedBytes(): number {
    const other = this.#other;
    return other ? other.#inboxBytes : 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  open(handlers: ByteStreamHandlers): void {
    if (this.#handlers) throw new Error('the stream is already open');
    this.#handlers = handlers;
    this.#schedule();
  }

  write(bytes: Uint8Array): void {
    const other = this.#other;
    if (this.#closed || !other || other.#closed) return;
    other.#inbox.push(bytes);
    other.#inboxBytes += bytes.length;
    if (other.#inboxBytes > this.#highWaterMark) this.#aboveHighWater = true;
    other.#schedule();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }

  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    const other = this.#other;
    if (other && !other.#closed) {
      other.#ending = true;
      other.#schedule();
    }
    this.#handlers?.onClose(error);
  }

  #schedule(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    const handlers = this.#handlers;
    if (!handlers || this.#closed) return;
    while (!this.#paused && !this.#closed && this.#inbox.length > 0) {
      const chunk = this.#inbox.shift()!;
      this.#inboxBytes -= chunk.length;
      handlers.onData(chunk);
    }
    const writer = this.#other;
    if (writer && writer.#aboveHighWater && this.#inboxBytes <= this.#highWaterMark) {
      writer.#aboveHighWater = false;
      writer.#handlers?.onDrain();
    }
    if (this.#ending && this.#inbox.length === 0 && !this.#closed) {
      this.#closed = true;
      handlers.onClose();
    }
  }
}
