import { encode } from '@bt/bencode';
import { describe, expect, it } from 'vitest';
import { WireProtocolError } from './errors.js';
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_LENGTH,
  metadataPieceCount,
} from './metadata.js';
import { decodePexMessage, encodePexMessage, PexFlags } from './pex.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (WireProtocolError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('expected a WireProtocolError');
}

describe('ut_metadata (BEP 9)', () => {
  it('writes the exact dictionaries of BEP 9', () => {
    expect(text(encodeMetadataMessage({ type: 'request', piece: 0 }))).toBe(
      'd8:msg_typei0e5:piecei0ee',
    );
    expect(text(encodeMetadataMessage({ type: 'reject', piece: 2 }))).toBe(
      'd8:msg_typei2e5:piecei2ee',
    );
    const data = encodeMetadataMessage({
      type: 'data',
      piece: 1,
      totalSize: 16390,
      data: new TextEncoder().encode('abcdef'),
    });
    expect(text(data)).toBe('d8:msg_typei1e5:piecei1e10:total_sizei16390eeabcdef');
  });

  it('round-trips request, data (with its trailing bytes, as a view) and reject', () => {
    expect(decodeMetadataMessage(encodeMetadataMessage({ type: 'request', piece: 3 }))).toEqual({
      type: 'request',
      piece: 3,
    });
    expect(decodeMetadataMessage(encodeMetadataMessage({ type: 'reject', piece: 3 }))).toEqual({
      type: 'reject',
      piece: 3,
    });
    const bytes = encodeMetadataMessage({
      type: 'data',
      piece: 0,
      totalSize: 5,
      data: Uint8Array.of(1, 2, 3, 4, 5),
    });
    const decoded = decodeMetadataMessage(bytes);
    expect(decoded).toEqual({
      type: 'data',
      piece: 0,
      totalSize: 5,
      data: Uint8Array.of(1, 2, 3, 4, 5),
    });
    if (decoded.type === 'data') expect(decoded.data.buffer).toBe(bytes.buffer);
  });

  it('ignores unknown msg_types as BEP 9 asks and refuses malformed payloads', () => {
    expect(decodeMetadataMessage(encode({ msg_type: 7, piece: 0 }))).toEqual({
      type: 'unknown',
      messageType: 7,
      piece: 0,
    });
    expect(code(() => decodeMetadataMessage(encode({ piece: 0 })))).toBe(
      'invalid-metadata-message',
    );
    expect(code(() => decodeMetadataMessage(encode({ msg_type: 1, piece: 0 })))).toBe(
      'invalid-metadata-message',
    );
    expect(
      code(() => decodeMetadataMessage(new TextEncoder().encode('d8:msg_typei0e5:piecei0eextra'))),
    ).toBe('invalid-metadata-message');
    const tooLong = new Uint8Array(METADATA_PIECE_LENGTH + 1);
    const head = encode({ msg_type: 1, piece: 0, total_size: 40000 });
    expect(code(() => decodeMetadataMessage(new Uint8Array([...head, ...tooLong])))).toBe(
      'invalid-metadata-message',
    );
    const pastEnd = new Uint8Array([...encode({ msg_type: 1, piece: 1, total_size: 16385 }), 1, 2]);
    expect(code(() => decodeMetadataMessage(pastEnd))).toBe('invalid-metadata-message');
  });

  it('counts metadata pieces', () => {
    expect(metadataPieceCount(0)).toBe(0);
    expect(metadataPieceCount(16384)).toBe(1);
    expect(metadataPieceCount(16385)).toBe(2);
  });
});

describe('ut_pex (BEP 11)', () => {
  it('round-trips IPv4 and IPv6 peers with flags', () => {
    const message = {
      added: [
        {
          host: '192.0.2.1',
          port: 6881,
          family: 4 as const,
          flags: PexFlags.seed | PexFlags.reachable,
        },
        { host: '2001:db8::2', port: 51413, family: 6 as const, flags: PexFlags.utp },
      ],
      dropped: [
        { host: '198.51.100.9', port: 1, family: 4 as const },
        { host: '::1', port: 2, family: 6 as const },
      ],
    };
    expect(decodePexMessage(encodePexMessage(message))).toEqual(message);
  });

  it('writes the compact forms of BEP 11', () => {
    const bytes = encodePexMessage({
      added: [{ host: '1.2.3.4', port: 0x1ae1, family: 4, flags: 0x12 }],
    });
    expect(Array.from(bytes)).toEqual(
      Array.from(new TextEncoder().encode('d5:added6:')).concat(
        [1, 2, 3, 4, 0x1a, 0xe1],
        Array.from(new TextEncoder().encode('7:added.f1:')),
        [0x12],
        Array.from(new TextEncoder().encode('7:dropped0:e')),
      ),
    );
  });

  it('defaults missing keys and flags, refuses broken address lists', () => {
    expect(decodePexMessage(encode({}))).toEqual({ added: [], dropped: [] });
    expect(decodePexMessage(encode({ added: Uint8Array.of(1, 2, 3, 4, 0, 80) }))).toEqual({
      added: [{ host: '1.2.3.4', port: 80, family: 4, flags: 0 }],
      dropped: [],
    });
    expect(code(() => decodePexMessage(encode({ added: Uint8Array.of(1, 2, 3) })))).toBe(
      'invalid-pex-message',
    );
    expect(code(() => decodePexMessage(encode({ dropped6: 5 })))).toBe('invalid-pex-message');
    expect(code(() => decodePexMessage(encode([1])))).toBe('invalid-pex-message');
  });
});
