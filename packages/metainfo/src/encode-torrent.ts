/**
 * Writing a parsed torrent back to `.torrent` bytes. The info dictionary is written exactly as
 * it was read (`infoBytes`), so the info-hash never changes; the top level is re-encoded from
 * the typed fields (trackers, web seeds, comment...) plus every unknown key kept in `extra`.
 */
import { type BencodeValue, type EncodableValue, encode } from '@bt/bencode';
import { fromHex } from '@bt/primitives';
import type { Metainfo } from './types.js';

const textEncoder = new TextEncoder();

/** The `.torrent` file of `metainfo`, its top-level fields taken from the typed fields. */
export function encodeTorrent(metainfo: Metainfo): Uint8Array {
  const top = new Map<string | Uint8Array, BencodeValue>(metainfo.extra);
  const text = (value: string): Uint8Array => textEncoder.encode(value);
  const set = (key: string, value: BencodeValue | undefined): void => {
    top.delete(`${key}.utf-8`);
    if (value === undefined) top.delete(key);
    else top.set(key, value);
  };
  const trackers = metainfo.announce.flat();
  set('announce', trackers[0] === undefined ? undefined : text(trackers[0]));
  set(
    'announce-list',
    trackers.length > 1 ? metainfo.announce.map((tier) => tier.map(text)) : undefined,
  );
  set('url-list', metainfo.urlList.length > 0 ? metainfo.urlList.map(text) : undefined);
  set('httpseeds', metainfo.httpSeeds.length > 0 ? metainfo.httpSeeds.map(text) : undefined);
  set('comment', metainfo.comment === undefined ? undefined : text(metainfo.comment));
  set('created by', metainfo.createdBy === undefined ? undefined : text(metainfo.createdBy));
  set('creation date', metainfo.creationDate);
  set('encoding', metainfo.encoding === undefined ? undefined : text(metainfo.encoding));
  // BEP 52: the piece layers, also those fetched from peers for a torrent that came as a magnet
  const layers = metainfo.v2?.pieceLayers;
  if (layers !== undefined && layers.size > 0) {
    set('piece layers', new Map([...layers].map(([root, layer]) => [fromHex(root), layer])));
  }
  top.delete('info');
  return withRawValue(top, 'info', metainfo.infoBytes);
}

/** Encodes `dictionary` with `key` set to already-encoded `raw` bytes, keys in canonical order. */
export function withRawValue(
  dictionary: ReadonlyMap<string | Uint8Array, EncodableValue>,
  key: string,
  raw: Uint8Array,
): Uint8Array {
  // Encoding the dictionary with a one-byte placeholder, then splicing, keeps the order canonical.
  const placeholder = new Map<string | Uint8Array, EncodableValue>(dictionary);
  placeholder.set(key, 0);
  const encoded = encode(placeholder);
  const marker = textEncoder.encode(`${textEncoder.encode(key).length}:${key}i0e`);
  const at = findKeyValue(encoded, marker);
  const result = new Uint8Array(encoded.length - 3 + raw.length);
  const valueStart = at + marker.length - 3;
  result.set(encoded.subarray(0, valueStart));
  result.set(raw, valueStart);
  result.set(encoded.subarray(valueStart + 3), valueStart + raw.length);
  return result;
}

/** Finds `marker` at the top level of an encoded dictionary by walking its entries. */
function findKeyValue(encoded: Uint8Array, marker: Uint8Array): number {
  // Walk entry by entry so a byte pattern inside some value can never be mistaken for the key.
  let position = 1;
  for (;;) {
    let matches = true;
    for (let i = 0; i < marker.length; i++) {
      if (encoded[position + i] !== marker[i]) {
        matches = false;
        break;
      }
    }
    if (matches) return position;
    position = skipValue(encoded, skipValue(encoded, position));
  }
}

function skipValue(bytes: Uint8Array, position: number): number {
  const byte = bytes[position]!;
  if (byte === 0x69) return bytes.indexOf(0x65, position) + 1;
  if (byte === 0x6c || byte === 0x64) {
    let next = position + 1;
    while (bytes[next] !== 0x65) next = skipValue(bytes, next);
    return next + 1;
  }
  const colon = bytes.indexOf(0x3a, position);
  let length = 0;
  for (let i = position; i < colon; i++) length = length * 10 + bytes[i]! - 0x30;
  return colon + 1 + length;
}
