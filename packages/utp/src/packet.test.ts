import { describe, expect, it } from 'vitest';
import { UtpError } from './errors.js';
import { PacketType, type UtpPacket, decodePacket, encodePacket, isUtpDatagram } from './packet.js';

const base: UtpPacket = {
  type: PacketType.data,
  connectionId: 0xbeef,
  timestamp: 0xfedcba98,
  timestampDifference: 12345,
  windowSize: 0x10_0000,
  seq: 0xffff,
  ack: 7,
  payload: new Uint8Array([1, 2, 3]),
};

function errorOf(bytes: Uint8Array): UtpError {
  try {
    decodePacket(bytes);
  } catch (error) {
    if (UtpError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('decoded');
}

describe('packet codec (BEP 29)', () => {
  it('round-trips every field, big-endian, type in the high nibble', () => {
    const bytes = encodePacket(base);
    expect(bytes.length).toBe(23);
    expect(bytes[0]).toBe(0x01); // ST_DATA, version 1
    expect([...bytes.subarray(2, 4)]).toEqual([0xbe, 0xef]);
    expect([...bytes.subarray(16, 20)]).toEqual([0xff, 0xff, 0, 7]);
    const decoded = decodePacket(bytes);
    expect({ ...decoded, payload: [...decoded.payload] }).toEqual({ ...base, payload: [1, 2, 3] });
  });

  it('writes and reads the selective ACK extension', () => {
    const mask = new Uint8Array([0b101, 0, 0, 0x80]);
    const bytes = encodePacket({
      ...base,
      type: PacketType.state,
      payload: new Uint8Array(0),
      selectiveAck: mask,
    });
    expect(bytes[1]).toBe(1); // first extension: selective ACK
    expect([...bytes.subarray(20, 22)]).toEqual([0, 4]); // no next extension, 4 bytes
    const decoded = decodePacket(bytes);
    expect([...decoded.selectiveAck!]).toEqual([...mask]);
    expect(decoded.payload.length).toBe(0);
  });

  it('skips unknown extensions by their length', () => {
    const bytes = new Uint8Array([
      ...encodePacket({ ...base, payload: new Uint8Array(0), type: PacketType.state }),
    ]);
    const withExtension = new Uint8Array([...bytes, 0, 3, 9, 9, 9, 42]);
    withExtension[1] = 77;
    const decoded = decodePacket(withExtension);
    expect(decoded.selectiveAck).toBeUndefined();
    expect([...decoded.payload]).toEqual([42]);
  });

  it('tells uTP from a bencoded DHT message by the first byte', () => {
    for (const type of [0, 1, 2, 3, 4]) {
      const bytes = encodePacket({ ...base, type: type as PacketType });
      expect(isUtpDatagram(bytes)).toBe(true);
    }
    const krpc = new TextEncoder().encode(
      'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe',
    );
    expect(isUtpDatagram(krpc)).toBe(false);
    expect(isUtpDatagram(new Uint8Array(19).fill(1))).toBe(false);
  });

  it.each([
    ['too short', new Uint8Array(19).fill(1), 19],
    ['version 2', Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? 0x02 : 0)), 0],
    ['type 5', Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? 0x51 : 0)), 0],
    [
      'an extension past the end',
      Uint8Array.from({ length: 22 }, (_, i) => (i === 0 ? 0x21 : i === 1 ? 1 : i === 21 ? 8 : 0)),
      20,
    ],
    [
      'an empty selective ACK',
      Uint8Array.from({ length: 25 }, (_, i) => (i === 0 ? 0x21 : i === 1 ? 1 : 0)),
      21,
    ],
    [
      'ST_DATA without payload',
      Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? 0x01 : 0)),
      20,
    ],
  ])('%s is a typed invalid-packet error', (_name, bytes, offset) => {
    const error = errorOf(bytes);
    expect(error.code).toBe('invalid-packet');
    expect(error.offset).toBe(offset);
    expect(error.name).toBe('UtpError');
  });

  it('never throws anything but UtpError on random bytes', () => {
    let state = 1;
    const random = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20_000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 60) }, () =>
        Math.floor(random() * 256),
      );
      if (random() < 0.5 && bytes.length > 0) bytes[0] = (Math.floor(random() * 5) << 4) | 1;
      try {
        decodePacket(bytes);
      } catch (error) {
        expect(UtpError.isInstance(error)).toBe(true);
      }
    }
  });
});
