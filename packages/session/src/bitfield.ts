/**
 * A fixed-size set of piece indices over the BEP 3 bitfield layout (high bit of the first byte
 * is piece 0), with a running count so "has everything" is O(1).
 */

export class Bitfield {
  readonly length: number;
  readonly bytes: Uint8Array;
  private setCount = 0;

  constructor(length: number, bytes?: Uint8Array) {
    this.length = length;
    const size = Math.ceil(length / 8);
    this.bytes = new Uint8Array(size);
    if (bytes) {
      this.bytes.set(bytes.subarray(0, size));
      // spare bits past the end are not pieces
      const spare = size * 8 - length;
      if (spare > 0 && size > 0) this.bytes[size - 1]! &= (0xff << spare) & 0xff;
      for (const byte of this.bytes) this.setCount += popcount(byte);
    }
  }

  static full(length: number): Bitfield {
    const field = new Bitfield(length);
    for (let index = 0; index < length; index++) field.set(index);
    return field;
  }

  get count(): number {
    return this.setCount;
  }

  get complete(): boolean {
    return this.setCount === this.length;
  }

  get empty(): boolean {
    return this.setCount === 0;
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.length) return false;
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** Sets a bit; returns true when it was not set before. */
  set(index: number): boolean {
    if (index < 0 || index >= this.length || this.has(index)) return false;
    this.bytes[index >> 3]! |= 0x80 >> (index & 7);
    this.setCount++;
    return true;
  }

  /** Clears a bit; returns true when it was set before. */
  clear(index: number): boolean {
    if (!this.has(index)) return false;
    this.bytes[index >> 3]! &= ~(0x80 >> (index & 7));
    this.setCount--;
    return true;
  }

  /** Indices set, in order. */
  *indices(): IterableIterator<number> {
    for (let index = 0; index < this.length; index++) if (this.has(index)) yield index;
  }

  /** A copy of the wire form (spare bits zero). */
  toBytes(): Uint8Array {
    return this.bytes.slice();
  }
}

function popcount(byte: number): number {
  let value = byte;
  let count = 0;
  while (value) {
    value &= value - 1;
    count++;
  }
  return count;
}
