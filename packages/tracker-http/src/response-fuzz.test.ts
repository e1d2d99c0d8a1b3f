/**
 * Bounded fuzzing of the client's response parsers: whatever bytes a tracker sends, the
 * parsers return a result or throw an `HttpTrackerError`, never anything else.
 */
import { encode, type EncodableValue } from '@bt/bencode';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAnnounceResponse } from './announce-codec.js';
import { HttpTrackerError } from './errors.js';
import { parseScrapeResponse } from './scrape-codec.js';

const leaf = fc.oneof(
  fc.integer({ min: -5, max: 70_000 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom('1.2.3.4', '::1', 'not an ip', ''),
);
const keys = fc.constantFrom(
  'interval',
  'min interval',
  'complete',
  'incomplete',
  'peers',
  'peers6',
  'ip',
  'port',
  'peer id',
  'files',
  'downloaded',
  'failure reason',
  'warning message',
  'tracker id',
  'retry in',
);
const { value } = fc.letrec<{ value: EncodableValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
  ),
}));

function onlyTyped(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(HttpTrackerError.isInstance(error), String(error)).toBe(true);
  }
}

describe('response parsers under fuzzing', () => {
  it('random bencode trees give a result or a typed error', () => {
    fc.assert(
      fc.property(fc.dictionary(keys, value, { maxKeys: 8 }), (tree) => {
        const body = encode(tree);
        onlyTyped(() => parseAnnounceResponse(body));
        onlyTyped(() => parseScrapeResponse(body));
      }),
      { numRuns: 400 },
    );
  });

  it('scrape files keyed by 20-byte hashes with random entries give a result or a typed error', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), value), {
          maxLength: 5,
        }),
        (entries) => {
          const files = new Map<Uint8Array, EncodableValue>();
          for (const [hash, entry] of entries) {
            if (![...files.keys()].some((key) => Buffer.from(key).equals(hash)))
              files.set(hash, entry);
          }
          onlyTyped(() => parseScrapeResponse(encode({ files })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes give a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        onlyTyped(() => parseAnnounceResponse(body));
        onlyTyped(() => parseScrapeResponse(body));
      }),
      { numRuns: 400 },
    );
  });
});
