/**
 * `readCommonQuery` against `decodeKrpc`: whatever the serving path's one-pass reader returns is
 * what the general decoder returns for the same bytes, and `readKrpc` (reader, then decoder)
 * gives the same message or the same typed error as `decodeKrpc` on canonical queries, on the
 * hostile corpus and on random mutations of both.
 */
import { encode } from '@bt/bencode';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DhtError } from './errors.js';
import { readCommonQuery, readKrpc } from './krpc-read.js';
import { type KrpcMessage, decodeKrpc, encodeKrpc } from './krpc.js';

type Outcome = { message: KrpcMessage } | { code: string; field: string | undefined };

function outcome(decoder: (bytes: Uint8Array) => KrpcMessage, bytes: Uint8Array): Outcome {
  try {
    return { message: decoder(bytes) };
  } catch (error) {
    if (!DhtError.isInstance(error)) throw error;
    return { code: error.code, field: error.field };
  }
}

/** The reader agrees with the decoder on `bytes`; returns whether the reader took them. */
function agree(bytes: Uint8Array): boolean {
  const expected = outcome(decodeKrpc, bytes);
  expect(outcome(readKrpc, bytes)).toEqual(expected);
  const read = readCommonQuery(bytes);
  if (read === undefined) return false;
  // Taken: then the decoder accepted the bytes and built the same query.
  expect(expected).toEqual({ message: read });
  return true;
}

const id = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const target = Uint8Array.from({ length: 20 }, (_, i) => 200 - i);
const text = (value: string) => new TextEncoder().encode(value);

/** Queries as real clients send them: every optional key, every method the reader takes. */
function canonicalQueries(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const t of [Uint8Array.of(), Uint8Array.of(7), Uint8Array.of(1, 2), new Uint8Array(16)]) {
    for (const extra of [{}, { v: 'LT\x01\x02' }, { ro: 1 }, { ro: 0, v: 'UT' }]) {
      for (const want of [undefined, ['n4'], ['n4', 'n6'], ['n6', 'xx', 'n44']]) {
        const a = { id, ...(want ? { want } : {}) };
        out.push(encode({ t, y: 'q', q: 'ping', a, ...extra }));
        out.push(encode({ t, y: 'q', q: 'find_node', a: { ...a, target }, ...extra }));
        out.push(encode({ t, y: 'q', q: 'get_peers', a: { ...a, info_hash: target }, ...extra }));
        out.push(
          encode({
            t,
            y: 'q',
            q: 'get_peers',
            a: { ...a, info_hash: target, noseed: 1, scrape: 1 },
            ...extra,
          }),
        );
        out.push(
          encode({
            t,
            y: 'q',
            q: 'get_peers',
            a: { ...a, info_hash: target, noseed: 0, scrape: 2 },
            ...extra,
          }),
        );
      }
    }
  }
  return out;
}

