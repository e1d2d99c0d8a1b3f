import { describe, expect, it } from 'vitest';
import { ConnectionIds } from './connection-ids.js';

describe('ConnectionIds', () => {
  it('accepts an id only from the address and port it was minted for', () => {
    const ids = new ConnectionIds(() => 5_000_000);
    const id = new Uint8Array(8);
    ids.mint('127.0.0.1', 4000, id, 0);
    expect(ids.verify('127.0.0.1', 4000, id, 0)).toBe(true);
    expect(ids.verify('127.0.0.2', 4000, id, 0)).toBe(false);
    expect(ids.verify('127.0.0.1', 4001, id, 0)).toBe(false);
    const flipped = id.slice();
    flipped[7]! ^= 1;
    expect(ids.verify('127.0.0.1', 4000, flipped, 0)).toBe(false);
  });

  it('keeps an id valid for at least a minute and at most two', () => {
    const clock = { now: 60_000 * 1000 + 59_999 };
    const ids = new ConnectionIds(() => clock.now);
    const id = new Uint8Array(8);
    ids.mint('::1', 1, id, 0);
    clock.now += 60_000;
    expect(ids.verify('::1', 1, id, 0)).toBe(true);
    clock.now += 1;
    expect(ids.verify('::1', 1, id, 0)).toBe(false);
  });

  it('uses fresh secrets per server, so ids do not carry over', () => {
    const a = new ConnectionIds(() => 0);
    const b = new ConnectionIds(() => 0);
    const id = new Uint8Array(8);
    a.mint('10.0.0.1', 1, id, 0);
    expect(b.verify('10.0.0.1', 1, id, 0)).toBe(false);
  });
});
