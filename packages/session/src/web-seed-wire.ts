/**
 * A web seed as the engine sees it: a peer without an address (BEP 19 `url-list`, BEP 17
 * `httpseeds`) behind the same `PeerWire` shape as a TCP peer, so picking, verdicts, rates and
 * stats treat it like any other. It says it has every piece and never chokes (BEP 6 `have-all`,
 * `unchoke`); the block requests the engine sends are sorted and joined into long runs of
 * adjacent bytes (several pieces in one HTTP range), each run planned by `@bt/webseed` and
 * fetched through the session's `WebSeedFetcher`, and the body is cut back into the blocks that
 * were asked for as it streams in. A failed request chokes the engine (BEP 6: the blocks not
 * delivered are rejected, so others fetch them), lets the runs still in flight finish, then
 * closes the wire with the fetcher's error, which the torrent's `WebSeeds` turns into a
 * back-off.
 */
import { planRun, type WebSeed, type WebSeedSegment, type WebSeedTorrent } from '@bt/webseed';
import type { BlockRequest, Message } from '@bt/wire';
import type { PeerCapabilities, PeerWire, PeerWireHandlers } from './interfaces.js';

/** Fetches one planned web-seed segment (`HttpRangeClient` of `@bt/webseed/node` is one). */
export interface WebSeedFetcher {
  /** Delivers exactly `segment.length` bytes to `onData` (lent per call), or rejects. */
  fetch(
    segment: Extract<WebSeedSegment, { kind: 'http' }>,
    options: { signal?: AbortSignal; onData(chunk: Uint8Array): void },
  ): Promise<void>;
  close?(): Promise<void>;
}

export interface WebSeedWireOptions {
  torrent: WebSeedTorrent;
  seed: WebSeed;
  fetcher: WebSeedFetcher;
  /** Most bytes in one run (one HTTP request per file it spans). Default 8 MiB. */
  maxRunBytes?: number;
  /** Runs in flight at once. Default 4 (the client's connections per host). */
  concurrency?: number;
  /** After the engine was told of the close: why (undefined when closed without blame). */
  onClosed?(error?: Error): void;
}

interface PendingBlock extends BlockRequest {
  /** Torrent byte offset of the block. */
  offset: number;
}

const ZERO_CHUNK = 1 << 20;
const NO_ID = new Uint8Array(0);

export class WebSeedWire implements PeerWire {
  readonly address = undefined;
  readonly label: string;
  readonly peerId = NO_ID;
  readonly capabilities: PeerCapabilities = { fast: true, extended: false };
  readonly incoming = false;
  readonly bufferedBytes = 0;
  private readonly options: WebSeedWireOptions;
  private readonly maxRunBytes: number;
  private readonly concurrency: number;
  private readonly lifetime = new AbortController();
  private handlers: PeerWireHandlers | undefined;
  private pending: PendingBlock[] = [];
  private sorted = true;
  /** Offsets of blocks cancelled while their run was in flight: not delivered. */
  private readonly cancelled = new Set<number>();
  private running = 0;
  private ended = false;
  /** Why the wire is winding down: no new runs, closed once the last one ends. */
  private failure: Error | undefined;

  constructor(options: WebSeedWireOptions) {
    this.options = options;
    this.label = options.seed.url;
    this.maxRunBytes = options.maxRunBytes ?? 8 * 1024 * 1024;
    this.concurrency = options.concurrency ?? 4;
  }

  get closed(): boolean {
    return this.ended;
  }

  start(handlers: PeerWireHandlers): void {
    this.handlers = handlers;
    queueMicrotask(() => {
      if (this.ended) return;
      handlers.onMessage({ type: 'have-all' });
      if (!this.ended) handlers.onMessage({ type: 'unchoke' });
    });
  }

  send(message: Message): void {
    if (message.type !== 'cancel') return;
    const at = this.pending.findIndex(
      (block) => block.index === message.index && block.begin === message.begin,
    );
    if (at >= 0) this.pending.splice(at, 1);
    else this.cancelled.add(this.offsetOf(message.index, message.begin));
  }

  sendRequests(requests: readonly BlockRequest[]): void {
    if (this.ended) return;
    if (this.failure) {
      this.reject(requests);
      return;
    }
    for (const request of requests) {
      const offset = this.offsetOf(request.index, request.begin);
      const last = this.pending[this.pending.length - 1];
      if (last && last.offset > offset) this.sorted = false;
      this.pending.push({ ...request, offset });
    }
    this.pump();
  }

