import { describe, expect, it } from 'vitest';
import { judgeResponse, parseContentRange, parseRetryAfter } from './response.js';

const ranged = {
  kind: 'http' as const,
  url: 'http://h/f',
  range: { start: 100, end: 199 },
  length: 100,
};
const fromStart = { ...ranged, range: { start: 0, end: 99 } };
const piece = { kind: 'http' as const, url: 'http://h/s?piece=1', length: 100 };

function head(status: number, headers: Record<string, string> = {}) {
  return { status, header: (name: string) => headers[name] };
}

describe('judgeResponse', () => {
  it('takes a 206 for exactly the bytes asked', () => {
    expect(
      judgeResponse(
        ranged,
        head(206, { 'content-range': 'bytes 100-199/1000', 'content-length': '100' }),
        'u',
      ),
    ).toEqual({ kind: 'body', length: 100, truncate: false });
  });

  it('refuses a 206 for other bytes, or of another length', () => {
    const other = judgeResponse(ranged, head(206, { 'content-range': 'bytes 0-99/1000' }), 'u');
    expect(other.kind === 'error' && other.error.code).toBe('bad-response');
    const long = judgeResponse(
      ranged,
      head(206, { 'content-range': 'bytes 100-199/1000', 'content-length': '5000' }),
      'u',
    );
    expect(long.kind === 'error' && long.error.code).toBe('wrong-length');
  });

  it('takes a whole file (200) only for a run from its start, cut after the bytes asked', () => {
    expect(judgeResponse(fromStart, head(200, { 'content-length': '1000' }), 'u')).toEqual({
      kind: 'body',
      length: 100,
      truncate: true,
    });
    const ignored = judgeResponse(ranged, head(200, { 'content-length': '1000' }), 'u');
    expect(ignored.kind === 'error' && ignored.error.code).toBe('no-range-support');
    const short = judgeResponse(fromStart, head(200, { 'content-length': '50' }), 'u');
    expect(short.kind === 'error' && short.error.code).toBe('wrong-length');
  });

  it('takes a BEP 17 piece as a 200 of its length', () => {
    expect(judgeResponse(piece, head(200, { 'content-length': '100' }), 'u').kind).toBe('body');
    const wrong = judgeResponse(piece, head(200, { 'content-length': '99' }), 'u');
    expect(wrong.kind === 'error' && wrong.error.code).toBe('wrong-length');
  });

  it('follows redirects that say where, and reads waits', () => {
    expect(judgeResponse(ranged, head(302, { location: '/g' }), 'u')).toEqual({
      kind: 'redirect',
      location: '/g',
    });
    const nowhere = judgeResponse(ranged, head(301), 'u');
    expect(nowhere.kind === 'error' && nowhere.error.code).toBe('bad-redirect');
    const wait = judgeResponse(piece, head(503, { 'retry-after': '7' }), 'u');
    expect(wait.kind === 'error' && wait.error.retryAfterMs).toBe(7000);
    // BEP 17: without the header the body says how long
    const body = judgeResponse(piece, head(503), 'u');
    expect(body.kind === 'error' && body.readBody).toBe(true);
    const missing = judgeResponse(ranged, head(404), 'u');
    expect(missing.kind === 'error' && missing.error.status).toBe(404);
  });
});

describe('parseContentRange, parseRetryAfter', () => {
  it('reads what is well formed and nothing else', () => {
    expect(parseContentRange('bytes 5-9/10')).toEqual({ start: 5, end: 9 });
    expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9 });
    expect(parseContentRange('bytes 9-5/10')).toBeUndefined();
    expect(parseContentRange('items 5-9/10')).toBeUndefined();
    expect(parseRetryAfter(' 30 ')).toBe(30_000);
    expect(parseRetryAfter('99999999')).toBe(3_600_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(
      10_000,
    );
  });
});
