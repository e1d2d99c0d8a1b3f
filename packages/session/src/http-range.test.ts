import { describe, expect, it } from 'vitest';
import { contentTypeOf, parseRange } from './http-range.js';

describe('parseRange', () => {
  it('answers one range with its bytes, clamped to the end', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(parseRange('bytes=900-5000', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(parseRange(' Bytes = 5 - 5 ', 1000)).toEqual({ kind: 'partial', start: 5, end: 5 });
  });

  it('refuses a range past the end', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange(`bytes=${'9'.repeat(20)}-`, 1000)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores what it does not serve: malformed, other units, several ranges, inverted', () => {
    for (const header of [
      undefined,
      '',
      'bytes=',
      'bytes=-',
      'items=0-5',
      'bytes=0-1,5-6',
      'bytes=a-b',
      'bytes=10-5',
      `bytes=0-${'1'.repeat(300)}`,
    ])
      expect(parseRange(header, 1000)).toEqual({ kind: 'full' });
  });
});

describe('contentTypeOf', () => {
  it('names media types by extension', () => {
    expect(contentTypeOf('movie.MKV')).toBe('video/x-matroska');
    expect(contentTypeOf('clip.mp4')).toBe('video/mp4');
    expect(contentTypeOf('noextension')).toBe('application/octet-stream');
    expect(contentTypeOf('archive.unknown')).toBe('application/octet-stream');
  });
});
