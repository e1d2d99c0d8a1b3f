import { decode, encode } from '@bt/bencode';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DhtError } from './errors.js';
import { type KrpcMessage, decodeKrpc, encodeKrpc, isKrpcDatagram } from './krpc.js';

const id = new Uint8Array(20).fill(1);
const target = new Uint8Array(20).fill(2);
const t = Uint8Array.of(0xab, 0xcd);

function roundTrip(message: KrpcMessage): KrpcMessage {
  const bytes = encodeKrpc(message, Uint8Array.of(0x42, 0x54, 0, 1));
  // Canonical bencode: keys sorted, as strict decoding demands.
  expect(() => decode(bytes, { strict: true })).not.toThrow();
  const decoded = decodeKrpc(bytes);
  if (decoded.kind !== 'error') {
    expect(decoded.version).toEqual(Uint8Array.of(0x42, 0x54, 0, 1));
    delete decoded.version;
  }
  return decoded;
}

function malformed(value: unknown): DhtError {
  try {
    decodeKrpc(value instanceof Uint8Array ? value : encode(value as never));
  } catch (error) {
    if (DhtError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('decoded');
}

describe('KRPC codec', () => {
  it('round-trips every query', () => {
    const queries: KrpcMessage[] = [
      { kind: 'query', transactionId: t, id, method: 'ping' },
      {
        kind: 'query',
        transactionId: t,
        id,
        method: 'find_node',
        target,
        want: { v4: true, v6: true },
      },
      {
        kind: 'query',
        transactionId: t,
        id,
        method: 'get_peers',
        infoHash: target,
        noSeed: true,
        scrape: true,
      },
      {
        kind: 'query',
        transactionId: t,
        id,
        method: 'announce_peer',
        infoHash: target,
        port: 6881,
        token: Uint8Array.of(1, 2, 3),
        impliedPort: true,
        seed: true,
      },
      { kind: 'query', transactionId: t, id, method: 'get', target, seq: 4 },
      {
        kind: 'query',
        transactionId: t,
        id,
        method: 'put',
        token: Uint8Array.of(9),
        value: new TextEncoder().encode('5:hello'),
        key: new Uint8Array(32).fill(3),
        signature: new Uint8Array(64).fill(4),
        salt: Uint8Array.of(5),
        seq: 7,
        cas: 6,
      },
      { kind: 'query', transactionId: t, id, method: 'sample_infohashes', target, readOnly: true },
    ];
    for (const query of queries) expect(roundTrip(query)).toEqual(query);
  });

  it('round-trips responses with nodes, nodes6, values, samples, BEP 33 filters and ip', () => {
    const response: KrpcMessage = {
      kind: 'response',
      transactionId: t,
      id,
      ip: { host: '203.0.113.9', port: 6881, family: 4 },
      nodes: [{ id: target, address: { host: '198.51.100.1', port: 1, family: 4 } }],
      nodes6: [{ id: target, address: { host: '2001:db8::1', port: 2, family: 6 } }],
      values: [
        { host: '192.0.2.1', port: 3, family: 4 },
        { host: '2001:db8::2', port: 4, family: 6 },
      ],
      token: Uint8Array.of(1, 2),
      samples: [target, id],
      interval: 60,
      num: 2,
      seedsBloom: new Uint8Array(256).fill(1),
      peersBloom: new Uint8Array(256).fill(2),
    };
    const decoded = roundTrip(response);
    expect(decoded).toMatchObject({
      ...response,
      nodes: [{ id: target, address: response.nodes![0]!.address }],
      nodes6: [{ id: target, address: response.nodes6![0]!.address }],
    });
  });

  it('writes length prefixes of every size as bencode does', () => {
    for (const length of [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 10_000]) {
      const token = new Uint8Array(length).fill(7);
      const nodes = Array.from({ length: Math.min(length, 40) }, (_, i) => ({
        id: target,
        address: { host: `198.51.100.${i}`, port: 1 + i, family: 4 as const },
      }));
      const response: KrpcMessage = { kind: 'response', transactionId: t, id, token, nodes };
      const bytes = encodeKrpc(response);
      const compactNodes = new Uint8Array(nodes.length * 26);
      nodes.forEach((node, i) => {
        compactNodes.set(node.id, i * 26);
        compactNodes.set([198, 51, 100, i, 0, 1 + i], i * 26 + 20);
      });
      const generic = encode({
        r: {
          id,
          ...(nodes.length > 0 ? { nodes: compactNodes } : { nodes: new Uint8Array() }),
          token,
        },
        t,
        y: 'r',
      });
      expect(bytes).toEqual(generic);
      expect(decodeKrpc(bytes)).toMatchObject({ token, nodes });
    }
  });

  it('writes the ip key of both families in place, as bencode does', () => {
    const cases = [
      {
        ip: { host: '203.0.113.9', port: 6881, family: 4 as const },
        compact: [203, 0, 113, 9, 26, 225],
      },
      { ip: { host: '0.0.0.0', port: 1, family: 4 as const }, compact: [0, 0, 0, 0, 0, 1] },
      {
        ip: { host: '2001:db8::1', port: 65535, family: 6 as const },
        compact: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 255, 255],
      },
    ];
    for (const { ip, compact } of cases) {
      const response = encodeKrpc({ kind: 'response', transactionId: t, id, ip });
      expect(response).toEqual(encode({ ip: Uint8Array.from(compact), r: { id }, t, y: 'r' }));
      const error = encodeKrpc({ kind: 'error', transactionId: t, code: 201, message: 'x', ip });
      expect(error).toEqual(encode({ e: [201, 'x'], ip: Uint8Array.from(compact), t, y: 'e' }));
      expect(decodeKrpc(response)).toMatchObject({ ip });
    }
  });

  it('reads every method name, the common ones and the others', () => {
    for (const name of ['ping', 'find_node', 'get_peers', 'pong', 'find_nodes', 'get_peer']) {
      const bytes = encode({ a: { id, info_hash: target, target }, q: name, t, y: 'q' });
      const query = decodeKrpc(bytes);
      const known = ['ping', 'find_node', 'get_peers'].includes(name);
      expect(query.kind).toBe('query');
      if (query.kind === 'query') {
        expect(query.method === 'unknown' ? query.name : query.method).toBe(name);
        expect(query.method !== 'unknown').toBe(known);
      }
    }
  });

  it('round-trips errors', () => {
    expect(roundTrip({ kind: 'error', transactionId: t, code: 203, message: 'bad token' })).toEqual(
      {
        kind: 'error',
        transactionId: t,
        code: 203,
        message: 'bad token',
      },
    );
  });

  it('keeps an item value verbatim', () => {
    const bytes = new TextEncoder().encode(
      'd1:rd2:id20:aaaaaaaaaaaaaaaaaaaa1:vl1:ai1eee1:t2:aa1:y1:re',
    );
    const message = decodeKrpc(bytes);
    expect(message.kind === 'response' && new TextDecoder().decode(message.value)).toBe('l1:ai1ee');
  });

  it('names the offending field', () => {
    expect(malformed(new TextEncoder().encode('not bencode')).field).toBe('message');
    expect(malformed([1, 2]).field).toBe('message');
    expect(malformed({ y: 'q', q: 'ping', a: { id } }).field).toBe('t');
    expect(malformed({ t: 'aa', y: 'x' }).field).toBe('y');
    expect(malformed({ t: 'aa', y: 'q', q: 'ping', a: { id: 5 } }).field).toBe('a.id');
    expect(malformed({ t: 'aa', y: 'q', q: 'ping', a: { id: 'short' } }).field).toBe('a.id');
    expect(malformed({ t: 'aa', y: 'q', q: 'find_node', a: { id } }).field).toBe('a.target');
    expect(
      malformed({
        t: 'aa',
        y: 'q',
        q: 'announce_peer',
        a: { id, info_hash: target, token: 'x', port: 70000 },
      }).field,
    ).toBe('a.port');
    expect(malformed({ t: 'aa', y: 'r', r: { id, nodes: new Uint8Array(27) } }).field).toBe(
      'r.nodes',
    );
    expect(malformed({ t: 'aa', y: 'r', r: { id, values: { a: 1 } } }).field).toBe('r.values');
    expect(malformed({ t: 'aa', y: 'r', r: { id, samples: new Uint8Array(21) } }).field).toBe(
      'r.samples',
    );
    expect(malformed({ t: 'aa', y: 'r', r: { id, BFsd: new Uint8Array(255) } }).field).toBe(
      'r.BFsd',
    );
    expect(malformed({ t: 'aa', y: 'e', e: 'oops' }).field).toBe('e');
    expect(malformed({ t: new Uint8Array(17), y: 'q', q: 'ping', a: { id } }).field).toBe('t');
    expect(malformed(new TextEncoder().encode('d1:t2:aa1:y1:qe')).code).toBe('malformed-message');
  });

  it('skips values of the wrong length, keeps the rest', () => {
    const message = decodeKrpc(
      encode({
        t: 'aa',
        y: 'r',
        r: { id, values: [new Uint8Array(5), Uint8Array.of(1, 2, 3, 4, 0, 80)] },
      }),
    );
    expect(message.kind === 'response' && message.values).toEqual([
      { host: '1.2.3.4', port: 80, family: 4 },
    ]);
  });

  it('answers an unknown method with a target like find_node would (forward compatibility)', () => {
    const message = decodeKrpc(encode({ t: 'aa', y: 'q', q: 'vote', a: { id, target } }));
    expect(message).toMatchObject({ kind: 'query', method: 'unknown', name: 'vote', target });
  });

  it('throws only typed errors on any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeKrpc(bytes);
        } catch (error) {
          expect(DhtError.isInstance(error)).toBe(true);
        }
      }),
    );
  });

  it('tells DHT datagrams from uTP and UDP tracker ones', () => {
    expect(
      isKrpcDatagram(encodeKrpc({ kind: 'query', transactionId: t, id, method: 'ping' })),
    ).toBe(true);
    expect(isKrpcDatagram(Uint8Array.of(0x41, 0, 0, 0))).toBe(false);
    expect(isKrpcDatagram(Uint8Array.of(0, 0, 0, 1))).toBe(false);
  });
});
