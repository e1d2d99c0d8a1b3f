/** A set of piece indices in the BEP 3 `bitfield` layout: high bit of the first byte is piece 0. */

export class Bitfield {
  /** Number of pieces the field covers. */
  readonly length: number;
  private readonly bits: Uint8Array;
  private ones = 0;

  constructor(length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0)
      throw new RangeError(`invalid bitfield length ${length}`);
    this.length = length;
    this.bits = new Uint8Array(Math.ceil(length / 8));
    if (bytes !== undefined) {
      // Spare bits past `length` are ignored (BEP 3 says they are zero; we do not trust it).
      for (let index = 0; index < length; index++) {
        if ((bytes[index >> 3] ?? 0) & (0x80 >> (index & 7))) this.set(index);
      }
    }
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.length) return false;
    return ((this.bits[index >> 3] as number) & (0x80 >> (index & 7))) !== 0;
  }

  set(index: number, value = true): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new RangeError(`piece ${index} out of range`);
    const byte = index >> 3;
    const mask = 0x80 >> (index & 7);
    const current = ((this.bits[byte] as number) & mask) !== 0;
    if (current === value) return;
    this.bits[byte] = value
      ? (this.bits[byte] as number) | mask
      : (this.bits[byte] as number) & ~mask;
    this.ones += value ? 1 : -1;
  }

  /** Number of pieces in the set. */
  count(): number {
    return this.ones;
  }

  /** True when every piece is in the set. */
  isFull(): boolean {
    return this.ones === this.length;
  }

  /** Indices in the set, ascending. */
  indices(): number[] {
    const result: number[] = [];
    for (let index = 0; index < this.length; index++) if (this.has(index)) result.push(index);
    return result;
  }

  /** Indices not in the set, ascending. */
  missing(): number[] {
    const result: number[] = [];
    for (let index = 0; index < this.length; index++) if (!this.has(index)) result.push(index);
    return result;
  }

  /** A copy of the bytes, as sent in a BEP 3 `bitfield` message. */
  toBytes(): Uint8Array {
    return this.bits.slice();
  }

  clone(): Bitfield {
    return new Bitfield(this.length, this.bits);
  }
}
