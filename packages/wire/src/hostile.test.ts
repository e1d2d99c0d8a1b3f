import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryMessage } from '../test/messages.js';
import { WireDecoder } from './decoder.js';
import { encodeMessage } from './encode.js';
import { WireProtocolError } from './errors.js';
import { decodeMetadataMessage } from './metadata.js';
import { decodePexMessage } from './pex.js';

const MAX = 4096;

/** Decodes chunks until the end or the first error; returns the error. Checks the memory bound on the way. */
function run(chunks: Uint8Array[], handshake: boolean): unknown {
  const decoder = new WireDecoder({ handshake, maxMessageLength: MAX, pieceCount: 50 });
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
        // a decoded item never holds more than one frame's worth of gathered bytes
      }
      // Held bytes never exceed one partial frame (plus its prefix) past the chunk just read.
      expect(decoder.bufferedLength).toBeLessThanOrEqual(MAX + 4);
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('hostile byte streams', () => {
  it('random bytes raise nothing but WireProtocolError, within the memory bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.boolean(),
        (chunks, handshake) => {
          const error = run(chunks, handshake);
          if (error !== undefined) expect(WireProtocolError.isInstance(error)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated valid streams raise nothing but WireProtocolError', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryMessage, { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat({ max: 500 }),
        (messages, flips, chunkSize) => {
          const parts = messages.map(encodeMessage);
          const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
          let offset = 0;
          for (const part of parts) {
            bytes.set(part, offset);
            offset += part.length;
          }
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const size = chunkSize + 1;
          const chunks: Uint8Array[] = [];
          for (let start = 0; start < bytes.length; start += size)
            chunks.push(bytes.subarray(start, start + size));
          const error = run(chunks, false);
          if (error !== undefined) expect(WireProtocolError.isInstance(error)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('extension payloads raise nothing but WireProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (payload) => {
        for (const decodePayload of [decodeMetadataMessage, decodePexMessage]) {
          try {
            decodePayload(payload);
          } catch (error) {
            expect(WireProtocolError.isInstance(error)).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a flood of length prefixes just under the limit holds one frame at most', () => {
    const decoder = new WireDecoder({ handshake: false, maxMessageLength: MAX });
    const prefix = Uint8Array.of(0, 0, 0x10, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0);
    decoder.push(prefix);
    expect(decoder.next()).toBeUndefined();
    for (let i = 0; i < 100; i++) {
      decoder.push(new Uint8Array(30));
      decoder.next();
      expect(decoder.bufferedLength).toBeLessThanOrEqual(MAX);
    }
  });
});
