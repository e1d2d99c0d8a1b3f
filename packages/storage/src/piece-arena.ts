/**
 * The memory partial pieces live in: one block of shared memory cut into slots of one piece
 * each, handed out and taken back, never freed while the storage is open (no allocation or page
 * faults per piece, and a fixed ceiling).
 *
 * The block is a shared `WebAssembly.Memory`, not a plain `SharedArrayBuffer`, because its
 * start is page-aligned: a slot whose offset is a multiple of 4096 is then aligned in memory
 * too, which writing past the OS cache (`O_DIRECT`) requires. Where such memory cannot be had,
 * each slot is a `SharedArrayBuffer` of its own, made on first use.
 */

/** Alignment that writes past the OS cache need, in memory and in the file. */
export const DIRECT_ALIGNMENT = 4096;

const WASM_PAGE = 65_536;
const MAX_WASM_PAGES = 65_536;

/** What the arena needs of `WebAssembly.Memory`, typed here so no DOM library is needed. */
type SharedMemoryConstructor = new (descriptor: {
  initial: number;
  maximum: number;
  shared: true;
}) => { readonly buffer: SharedArrayBuffer };

function wasmMemory(): SharedMemoryConstructor | undefined {
  return (globalThis as unknown as { WebAssembly?: { Memory?: SharedMemoryConstructor } })
    .WebAssembly?.Memory;
}

export class PieceArena {
  /** Bytes per slot (the torrent's piece length). */
  readonly slotSize: number;
  /** Number of slots. */
  readonly slots: number;
  /** True when slot offsets that are multiples of 4096 are 4096-aligned in memory. */
  readonly aligned: boolean;
  private readonly memory: SharedArrayBuffer | undefined;
  private readonly free: Uint8Array[] = [];
  private made = 0;

  constructor(slotSize: number, totalBytes: number) {
    this.slotSize = Math.max(1, slotSize);
    this.slots = Math.max(0, Math.floor(totalBytes / this.slotSize));
    const bytes = this.slots * this.slotSize;
    const pages = Math.ceil(bytes / WASM_PAGE);
    let memory: SharedArrayBuffer | undefined;
    if (pages > 0 && pages <= MAX_WASM_PAGES) {
      try {
        const Memory = wasmMemory();
        if (Memory !== undefined)
          memory = new Memory({ initial: pages, maximum: pages, shared: true }).buffer;
      } catch {
        memory = undefined;
      }
    }
    this.memory = memory;
    this.aligned = memory !== undefined;
  }

  /** Slots handed out now. */
  get used(): number {
    return this.made - this.free.length;
  }

  /** A free slot's first `size` bytes (`size` at most `slotSize`), or undefined when all are taken. */
  take(size: number): Uint8Array | undefined {
    const reused = this.free.pop();
    if (reused !== undefined) return reused.subarray(0, size);
    if (this.made >= this.slots) return undefined;
    const slot =
      this.memory === undefined
        ? new Uint8Array(new SharedArrayBuffer(this.slotSize))
        : new Uint8Array(this.memory, this.made * this.slotSize, this.slotSize);
    this.made++;
    return slot.subarray(0, size);
  }

  /** Gives a slot back (any view `take` returned for it). */
  give(view: Uint8Array): void {
    this.free.push(
      new Uint8Array(view.buffer as SharedArrayBuffer, view.byteOffset, this.slotSize),
    );
  }
}
