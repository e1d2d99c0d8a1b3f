/**
 * A fixed-size set of piece indices in the BEP 3 `bitfield` layout (the high bit of the first
 * byte is piece 0), with a running count so "has all" and "has none" are O(1). The one bit set
 * of bt: the engine keeps each peer's pieces in one, storage its verified pieces.
 */
import { PrimitivesError } from './errors.js';

export class Bitfield {
  /** Number of pieces the field covers. */
  readonly length: number;
  private readonly bits: Uint8Array;
  private ones = 0;

  /**
   * `bytes` is copied, as read from a BEP 3 `bitfield` message: spare bits past `length` are
   * ignored (BEP 3 says they are zero; we do not trust it), missing bytes are zero.
   */
  constructor(length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0)
      throw new PrimitivesError('invalid-length', `invalid bitfield length ${length}`);
    this.length = length;
    const size = Math.ceil(length / 8);
    this.bits = new Uint8Array(size);
    if (bytes !== undefined && size > 0) {
      this.bits.set(bytes.subarray(0, size));
      const spare = size * 8 - length;
      if (spare > 0) this.bits[size - 1]! &= (0xff << spare) & 0xff;
      for (let index = 0; index < size; index++) this.ones += POPCOUNT[this.bits[index]!]!;
    }
  }

  /** A field with every piece set. */
  static full(length: number): Bitfield {
    const field = new Bitfield(length);
    field.bits.fill(0xff);
    const spare = field.bits.length * 8 - length;
    if (spare > 0) field.bits[field.bits.length - 1]! &= (0xff << spare) & 0xff;
    field.ones = length;
    return field;
  }

  /** Number of pieces in the set. */
  get count(): number {
    return this.ones;
  }

  /** Every piece is in the set. */
  get complete(): boolean {
    return this.ones === this.length;
  }

  /** No piece is in the set. */
  get empty(): boolean {
    return this.ones === 0;
  }

  /** False for an index outside the field. */
  has(index: number): boolean {
    if (index < 0 || index >= this.length) return false;
    return (this.bits[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** Adds a piece; true when it was not in the set. An index outside the field changes nothing. */
  set(index: number): boolean {
    if (!(index >= 0 && index < this.length)) return false;
    const byte = index >> 3;
    const mask = 0x80 >> (index & 7);
    if (this.bits[byte]! & mask) return false;
    this.bits[byte]! |= mask;
    this.ones++;
    return true;
  }

  /** Removes a piece; true when it was in the set. */
  clear(index: number): boolean {
    if (!this.has(index)) return false;
    this.bits[index >> 3]! &= ~(0x80 >> (index & 7));
    this.ones--;
    return true;
  }

  /** Indices in the set, ascending. */
  indices(): number[] {
    return this.collect(0);
  }

  /** Indices not in the set, ascending. */
  missing(): number[] {
    return this.collect(0xff);
  }

  /** Bytes equal to `skip` hold nothing to collect and are stepped over whole. */
  private collect(skip: 0 | 0xff): number[] {
    const result: number[] = [];
    const want = skip === 0;
    for (let byte = 0; byte < this.bits.length; byte++) {
      const value = this.bits[byte]!;
      if (value === skip) continue;
      const first = byte * 8;
      const end = Math.min(first + 8, this.length);
      for (let index = first; index < end; index++)
        if (((value & (0x80 >> (index & 7))) !== 0) === want) result.push(index);
    }
    return result;
  }

  /** A copy of the bytes, as sent in a BEP 3 `bitfield` message (spare bits zero). */
  toBytes(): Uint8Array {
    return this.bits.slice();
  }

  clone(): Bitfield {
    return new Bitfield(this.length, this.bits);
  }
}

const POPCOUNT = (() => {
  const table = new Uint8Array(256);
  for (let value = 1; value < 256; value++) table[value] = (value & 1) + table[value >> 1]!;
  return table;
})();
