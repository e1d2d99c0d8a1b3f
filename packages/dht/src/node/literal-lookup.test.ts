import { describe, expect, it } from 'vitest';
import { literalLookup } from './literal-lookup.js';

function lookup(hostname: string, family: number) {
  let synchronous = true;
  const result = new Promise<{ error: unknown; address: string; family: number; now: boolean }>(
    (resolve) => {
      literalLookup(hostname, family, (error, address, resolvedFamily) =>
        resolve({ error, address, family: resolvedFamily, now: synchronous }),
      );
    },
  );
  synchronous = false;
  return result;
}

describe('literalLookup', () => {
  it('answers IPv4 and IPv6 literals at once, unchanged', async () => {
    expect(await lookup('127.0.0.1', 4)).toEqual({
      error: null,
      address: '127.0.0.1',
      family: 4,
      now: true,
    });
    expect(await lookup('::1', 6)).toEqual({ error: null, address: '::1', family: 6, now: true });
  });

  it('resolves names through dns.lookup', async () => {
    const answer = await lookup('localhost', 4);
    expect(answer.error).toBeNull();
    expect(answer.address).toBe('127.0.0.1');
    expect(answer.family).toBe(4);
    expect(answer.now).toBe(false);
  });
});
