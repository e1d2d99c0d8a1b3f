import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryMessage, plain } from '../test/messages.js';
import { WireDecoder } from './decoder.js';
import { encodeMessage } from './encode.js';
import { encodeHandshake } from './handshake.js';
import type { WireItem } from './messages.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Feeds `bytes` cut at `cuts` (sorted offsets) and collects every item. */
function decodeChunked(bytes: Uint8Array, cuts: number[]): WireItem[] {
  const decoder = new WireDecoder();
  const items: WireItem[] = [];
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    decoder.push(bytes.subarray(start, end));
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
    start = end;
  }
  expect(decoder.bufferedLength).toBe(0);
  return items;
}

const handshake = encodeHandshake({
  infoHash: new Uint8Array(20).fill(1),
  peerId: new Uint8Array(20).fill(2),
  extensions: { extended: true, fast: true },
});

describe('properties', () => {
  it('encode then decode is the identity for every message', () => {
    fc.assert(
      fc.property(arbitraryMessage, (message) => {
        const decoder = new WireDecoder({ handshake: false });
        decoder.push(encodeMessage(message));
        expect(plain(decoder.next())).toEqual(plain(message));
        expect(decoder.next()).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('any chunking of a valid stream yields the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryMessage, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, rawCuts) => {
          const bytes = concat([handshake, ...messages.map(encodeMessage)]);
          const cuts = [...new Set(rawCuts.map((cut) => cut % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const items = decodeChunked(bytes, cuts);
          expect(items[0]?.type).toBe('handshake');
          expect(plain(items.slice(1))).toEqual(plain(messages));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('one byte at a time yields the same messages', () => {
    fc.assert(
      fc.property(fc.array(arbitraryMessage, { maxLength: 10 }), (messages) => {
        const bytes = concat([handshake, ...messages.map(encodeMessage)]);
        const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
        expect(plain(decodeChunked(bytes, cuts).slice(1))).toEqual(plain(messages));
      }),
      { numRuns: 100 },
    );
  });
});
