import { encode } from '@bt/bencode';
import { describe, expect, it } from 'vitest';
import { decodeMessages, WireDecoder } from './decoder.js';
import { encodedLength, encodeMessage, encodePieceHeader, encodeRequests } from './encode.js';
import { WireError, WireProtocolError } from './errors.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from './extended-handshake.js';
import { decodeHandshake, encodeHandshake, HANDSHAKE_LENGTH } from './handshake.js';
import type { Message } from './messages.js';
import { plain, sampleMessages } from '../test/messages.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const peerId = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);

function frame(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

function decodeError(bytes: Uint8Array, options = {}): WireProtocolError {
  try {
    decodeMessages(bytes, options);
  } catch (error) {
    expect(WireProtocolError.isInstance(error)).toBe(true);
    return error as WireProtocolError;
  }
  throw new Error('expected a WireProtocolError');
}

describe('handshake (BEP 3)', () => {
  it('encodes the 68 bytes with the reserved bits of BEP 10, BEP 6 and BEP 5', () => {
    const bytes = encodeHandshake({
      infoHash,
      peerId,
      extensions: { extended: true, fast: true, dht: true },
    });
    expect(bytes.length).toBe(HANDSHAKE_LENGTH);
    expect(bytes[0]).toBe(19);
    expect(new TextDecoder().decode(bytes.subarray(1, 20))).toBe('BitTorrent protocol');
    expect(Array.from(bytes.subarray(20, 28))).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    const decoded = decodeHandshake(bytes);
    expect(decoded.extensions).toEqual({ extended: true, fast: true, dht: true });
    expect(decoded.infoHash).toEqual(infoHash);
    expect(decoded.peerId).toEqual(peerId);
  });

  it('keeps reserved bits it does not name', () => {
    const reserved = Uint8Array.of(0x80, 0, 0, 0, 0, 0, 0, 0);
    const decoded = decodeHandshake(encodeHandshake({ infoHash, peerId, reserved }));
    expect(decoded.reserved[0]).toBe(0x80);
    expect(decoded.extensions).toEqual({ extended: false, fast: false, dht: false });
  });

  it('is decoded before its info-hash is known, then messages follow', () => {
    const decoder = new WireDecoder();
    decoder.push(encodeHandshake({ infoHash, peerId }));
    const handshake = decoder.next();
    expect(handshake?.type).toBe('handshake');
    expect(decoder.next()).toBeUndefined();
    decoder.push(encodeMessage({ type: 'unchoke' }));
    expect(decoder.next()).toEqual({ type: 'unchoke' });
  });

  it('refuses another protocol on its first byte', () => {
    const decoder = new WireDecoder();
    decoder.push(new TextEncoder().encode('G'));
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'invalid-handshake' }));
    expect(() => decoder.push(Uint8Array.of(1))).toThrow(WireError);
  });

  it('refuses a wrong protocol string as soon as it differs', () => {
    const decoder = new WireDecoder();
    decoder.push(frame(19, 0x42, 0x69, 0x74, 0x54, 0x6f, 0x72, 0x72, 0x65, 0x6e, 0x74, 0x21));
    expect(() => decoder.next()).toThrow(
      expect.objectContaining({ code: 'invalid-handshake', offset: 11 }),
    );
  });
});

