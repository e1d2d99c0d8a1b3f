import { describe, expect, it } from 'vitest';
import { UdpTrackerError } from './errors.js';
import { parseUdpTrackerUrl } from './url.js';

describe('parseUdpTrackerUrl', () => {
  it('reads host, port, family and the BEP 41 URL data', () => {
    expect(parseUdpTrackerUrl('udp://tracker.example:6969/announce?passkey=a%20b')).toEqual({
      host: 'tracker.example',
      port: 6969,
      family: undefined,
      urlData: '/announce?passkey=a%20b',
    });
    expect(parseUdpTrackerUrl('udp://127.0.0.1:80')).toEqual({
      host: '127.0.0.1',
      port: 80,
      family: 4,
      urlData: undefined,
    });
    expect(parseUdpTrackerUrl('udp://[::1]:6969/')).toEqual({
      host: '::1',
      port: 6969,
      family: 6,
      urlData: undefined,
    });
  });

  it('refuses other schemes, missing ports and junk with invalid-url', () => {
    for (const url of [
      'http://a:1/announce',
      'udp://a/announce',
      'udp://a:0',
      'not a url',
      'udp://:5',
    ]) {
      try {
        parseUdpTrackerUrl(url);
        expect.unreachable(url);
      } catch (error) {
        expect(UdpTrackerError.isInstance(error) && error.code).toBe('invalid-url');
      }
    }
  });
});
