import { encode } from '@bt/bencode';
import type { AnnounceRequest } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { appendQuery, buildAnnounceUrl, parseAnnounceResponse } from './announce-codec.js';
import { HttpTrackerError } from './errors.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i * 13);
const peerId = new TextEncoder().encode('-BT0001-abcdefghijkl');

const request: AnnounceRequest = {
  infoHash,
  peerId,
  port: 6881,
  uploaded: 1,
  downloaded: 2,
  left: 3,
};

function fails(body: Uint8Array | string, code: string): HttpTrackerError {
  try {
    parseAnnounceResponse(typeof body === 'string' ? new TextEncoder().encode(body) : body);
  } catch (error) {
    expect(HttpTrackerError.isInstance(error)).toBe(true);
    expect((error as HttpTrackerError).code).toBe(code);
    return error as HttpTrackerError;
  }
  throw new Error('expected a failure');
}

describe('buildAnnounceUrl', () => {
  it('writes BEP 3 parameters with info_hash and peer_id escaped byte by byte', () => {
    const url = buildAnnounceUrl('http://t.example/announce', {
      ...request,
      event: 'started',
      numwant: 30,
      key: 0xbeef,
      ip: '192.0.2.1',
    });
    const query = new URL(url).search.slice(1).split('&');
    expect(query[0]).toBe('info_hash=%00%0D%1A%274AN%5Bhu%82%8F%9C%A9%B6%C3%D0%DD%EA%F7');
    expect(query).toContain('peer_id=-BT0001-abcdefghijkl');
    expect(query).toEqual(
      expect.arrayContaining([
        'port=6881',
        'uploaded=1',
        'downloaded=2',
        'left=3',
        'compact=1',
        'event=started',
        'numwant=30',
        'key=0000BEEF',
        'ip=192.0.2.1',
      ]),
    );
  });

  it('leaves event out for a regular announce and keeps an existing query (passkey)', () => {
    const url = buildAnnounceUrl(
      'https://t.example/a/announce?passkey=abc',
      { ...request, event: 'none' },
      { trackerId: 'x y' },
    );
    expect(url.startsWith('https://t.example/a/announce?passkey=abc&info_hash=')).toBe(true);
    expect(url).not.toContain('event=');
    expect(url).toContain('trackerid=x%20y');
  });

  it('rejects a request that cannot be sent', () => {
    expect(() =>
      buildAnnounceUrl('http://t/announce', { ...request, infoHash: new Uint8Array(19) }),
    ).toThrow(RangeError);
    expect(() => buildAnnounceUrl('http://t/announce', { ...request, port: 70000 })).toThrow(
      RangeError,
    );
    expect(() => buildAnnounceUrl('http://t/announce', { ...request, left: -1 })).toThrow(
      RangeError,
    );
  });

  it('appendQuery handles ? and & endings and drops a fragment', () => {
    expect(appendQuery('http://t/a?', 'x=1')).toBe('http://t/a?x=1');
    expect(appendQuery('http://t/a?k=1&', 'x=1')).toBe('http://t/a?k=1&x=1');
    expect(appendQuery('http://t/a#frag', 'x=1')).toBe('http://t/a?x=1');
  });
});

describe('parseAnnounceResponse', () => {
  it('reads compact IPv4 and IPv6 peers and every field', () => {
    const body = encode({
      interval: 900,
      'min interval': 60,
      complete: 3,
      incomplete: 4,
      'tracker id': 'tid',
      'warning message': 'be nice',
      peers: Uint8Array.from([10, 0, 0, 1, 0x1a, 0xe1, 192, 168, 1, 2, 0, 80]),
      peers6: Uint8Array.from([
        0x20,
        0x01,
        0x0d,
        0xb8,
        ...new Array<number>(11).fill(0),
        1,
        0x1a,
        0xe1,
      ]),
    });
    expect(parseAnnounceResponse(body)).toEqual({
      interval: 900,
      minInterval: 60,
      complete: 3,
      incomplete: 4,
      trackerId: 'tid',
      warning: 'be nice',
      peers: [
        { host: '10.0.0.1', port: 6881, family: 4 },
        { host: '192.168.1.2', port: 80, family: 4 },
        { host: '2001:db8::1', port: 6881, family: 6 },
      ],
    });
  });

  it('reads the dictionary model with peer ids, IPv6 and host names', () => {
    const body = encode({
      interval: 60,
      peers: [
        { ip: '10.0.0.2', port: 1, 'peer id': peerId },
        { ip: '2001:DB8:0:0::2', port: 2 },
        { ip: 'peer.example', port: 3 },
      ],
    });
    const result = parseAnnounceResponse(body);
    expect(result.peers).toEqual([
      { host: '10.0.0.2', port: 1, family: 4, peerId },
      { host: '2001:db8::2', port: 2, family: 6 },
      { host: 'peer.example', port: 3, family: 4 },
    ]);
  });

  it("turns failure reason into a typed error with the tracker's words and BEP 31 retry in", () => {
    const error = fails(
      encode({ 'failure reason': 'torrent not registered', 'retry in': 5 }),
      'failure-reason',
    );
    expect(error.failureReason).toBe('torrent not registered');
    expect(error.retryIn).toBe(5);
  });

  it('rejects garbage with malformed-response', () => {
    fails('<html>502</html>', 'malformed-response');
    fails('li1ee', 'malformed-response');
    fails('d8:intervali1', 'malformed-response');
    fails(encode({ interval: 'soon' }), 'malformed-response');
    fails(encode({ interval: -5 }), 'malformed-response');
    fails(encode({ interval: 5, peers: Uint8Array.of(1, 2, 3, 4, 5) }), 'malformed-response');
    fails(encode({ interval: 5, peers6: Uint8Array.of(1, 2, 3) }), 'malformed-response');
    fails(encode({ interval: 5, peers: 7 }), 'malformed-response');
    fails(encode({ interval: 5, peers: [{ ip: 'x y', port: 1 }] }), 'malformed-response');
    fails(encode({ interval: 5, peers: [{ ip: '1.2.3.4', port: 70000 }] }), 'malformed-response');
    fails(encode({ interval: 5, peers: [5] }), 'malformed-response');
  });

  it('defaults the interval when a tracker leaves it out', () => {
    expect(parseAnnounceResponse(encode({ peers: new Uint8Array(0) })).interval).toBe(1800);
  });
});
