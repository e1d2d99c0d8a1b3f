import { parseIPv4, parseIPv6 } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { BLOOM_LENGTH, bloomEstimate, bloomInsert } from './bloom.js';
import { isValidNodeIdForAddress, nodeIdForIp } from './node-id.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('BEP 42 node ids', () => {
  it("reproduces BEP 42's test vectors", () => {
    const vectors: [string, number, string][] = [
      ['124.31.75.21', 1, '5fbfbf'],
      ['21.75.31.124', 86, '5a3ce9'],
      ['65.23.51.170', 22, 'a5d432'],
      ['84.124.73.14', 65, '1b0321'],
      ['43.213.53.83', 90, 'e56f6c'],
    ];
    for (const [ip, rand, prefix] of vectors) {
      const random = new Uint8Array(20);
      random[19] = rand;
      const id = nodeIdForIp(parseIPv4(ip), random);
      // The first 21 bits are the CRC's; the rest of byte 2 is random (zero here).
      expect(hex(id.subarray(0, 3))).toBe(
        hex(
          Uint8Array.of(
            parseInt(prefix.slice(0, 2), 16),
            parseInt(prefix.slice(2, 4), 16),
            parseInt(prefix.slice(4, 6), 16) & 0xf8,
          ),
        ),
      );
      expect(id[19]).toBe(rand);
      expect(isValidNodeIdForAddress(id, { host: ip, port: 1, family: 4 })).toBe(true);
      const other = Uint8Array.from(id);
      other[0] = other[0]! ^ 0x80;
      expect(isValidNodeIdForAddress(other, { host: ip, port: 1, family: 4 })).toBe(false);
    }
  });

  it('exempts local addresses and checks IPv6 ones', () => {
    const id = new Uint8Array(20);
    expect(isValidNodeIdForAddress(id, { host: '127.0.0.1', port: 1, family: 4 })).toBe(true);
    expect(isValidNodeIdForAddress(id, { host: '192.168.1.9', port: 1, family: 4 })).toBe(true);
    const v6 = nodeIdForIp(parseIPv6('2001:db8::1'), new Uint8Array(20).fill(7));
    expect(isValidNodeIdForAddress(v6, { host: '2001:db8::1', port: 1, family: 6 })).toBe(true);
  });
});

describe('BEP 33 bloom filter', () => {
  it("reproduces the BEP's test vector and estimate", () => {
    const bloom = new Uint8Array(BLOOM_LENGTH);
    for (let i = 0; i < 256; i++) bloomInsert(bloom, Uint8Array.of(192, 0, 2, i));
    for (let i = 0; i <= 0x3e7; i++) {
      const ip = parseIPv6('2001:db8::');
      ip[14] = i >> 8;
      ip[15] = i & 0xff;
      bloomInsert(bloom, ip);
    }
    expect(hex(bloom).slice(0, 32).toUpperCase()).toBe('F6C3F5EAA07FFD91BDE89F777F26FB2B');
    expect(hex(bloom).slice(-8).toUpperCase()).toBe('FD8F72EF');
    expect(bloomEstimate(bloom)).toBeCloseTo(1224.9308, 3);
  });
});
