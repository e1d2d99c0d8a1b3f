import { describe, expect, it } from 'vitest';
import { isIP } from 'node:net';
import { literalFamily, literalLookup } from './literal-lookup.js';

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

  it('tells literals from names exactly as net.isIP does', () => {
    const cases = [
      '0.0.0.0',
      '127.0.0.1',
      '255.255.255.255',
      '1.2.3.4',
      '01.2.3.4',
      '1.2.3.04',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '',
      '.',
      '1..2.3',
      '1.2.3.',
      '.1.2.3',
      '1.2.3.4a',
      'a.b.c.d',
      '::1',
      '::ffff:1.2.3.4',
      'fe80::1',
      'localhost',
      'router.bittorrent.com',
      '1000.1.1.1',
    ];
    // And random strings of digits and dots, where a hand-written check would slip.
    let seed = 7;
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = 1 + (n % 16);
      for (let i = 0; i < length; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        text += '0123456789...'[seed % 13];
      }
      cases.push(text);
    }
    for (const text of cases) expect([text, literalFamily(text)]).toEqual([text, isIP(text)]);
  });
});