describe('messages (BEP 3, BEP 6, BEP 10)', () => {
  it.each(sampleMessages.map((message) => [message.type, message] as const))(
    '%s round-trips',
    (_type, message) => {
      const bytes = encodeMessage(message);
      expect(bytes.length).toBe(encodedLength(message));
      expect(plain(decodeMessages(bytes))).toEqual([plain(message)]);
    },
  );

  it('writes the exact bytes of BEP 3 and BEP 6', () => {
    expect(Array.from(encodeMessage({ type: 'keep-alive' }))).toEqual([0, 0, 0, 0]);
    expect(Array.from(encodeMessage({ type: 'interested' }))).toEqual([0, 0, 0, 1, 2]);
    expect(Array.from(encodeMessage({ type: 'have', index: 0x01020304 }))).toEqual([
      0, 0, 0, 5, 4, 1, 2, 3, 4,
    ]);
    expect(
      Array.from(encodeMessage({ type: 'request', index: 1, begin: 0x4000, length: 0x4000 })),
    ).toEqual([0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]);
    expect(Array.from(encodeMessage({ type: 'port', port: 0x1ae1 }))).toEqual([
      0, 0, 0, 3, 9, 0x1a, 0xe1,
    ]);
    expect(Array.from(encodeMessage({ type: 'have-all' }))).toEqual([0, 0, 0, 1, 0x0e]);
    expect(Array.from(encodeMessage({ type: 'allowed-fast', index: 2 }))).toEqual([
      0, 0, 0, 5, 0x11, 0, 0, 0, 2,
    ]);
    expect(Array.from(encodePieceHeader(1, 2, 3))).toEqual([
      0, 0, 0, 12, 7, 0, 0, 0, 1, 0, 0, 0, 2,
    ]);
  });

  it('batches requests into one buffer', () => {
    const requests = [0, 1, 2].map((i) => ({ index: i, begin: i * 16384, length: 16384 }));
    const decoded = decodeMessages(encodeRequests(requests));
    expect(decoded).toEqual(requests.map((request) => ({ type: 'request', ...request })));
  });

  it('gives piece blocks as views of the input, not copies', () => {
    const bytes = encodeMessage(sampleMessages.find((message) => message.type === 'piece')!);
    const [piece] = decodeMessages(bytes) as Message[];
    expect(piece?.type).toBe('piece');
    if (piece?.type !== 'piece') return;
    expect(piece.block.buffer).toBe(bytes.buffer);
    expect(piece.block.byteOffset).toBe(13);
  });

  it('decodes the extension handshake with every BEP 10 field', () => {
    const payload = encodeExtendedHandshake({
      extensions: { ut_metadata: 3, ut_pex: 1, lt_donthave: 0 },
      port: 6881,
      client: 'bt 0.1 ✓',
      yourIp: '192.0.2.7',
      ipv4: '198.51.100.1',
      ipv6: '2001:db8::1',
      requestQueueLength: 250,
      metadataSize: 31_337,
      extra: { upload_only: 1 },
    });
    const [message] = decodeMessages(encodeMessage({ type: 'extended', id: 0, payload }));
    expect(message?.type).toBe('extended-handshake');
    if (message?.type !== 'extended-handshake') return;
    const { dictionary, ...fields } = message.handshake;
    expect(fields).toEqual({
      extensions: { ut_metadata: 3, ut_pex: 1, lt_donthave: 0 },
      port: 6881,
      client: 'bt 0.1 ✓',
      yourIp: '192.0.2.7',
      ipv4: '198.51.100.1',
      ipv6: '2001:db8::1',
      requestQueueLength: 250,
      metadataSize: 31_337,
    });
    expect(dictionary.get('upload_only')).toBe(1);
    expect(plain(decodeMessages(encodeMessage(message)))).toEqual(plain([message]));
  });

  it('reads an IPv6 yourip and ignores ill-typed optional fields', () => {
    const handshake = decodeExtendedHandshake(
      encode({
        m: { ut_pex: 2, bad: 'x', big: 999 },
        yourip: new Uint8Array(16).fill(0).fill(1, 15),
        p: 'no',
        reqq: -1,
      }),
    );
    expect(handshake.extensions).toEqual({ ut_pex: 2 });
    expect(handshake.yourIp).toBe('::1');
    expect(handshake.port).toBeUndefined();
    expect(handshake.requestQueueLength).toBeUndefined();
  });
});

