import { describe, expect, it } from 'vitest';
import { isAddressAllowed, isHostAllowed, parseBasicAuth, parseWhitelist } from './access.js';

describe('rpc-whitelist', () => {
  it('matches addresses with * wildcards, IPv4-mapped IPv6 as IPv4', () => {
    const list = parseWhitelist('127.0.0.1, 192.168.*.*,,::1');
    expect(list).toEqual(['127.0.0.1', '192.168.*.*', '::1']);
    expect(isAddressAllowed('192.168.4.20', list)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.1', list)).toBe(true);
    expect(isAddressAllowed('::1', list)).toBe(true);
    expect(isAddressAllowed('10.0.0.1', list)).toBe(false);
    expect(isAddressAllowed('192x168.1.1', ['192.168.*'])).toBe(false);
  });
});

describe('rpc-host-whitelist', () => {
  it('always allows localhost and IP literals, otherwise only listed names', () => {
    expect(isHostAllowed('localhost:9091', [])).toBe(true);
    expect(isHostAllowed('127.0.0.1:9091', [])).toBe(true);
    expect(isHostAllowed('[::1]:9091', [])).toBe(true);
    expect(isHostAllowed('evil.example:9091', [])).toBe(false);
    expect(isHostAllowed('nas.home:9091', ['*.home'])).toBe(true);
    expect(isHostAllowed(undefined, ['*'])).toBe(false);
  });
});

describe('Basic credentials', () => {
  it('reads user:pass (colons in the password kept) and refuses malformed headers', () => {
    expect(parseBasicAuth(`Basic ${btoa('me:pa:ss')}`)).toEqual({
      username: 'me',
      password: 'pa:ss',
    });
    expect(parseBasicAuth('Basic !!!')).toBeUndefined();
    expect(parseBasicAuth(`Basic ${btoa('nocolon')}`)).toBeUndefined();
    expect(parseBasicAuth('Bearer x')).toBeUndefined();
    expect(parseBasicAuth(undefined)).toBeUndefined();
  });
});
