/** The values bencode can carry, as this package decodes them and accepts them for encoding. */

/**
 * A decoded value. Byte strings are `Uint8Array`s (text is read with `toText`), integers are
 * `number`s within ±(2^53 − 1) and `bigint`s beyond.
 */
export type BencodeValue = number | bigint | Uint8Array | BencodeList | BencodeDictionary;

export type BencodeList = BencodeValue[];

/**
 * A decoded dictionary. Keys that are valid UTF-8 are strings; a key that is not is kept as
 * its raw bytes (a `Uint8Array`), so it survives a round trip byte for byte.
 */
export type BencodeDictionary = Map<string | Uint8Array, BencodeValue>;

/**
 * What `encode` accepts: decoded values, plus strings (written as UTF-8), booleans (as 0 or 1)
 * and plain objects. `undefined` and `null` dictionary values are left out, as absent keys.
 */
export type EncodableValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | ArrayBuffer
  | readonly EncodableValue[]
  | ReadonlyMap<string | Uint8Array, EncodableValue | null | undefined>
  | { readonly [key: string]: EncodableValue | null | undefined };

/** A byte range of the input: `start` inclusive, `end` exclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
}
