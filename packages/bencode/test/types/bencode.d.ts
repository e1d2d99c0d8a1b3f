/** Just enough of the npm `bencode` package's API for the differential test and the bench. */
declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array;
    decode(data: Uint8Array, start?: number, end?: number, encoding?: string): unknown;
  };
  export default bencode;
}