describe('limits and hostile input', () => {
  it('refuses a length prefix over the limit before buffering the body', () => {
    const decoder = new WireDecoder({ handshake: false, maxMessageLength: 1000 });
    decoder.push(frame(0, 0, 0x03, 0xe9));
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'message-too-long' }));
    expect(decoder.bufferedLength).toBe(0);
  });

  it('refuses an unknown id on its first byte, or yields it when allowed', () => {
    const bytes = frame(0, 0, 0x10, 0, 99, 1);
    const decoder = new WireDecoder({ handshake: false });
    decoder.push(bytes);
    expect(() => decoder.next()).toThrow(
      expect.objectContaining({ code: 'unknown-message', messageId: 99 }),
    );
    const lenient = decodeMessages(frame(0, 0, 0, 2, 99, 1), { allowUnknownMessages: true });
    expect(plain(lenient)).toEqual([{ type: 'unknown', id: 99, payload: { bytes: [1] } }]);
  });

  it('refuses a fixed-size message of the wrong size', () => {
    expect(decodeError(frame(0, 0, 0, 2, 1, 0)).code).toBe('invalid-message-length');
    expect(decodeError(frame(0, 0, 0, 4, 4, 0, 0, 0)).code).toBe('invalid-message-length');
    expect(decodeError(frame(0, 0, 0, 1, 20)).code).toBe('invalid-message-length');
  });

  it('refuses a request for a block over 16 KiB (configurable)', () => {
    const big = encodeMessage({ type: 'request', index: 0, begin: 0, length: 16385 });
    expect(decodeError(big).code).toBe('block-too-long');
    expect(decodeMessages(big, { maxRequestLength: 32768 })).toHaveLength(1);
  });

  it('refuses a bitfield of the wrong size or with spare bits set when the piece count is known', () => {
    const ok = encodeMessage({ type: 'bitfield', bitfield: Uint8Array.of(0xff, 0xe0) });
    expect(decodeMessages(ok, { pieceCount: 11 })).toHaveLength(1);
    expect(decodeError(ok, { pieceCount: 17 }).code).toBe('invalid-bitfield');
    const spare = encodeMessage({ type: 'bitfield', bitfield: Uint8Array.of(0xff, 0xf0) });
    expect(decodeError(spare, { pieceCount: 11 }).code).toBe('invalid-bitfield');
  });

  it('refuses piece indices past the piece count', () => {
    expect(decodeError(encodeMessage({ type: 'have', index: 11 }), { pieceCount: 11 }).code).toBe(
      'invalid-piece-index',
    );
    const piece = encodeMessage({ type: 'piece', index: 11, begin: 0, block: new Uint8Array(4) });
    expect(decodeError(piece, { pieceCount: 11 }).code).toBe('invalid-piece-index');
  });

  it('refuses an extension handshake that is not a dictionary', () => {
    expect(decodeError(encodeMessage({ type: 'extended', id: 0, payload: encode([1]) })).code).toBe(
      'invalid-extended-handshake',
    );
    expect(decodeError(encodeMessage({ type: 'extended', id: 0, payload: frame(0x64) })).code).toBe(
      'invalid-extended-handshake',
    );
  });

  it('stays failed after an error', () => {
    const decoder = new WireDecoder({ handshake: false });
    decoder.push(frame(0, 0, 0, 1, 99));
    expect(() => decoder.next()).toThrow(WireProtocolError);
    expect(() => decoder.next()).toThrow(WireProtocolError);
    expect(decoder.error?.code).toBe('unknown-message');
  });

  it('reports bytes that end inside a message', () => {
    expect(decodeError(frame(0, 0, 0, 5, 4, 0)).code).toBe('invalid-message-length');
  });

  it('gathers split messages into buffers from its allocator, shared by many messages', () => {
    const sizes: number[] = [];
    const decoder = new WireDecoder({
      handshake: false,
      allocate: (length) => {
        sizes.push(length);
        return new Uint8Array(length);
      },
    });
    const piece = encodeMessage({
      type: 'piece',
      index: 0,
      begin: 0,
      block: new Uint8Array(1000).fill(7),
    });
    for (let i = 0; i < 10; i++) {
      decoder.push(piece.subarray(0, 500));
      expect(decoder.next()).toBeUndefined();
      decoder.push(piece.subarray(500));
      const message = decoder.next();
      expect(message?.type === 'piece' && message.block.every((byte) => byte === 7)).toBe(true);
    }
    expect(sizes).toEqual([256 * 1024]);
    // Everything but the 4-byte length prefixes, read in place.
    expect(decoder.copiedBytes).toBe(10 * (piece.length - 4));
  });

  it('lets a read buffer be reused: detach copies the unread rest, partial messages are its own', () => {
    const decoder = new WireDecoder();
    const block = Uint8Array.from({ length: 100 }, (_, i) => i);
    const piece = encodeMessage({ type: 'piece', index: 3, begin: 0, block });
    const stream = Uint8Array.from([
      ...encodeHandshake({ infoHash, peerId }),
      ...encodeMessage({ type: 'have', index: 7 }),
      ...piece,
    ]);
    // one shared read buffer: the handshake, the have and half the piece, then the rest
    const buffer = new Uint8Array(200);
    const half = HANDSHAKE_LENGTH + 9 + 50;
    buffer.set(stream.subarray(0, half));
    decoder.push(buffer.subarray(0, half));
    expect(decoder.next()).toMatchObject({ type: 'handshake' });
    decoder.detach();
    buffer.fill(0xff);
    expect(decoder.next()).toEqual({ type: 'have', index: 7 });
    expect(decoder.next()).toBeUndefined();
    buffer.fill(0xee);
    buffer.set(stream.subarray(half));
    decoder.push(buffer.subarray(0, stream.length - half));
    const next = decoder.next();
    expect(next).toMatchObject({ type: 'piece', index: 3, begin: 0 });
    if (next?.type === 'piece') expect(next.block).toEqual(block);
    expect(decoder.next()).toBeUndefined();
    expect(decoder.position).toBe(stream.length);
  });

  it('joins an unread rest when pushed early', () => {
    const decoder = new WireDecoder({ handshake: false });
    decoder.push(encodeMessage({ type: 'have', index: 1 }));
    decoder.push(encodeMessage({ type: 'have', index: 2 }));
    expect(decoder.next()).toEqual({ type: 'have', index: 1 });
    expect(decoder.next()).toEqual({ type: 'have', index: 2 });
    expect(decoder.next()).toBeUndefined();
  });
});

