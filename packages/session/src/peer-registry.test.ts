import { describe, expect, it } from 'vitest';
import { PeerIdSet, PeerRegistry } from './peer-registry.js';

const a = { host: '127.0.0.1', port: 1000, family: 4 as const };
const b = { host: '127.0.0.1', port: 1001, family: 4 as const };
const c = { host: '::1', port: 1002, family: 6 as const };

describe('PeerRegistry', () => {
  it('dials manual peers first and each address once at a time', () => {
    const registry = new PeerRegistry();
    registry.add(a, 'tracker');
    registry.add(b, 'manual');
    expect(registry.add(a, 'tracker')).toBe(false);
    expect(registry.candidates(0, 1)).toEqual([b]);
    expect(registry.candidates(0, 5)).toEqual([a]);
    expect(registry.candidates(0, 5)).toEqual([]);
  });

  it('backs off after failures and forgets hopeless non-manual addresses', () => {
    const registry = new PeerRegistry({ retryBaseMs: 1000, maxFailures: 3 });
    registry.add(a, 'tracker');
    registry.add(c, 'manual');
    registry.candidates(0, 2);
    registry.disconnected(a, 0, true);
    registry.disconnected(c, 0, true);
    expect(registry.candidates(999, 5)).toEqual([]);
    expect(registry.candidates(1000, 5)).toHaveLength(2);
    registry.disconnected(a, 1000, true);
    expect(registry.candidates(2999, 5)).toEqual([]);
    registry.disconnected(a, 3000, true);
    for (let round = 0; round < 5; round++) registry.disconnected(c, 3000, true);
    expect(registry.size).toBe(1);
  });

  it('refuses a second connection to the same address and bans on hash failure', () => {
    const registry = new PeerRegistry({ strikesToBan: 2 });
    expect(registry.connected(a)).toBe(true);
    expect(registry.connected(a)).toBe(false);
    expect(registry.hashFailed(a, false)).toBe(false);
    expect(registry.hashFailed(a, false)).toBe(true);
    registry.disconnected(a, 0, false);
    expect(registry.connected(a)).toBe(false);
    expect(registry.candidates(1e9, 5)).toEqual([]);
    expect(registry.hashFailed(b, true)).toBe(true);
    expect(registry.bannedCount).toBe(2);
  });
});

describe('PeerIdSet', () => {
  it('drops self and duplicate connections', () => {
    const self = new Uint8Array(20).fill(1);
    const ids = new PeerIdSet(self);
    const other = new Uint8Array(20).fill(2);
    expect(ids.claim(self)).toBe('self');
    expect(ids.claim(other)).toBe('ok');
    expect(ids.claim(other)).toBe('duplicate');
    ids.release(other);
    expect(ids.claim(other)).toBe('ok');
  });
});
