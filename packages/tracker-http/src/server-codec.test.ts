import { decode } from '@bt/bencode';
import type { AnnounceRequest } from '@bt/primitives';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAnnounceUrl, parseAnnounceResponse } from './announce-codec.js';
import { buildScrapeUrl, parseScrapeResponse } from './scrape-codec.js';
import {
  encodeAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  TrackerRequestError,
} from './server-codec.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 255 - i);
const peerId = Uint8Array.from({ length: 20 }, (_, i) => i);

function queryOf(url: string): string {
  return url.slice(url.indexOf('?') + 1);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(TrackerRequestError.isInstance(error)).toBe(true);
    return (error as TrackerRequestError).code;
  }
  throw new Error('expected a refusal');
}

describe('parseAnnounceQuery', () => {
  it('reads back exactly what the client codec writes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.constantFrom('none', 'started', 'completed', 'stopped' as const),
        fc.nat(),
        fc.maxSafeNat(),
        (hash, id, port, event, numwant, left) => {
          const request: AnnounceRequest = {
            infoHash: hash,
            peerId: id,
            port,
            uploaded: 7,
            downloaded: 8,
            left,
            event,
            numwant,
            key: 0xdeadbeef,
          };
          const query = parseAnnounceQuery(queryOf(buildAnnounceUrl('http://t/announce', request)));
          expect(query).toEqual({
            infoHash: hash,
            peerId: id,
            port,
            uploaded: 7,
            downloaded: 8,
            left,
            event,
            numwant,
            compact: true,
            noPeerId: false,
            ip: undefined,
            key: 0xdeadbeef,
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('accepts what real clients send: lower-case escapes, literal bytes, compact=0, no_peer_id, empty event', () => {
    const query = parseAnnounceQuery(
      `info_hash=${'%ff'.repeat(20)}&peer_id=-qB4650-abcdefghijkl&port=1&uploaded=0&downloaded=0&left=-1&compact=0&no_peer_id=1&event=&numwant=`,
    );
    expect(query.infoHash).toEqual(new Uint8Array(20).fill(255));
    expect(query.compact).toBe(false);
    expect(query.noPeerId).toBe(true);
    expect(query.event).toBe('none');
    expect(query.left).toBe(1);
    expect(query.numwant).toBeUndefined();
    const lenient = parseAnnounceQuery(
      `info_hash=${'%ff'.repeat(20)}&peer_id=-qB4650-abcdefghijkl&port=1&uploaded=-5&downloaded=-1&left=0&numwant=-1`,
    );
    expect(lenient).toMatchObject({
      uploaded: 0,
      downloaded: 0,
      numwant: undefined,
      event: 'none',
      compact: true,
    });
  });

  it('refuses bad requests with a typed error', () => {
    const good = queryOf(
      buildAnnounceUrl('http://t/announce', {
        infoHash,
        peerId,
        port: 1,
        uploaded: 0,
        downloaded: 0,
        left: 0,
      }),
    );
    expect(
      refusal(() => parseAnnounceQuery(good.replace(/info_hash=[^&]*/, 'info_hash=%01'))),
    ).toBe('invalid-parameter');
    expect(refusal(() => parseAnnounceQuery(good.replace(/peer_id=[^&]*&/, '')))).toBe(
      'missing-parameter',
    );
    expect(refusal(() => parseAnnounceQuery(good.replace('port=1', 'port=99999')))).toBe(
      'invalid-parameter',
    );
    expect(refusal(() => parseAnnounceQuery(good.replace('port=1', 'port=1x')))).toBe(
      'invalid-parameter',
    );
    expect(
      refusal(() => parseAnnounceQuery(good.replace('left=0', 'left=99999999999999999999'))),
    ).toBe('invalid-parameter');
    expect(refusal(() => parseAnnounceQuery(`${good}&event=exploded`))).toBe('invalid-parameter');
    expect(refusal(() => parseAnnounceQuery(`${good}&x=%`))).toBe('malformed-query');
    expect(refusal(() => parseAnnounceQuery(''))).toBe('missing-parameter');
  });

  it('never throws anything but a TrackerRequestError on arbitrary query strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseAnnounceQuery(text);
        } catch (error) {
          expect(TrackerRequestError.isInstance(error)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseScrapeQuery', () => {
  it('reads every info_hash and bounds their number', () => {
    const other = new Uint8Array(20).fill(1);
    expect(parseScrapeQuery(queryOf(buildScrapeUrl('http://t/scrape', [infoHash, other])))).toEqual(
      [infoHash, other],
    );
    expect(parseScrapeQuery('')).toEqual([]);
    expect(refusal(() => parseScrapeQuery('info_hash=abc'))).toBe('invalid-parameter');
    expect(
      refusal(() =>
        parseScrapeQuery(
          queryOf(buildScrapeUrl('http://t/scrape', [infoHash, infoHash, infoHash])),
          2,
        ),
      ),
    ).toBe('too-many-info-hashes');
  });
});

describe('answers', () => {
  const peers = [
    { host: '10.0.0.1', port: 6881, family: 4 as const, peerId },
    { host: '2001:db8::7', port: 51413, family: 6 as const },
    { host: '192.168.0.255', port: 1, family: 4 as const },
  ];

  it('compact answers are canonical bencode the client reads back (peers and peers6)', () => {
    const body = encodeAnnounceResponse({
      interval: 120,
      minInterval: 60,
      complete: 2,
      incomplete: 1,
      peers,
      compact: true,
      warning: 'hi',
    });
    expect(() => decode(body, { strict: true })).not.toThrow();
    expect(parseAnnounceResponse(body)).toEqual({
      interval: 120,
      minInterval: 60,
      complete: 2,
      incomplete: 1,
      warning: 'hi',
      peers: [
        { host: '10.0.0.1', port: 6881, family: 4 },
        { host: '192.168.0.255', port: 1, family: 4 },
        { host: '2001:db8::7', port: 51413, family: 6 },
      ],
    });
  });

  it('dictionary-model answers carry peer ids unless no_peer_id', () => {
    const withIds = parseAnnounceResponse(
      encodeAnnounceResponse({ interval: 1, complete: 0, incomplete: 3, peers, compact: false }),
    );
    expect(withIds.peers[0]).toEqual(peers[0]);
    expect(withIds.peers[1]).toEqual(peers[1]);
    const without = parseAnnounceResponse(
      encodeAnnounceResponse({
        interval: 1,
        complete: 0,
        incomplete: 3,
        peers,
        compact: false,
        noPeerId: true,
      }),
    );
    expect(without.peers[0]!.peerId).toBeUndefined();
  });

  it('scrape and failure answers', () => {
    const files = [{ infoHash, complete: 1, downloaded: 2, incomplete: 3 }];
    expect(parseScrapeResponse(encodeScrapeResponse(files)).files).toEqual(files);
    expect(decode(encodeFailure('nope'))).toEqual(
      new Map([['failure reason', new TextEncoder().encode('nope')]]),
    );
  });
});