describe('BEP 52 hash messages', () => {
  const root = new Uint8Array(32).map((_, i) => i + 1);
  const range = { piecesRoot: root, baseLayer: 2, index: 512, length: 512, proofLayers: 9 };

  it('round-trips hash request, hashes and hash reject, split at every byte', () => {
    const hashes = new Uint8Array(32 * 514).map((_, i) => i * 7);
    const messages = [
      { type: 'hash-request', ...range },
      { type: 'hashes', ...range, hashes },
      { type: 'hash-reject', ...range },
    ] as const;
    for (const message of messages) {
      const bytes = encodeMessage(message);
      expect(bytes.length).toBe(encodedLength(message));
      expect(bytes[4]).toBe(
        message.type === 'hash-request' ? 21 : message.type === 'hashes' ? 22 : 23,
      );
      for (const split of [1, 5, 30, bytes.length - 1]) {
        const decoder = new WireDecoder({ handshake: false });
        decoder.push(bytes.subarray(0, split));
        const early = decoder.next();
        decoder.push(bytes.subarray(split));
        const decoded = early ?? decoder.next();
        expect(decoded).toMatchObject({ ...message, piecesRoot: root });
        if (message.type === 'hashes') {
          expect((decoded as { hashes: Uint8Array }).hashes).toEqual(hashes);
        }
      }
    }
  });

  it('refuses ranges outside the limits with typed errors', () => {
    const bad = (patch: Partial<typeof range>, hashCount?: number) => {
      const message =
        hashCount === undefined
          ? ({ type: 'hash-request', ...range, ...patch } as const)
          : ({
              type: 'hashes',
              ...range,
              ...patch,
              hashes: new Uint8Array(32 * hashCount),
            } as const);
      const decoder = new WireDecoder({ handshake: false });
      decoder.push(encodeMessage(message));
      let caught: unknown;
      try {
        decoder.next();
      } catch (error) {
        caught = error;
      }
      expect(WireProtocolError.isInstance(caught)).toBe(true);
      return (caught as WireProtocolError).code;
    };
    expect(bad({ length: 0 })).toBe('invalid-hash-request');
    expect(bad({ length: 100_000 })).toBe('invalid-hash-request');
    expect(bad({ proofLayers: 1000 })).toBe('invalid-hash-request');
    expect(bad({ baseLayer: 70 })).toBe('invalid-hash-request');
    // no hashes, or more than one uncle per proof layer
    expect(bad({}, 0)).toBe('invalid-hash-request');
    expect(bad({}, 512 + 10)).toBe('invalid-hash-request');
    // a hash request of the wrong size
    const decoder = new WireDecoder({ handshake: false });
    decoder.push(new Uint8Array([0, 0, 0, 10, 21, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(() => decoder.next()).toThrow(WireProtocolError);
  });
});
