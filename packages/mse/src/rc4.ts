/**
 * RC4 as MSE/PE uses it: a 20-byte key, the first 1,024 bytes of keystream thrown away. In
 * TypeScript because Node's OpenSSL 3 offers RC4 only through the legacy provider. The state is
 * an `Int32Array` (no clamping on store) and the loop keeps `i`, `j` in locals.
 */

/** Keystream bytes MSE discards after keying (the spec's RC4-drop1024). */
export const MSE_RC4_DISCARD = 1024;

export class Rc4 {
  readonly #state = new Int32Array(256);
  #i = 0;
  #j = 0;

  /** Keys the cipher (1 to 256 bytes) and drops `discard` keystream bytes (default 1,024). */
  constructor(key: Uint8Array, discard: number = MSE_RC4_DISCARD) {
    if (key.length === 0 || key.length > 256)
      throw new RangeError(`an RC4 key has 1 to 256 bytes, got ${key.length}`);
    const s = this.#state;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const t = s[k]!;
      j = (j + t + key[k % key.length]!) & 255;
      s[k] = s[j]!;
      s[j] = t;
    }
    this.skip(discard);
  }

  /** Advances the keystream by `length` bytes. */
  skip(length: number): void {
    const s = this.#state;
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < length; n++) {
      i = (i + 1) & 255;
      const a = s[i]!;
      j = (j + a) & 255;
      s[i] = s[j]!;
      s[j] = a;
    }
    this.#i = i;
    this.#j = j;
  }

  /**
   * XORs the keystream into `input` and writes the result to `output` (default: `input`, in
   * place); `output` must be at least as long. Returns `output`.
   */
  process(input: Uint8Array, output: Uint8Array = input): Uint8Array {
    const length = input.length;
    // Four bytes per load and store where input and output share their alignment: about twice
    // the speed of a byte at a time (the state updates stay byte by byte, as RC4 requires).
    if (LITTLE_ENDIAN && length >= 64 && (input.byteOffset & 3) === (output.byteOffset & 3)) {
      const head = (4 - (input.byteOffset & 3)) & 3;
      const words = (length - head) >>> 2;
      this.#bytes(input, output, 0, head);
      this.#words(
        new Int32Array(input.buffer, input.byteOffset + head, words),
        new Int32Array(output.buffer, output.byteOffset + head, words),
      );
      this.#bytes(input, output, head + words * 4, length);
    } else {
      this.#bytes(input, output, 0, length);
    }
    return output;
  }

  #bytes(input: Uint8Array, output: Uint8Array, from: number, to: number): void {
    const s = this.#state;
    let i = this.#i;
    let j = this.#j;
    for (let n = from; n < to; n++) {
      i = (i + 1) & 255;
      const a = s[i]!;
      j = (j + a) & 255;
      const b = s[j]!;
      s[i] = b;
      s[j] = a;
      output[n] = input[n]! ^ s[(a + b) & 255]!;
    }
    this.#i = i;
    this.#j = j;
  }

  /** Keystream bytes in little-endian order within each word. */
  #words(input: Int32Array, output: Int32Array): void {
    const s = this.#state;
    let i = this.#i;
    let j = this.#j;
    const count = input.length;
    for (let n = 0; n < count; n++) {
      i = (i + 1) & 255;
      let a = s[i]!;
      j = (j + a) & 255;
      let b = s[j]!;
      s[i] = b;
      s[j] = a;
      let key = s[(a + b) & 255]!;
      i = (i + 1) & 255;
      a = s[i]!;
      j = (j + a) & 255;
      b = s[j]!;
      s[i] = b;
      s[j] = a;
      key |= s[(a + b) & 255]! << 8;
      i = (i + 1) & 255;
      a = s[i]!;
      j = (j + a) & 255;
      b = s[j]!;
      s[i] = b;
      s[j] = a;
      key |= s[(a + b) & 255]! << 16;
      i = (i + 1) & 255;
      a = s[i]!;
      j = (j + a) & 255;
      b = s[j]!;
      s[i] = b;
      s[j] = a;
      key |= s[(a + b) & 255]! << 24;
      output[n] = input[n]! ^ key;
    }
    this.#i = i;
    this.#j = j;
  }
}

/** Whether an `Int32Array` lays its bytes out little-endian (every platform Node runs on). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