/** What the reader must leave to the decoder: answers, other methods, unusual shapes, garbage. */
function otherMessages(): Uint8Array[] {
  return [
    encodeKrpc({ kind: 'response', transactionId: Uint8Array.of(1), id, nodes: [] }),
    encodeKrpc({ kind: 'error', transactionId: Uint8Array.of(1), code: 203, message: 'no' }),
    encodeKrpc({
      kind: 'query',
      transactionId: Uint8Array.of(1),
      id,
      method: 'announce_peer',
      infoHash: target,
      port: 6881,
      token: Uint8Array.of(1, 2, 3),
    }),
    encode({ t: 'aa', y: 'q', q: 'sample_infohashes', a: { id, target } }),
    encode({ t: 'aa', y: 'q', q: 'vote', a: { id, target } }),
    // Valid, but not canonical or with keys the reader does not know: the decoder reads them.
    encode({ t: 'aa', y: 'q', q: 'ping', a: { id, port: 1 } }),
    encode({ t: 'aa', y: 'q', q: 'ping', a: { id }, extra: 'x' }),
    encode({ t: 'aa', y: 'q', q: 'ping', a: { id }, v: 5 }),
    encode({ t: 'aa', y: 'q', q: 'ping', a: { id, want: 'n4' } }),
    encode({ t: 'aa', y: 'q', q: 'ping', a: { id, want: [1, ['n4']] } }),
    encode({ t: 'aa', y: 'q', q: 'ping', a: { id }, ro: 12345678901234567890n }),
    text(
      'd1:ad2:id20:\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14e1:q4:ping1:t2:aa1:y1:qe',
    ),
    // Unsorted, padded, duplicated, trailing, wrong types, wrong lengths.
    text('d1:q4:ping1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t02:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping2:roi01e1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping2:roi-0e1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:t2:bb1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa2:id20:bbbbbbbbbbbbbbbbbbbbe1:q4:ping1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qee'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qex'),
    text('d1:ad2:id19:aaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q9:find_node1:t2:aa1:y1:qe'),
    text(
      'd1:ad2:id20:aaaaaaaaaaaaaaaaaaaa6:target19:aaaaaaaaaaaaaaaaaaae1:q9:find_node1:t2:aa1:y1:qe',
    ),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q9:get_peers1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:re'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y2:qqe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:qi1e1:t2:aa1:y1:qe'),
    text('d1:ali1ee1:q4:ping1:t2:aa1:y1:qe'),
    text('d1:ad2:idi1ee1:q4:ping1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa4:wantl2:n4e'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa4:wantl2:n4i1eee1:q4:ping1:t2:aa1:y1:qe'),
    text('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa6:noseedi1x'),
    text('d1:ad2:id99999999999:'),
    text('d1:a'),
    text('d'),
    text('le'),
    text('i1e'),
    new Uint8Array(0),
  ];
}

describe('readCommonQuery', () => {
  it('reads every common query a real client sends, as decodeKrpc does', () => {
    const queries = canonicalQueries();
    for (const bytes of queries) expect(agree(bytes)).toBe(true);
    expect(queries.length).toBeGreaterThan(300);
  });

  it('leaves answers, other methods and unusual input to decodeKrpc, with its typed errors', () => {
    let taken = 0;
    for (const bytes of otherMessages()) if (agree(bytes)) taken++;
    // Only the one canonical ping with its binary id is a query the reader takes.
    expect(taken).toBe(1);
  });

  it('every truncation of every common query', () => {
    for (const bytes of canonicalQueries().slice(0, 80)) {
      for (let end = 0; end < bytes.length; end++)
        expect(agree(bytes.subarray(0, end))).toBe(false);
    }
  });

  it('random mutations: flipped, inserted and deleted bytes', () => {
    const corpus = [...canonicalQueries(), ...otherMessages()];
    const alphabet = text('0123456789:deil-qrty_aenops');
    let taken = 0;
    fc.assert(
      fc.property(
        fc.nat(corpus.length - 1),
        fc.array(fc.tuple(fc.nat(3), fc.nat(600), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        (index, edits) => {
          let bytes = Uint8Array.from(corpus[index]!);
          for (const [kind, position, value] of edits) {
            const at = bytes.length === 0 ? 0 : position % bytes.length;
            // Bencode's own characters most of the time: mutations that stay near-valid.
            const byte = value < 160 ? alphabet[value % alphabet.length]! : value;
            if (kind === 0 && bytes.length > 0) bytes[at] = byte;
            else if (kind === 1)
              bytes = Uint8Array.of(...bytes.subarray(0, at), byte, ...bytes.subarray(at));
            else if (kind === 2 && bytes.length > 0)
              bytes = Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1));
            else bytes = bytes.subarray(0, at);
          }
          if (agree(bytes)) taken++;
        },
      ),
      { numRuns: 20_000, seed: 42 },
    );
    // Some mutations leave a valid query (a changed id byte, another transaction id).
    expect(taken).toBeGreaterThan(100);
  });

  it('random bytes behind a query prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (tail) => {
        agree(Uint8Array.of(...text('d1:ad2:id20:'), ...tail));
      }),
      { numRuns: 5000, seed: 7 },
    );
  });
});
