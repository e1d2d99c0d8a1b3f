import { describe, expect, it } from 'vitest';
import { SessionError } from './errors.js';

describe('SessionError', () => {
  it('says which party failed from its code', () => {
    expect(new SessionError('peer-unrequested', 'x').party).toBe('peer');
    expect(new SessionError('peer-flood', 'x').party).toBe('peer');
    expect(new SessionError('tracker-failed', 'x').party).toBe('tracker');
    expect(new SessionError('storage-failed', 'x').party).toBe('io');
    expect(new SessionError('invalid-option', 'x').party).toBe('caller');
  });

  it('wraps a foreign error with a code and keeps its own', () => {
    const cause = new RangeError('socket reset');
    const wrapped = SessionError.from(cause, 'peer-protocol');
    expect(wrapped).toMatchObject({ code: 'peer-protocol', message: 'socket reset', cause });
    expect(SessionError.isInstance(wrapped)).toBe(true);
    const own = new SessionError('peer-stalled', 'slow');
    expect(SessionError.from(own, 'peer-protocol')).toBe(own);
    expect(SessionError.from('text', 'tracker-failed').message).toBe('text');
  });
});