  sendPiece(): void {
    // a web seed never asks us for anything
  }

  close(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = [];
    this.lifetime.abort();
    queueMicrotask(() => {
      this.handlers?.onClose(error);
      this.options.onClosed?.(error);
    });
  }

  /** BEP 6: the engine gives these blocks to other peers. */
  private reject(blocks: readonly BlockRequest[]): void {
    for (const block of blocks) {
      if (this.ended) return;
      this.handlers?.onMessage({
        type: 'reject',
        index: block.index,
        begin: block.begin,
        length: block.length,
      });
    }
  }

  /** A request failed: reject what is left, choke, and close once nothing is in flight. */
  private fail(error: Error, undelivered: readonly BlockRequest[]): void {
    if (this.ended) return;
    if (!this.failure) {
      this.failure = error;
      this.handlers?.onMessage({ type: 'choke' });
    }
    const pending = this.pending;
    this.pending = [];
    this.reject(undelivered);
    this.reject(pending);
    if (this.running === 0) this.close(this.failure);
  }

  private offsetOf(index: number, begin: number): number {
    return index * this.options.torrent.pieceLength + begin;
  }

  /** Starts runs while there is room: adjacent blocks joined, in torrent order. */
  private pump(): void {
    while (
      !this.ended &&
      !this.failure &&
      this.running < this.concurrency &&
      this.pending.length > 0
    ) {
      if (!this.sorted) {
        this.pending.sort((a, b) => a.offset - b.offset);
        this.sorted = true;
      }
      const perPiece = this.options.seed.kind === 'httpseeds';
      let count = 1;
      let end = this.pending[0]!.offset + this.pending[0]!.length;
      while (count < this.pending.length) {
        const next = this.pending[count]!;
        if (next.offset !== end || end - this.pending[0]!.offset >= this.maxRunBytes) break;
        if (perPiece && next.index !== this.pending[0]!.index) break;
        end += next.length;
        count++;
      }
      const run = this.pending.splice(0, count);
      this.running++;
      void this.fetchRun(run);
    }
  }

  private async fetchRun(run: PendingBlock[]): Promise<void> {
    const { torrent, seed, fetcher } = this.options;
    const start = run[0]!.offset;
    const last = run[run.length - 1]!;
    let segments: WebSeedSegment[];
    try {
      segments = planRun(torrent, seed, start, last.offset + last.length - start);
    } catch (error) {
      this.running--;
      this.fail(error instanceof Error ? error : new Error(String(error)), run);
      return;
    }
    let blockAt = 0;
    let filled = 0;
    let buffer: Uint8Array | undefined;
    const emit = (block: PendingBlock, bytes: Uint8Array): void => {
      if (this.cancelled.delete(block.offset) || this.ended) return;
      this.handlers?.onMessage({
        type: 'piece',
        index: block.index,
        begin: block.begin,
        block: bytes,
      });
    };
    const deliver = (chunk: Uint8Array): void => {
      let at = 0;
      while (at < chunk.length && blockAt < run.length && !this.ended) {
        const block = run[blockAt]!;
        if (filled === 0 && chunk.length - at >= block.length) {
          // a whole block inside the chunk: lent as a view, no copy
          emit(block, chunk.subarray(at, at + block.length));
          at += block.length;
          blockAt++;
          continue;
        }
        buffer ??= new Uint8Array(block.length);
        const take = Math.min(block.length - filled, chunk.length - at);
        buffer.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === block.length) {
          emit(block, buffer);
          buffer = undefined;
          filled = 0;
          blockAt++;
        }
      }
    };
    try {
      for (const segment of segments) {
        if (this.ended) return;
        if (segment.kind === 'zeros') {
          // BEP 47 padding: zeros, never asked of the server
          for (let left = segment.length; left > 0; left -= ZERO_CHUNK)
            deliver(new Uint8Array(Math.min(left, ZERO_CHUNK)));
          continue;
        }
        await fetcher.fetch(segment, { signal: this.lifetime.signal, onData: deliver });
      }
    } catch (error) {
      this.running--;
      this.fail(error instanceof Error ? error : new Error(String(error)), run.slice(blockAt));
      return;
    } finally {
      for (const block of run) this.cancelled.delete(block.offset);
    }
    this.running--;
    if (this.failure && this.running === 0) this.close(this.failure);
    else this.pump();
  }
}
