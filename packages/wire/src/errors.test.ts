import { describe, expect, it } from 'vitest';
import { WireConnectionError, WireError, WireProtocolError } from './errors.js';

describe('wire errors', () => {
  it('tell their two kinds apart, with their codes and causes', () => {
    const cause = new Error('ECONNRESET');
    const connection = new WireConnectionError('connection-failed', 'reset', { cause });
    const protocol = new WireProtocolError('message-too-long', 'too long', { offset: 7 });
    expect(WireError.isInstance(connection) && WireError.isInstance(protocol)).toBe(true);
    expect(WireConnectionError.isInstance(connection)).toBe(true);
    expect(WireConnectionError.isInstance(protocol)).toBe(false);
    expect(WireProtocolError.isInstance(protocol)).toBe(true);
    expect(WireProtocolError.isInstance(connection)).toBe(false);
    expect(connection).toMatchObject({
      name: 'WireConnectionError',
      code: 'connection-failed',
      cause,
    });
    expect(protocol).toMatchObject({ name: 'WireProtocolError', offset: 7, messageId: undefined });
    expect(WireConnectionError.isInstance(new Error('plain'))).toBe(false);
  });
});
