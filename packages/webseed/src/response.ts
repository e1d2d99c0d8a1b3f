/**
 * Judging an HTTP answer of a web seed before its body is read: the status (206 for a range,
 * 200 for a BEP 17 piece or a range that is the whole file), `Content-Range` and
 * `Content-Length` against what was asked, and waits (`Retry-After`, BEP 17's 503 body).
 */
import { WebSeedError } from './errors.js';
import type { WebSeedSegment } from './plan.js';

/** Longest wait a server may ask for before we take it as "try much later" (1 hour). */
const MAX_RETRY_AFTER_MS = 3_600_000;

export interface ResponseHead {
  status: number;
  /** Header values by lower-case name. */
  header(name: string): string | undefined;
}

/** What to do with an answer: read `length` bytes of body, follow a redirect, or wait. */
export type ResponseVerdict =
  /** Read `length` bytes; `truncate`: the body is longer (a whole file), stop after them. */
  | { kind: 'body'; length: number; truncate: boolean }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; error: WebSeedError; readBody: boolean };

/** True for the statuses that redirect. */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function judgeResponse(
  segment: Extract<WebSeedSegment, { kind: 'http' }>,
  head: ResponseHead,
  url: string,
): ResponseVerdict {
  const { status } = head;
  if (isRedirect(status)) {
    const location = head.header('location');
    if (!location)
      return {
        kind: 'error',
        readBody: false,
        error: new WebSeedError('bad-redirect', `${status} without a Location`, { url, status }),
      };
    return { kind: 'redirect', location };
  }
  if (status === 503 || status === 429) {
    const wait = parseRetryAfter(head.header('retry-after'));
    // BEP 17: a 503 body is the number of seconds; read it (bounded) when no header says
    return {
      kind: 'error',
      readBody: wait === undefined,
      error: new WebSeedError('retry-later', `${status}: try again later`, {
        url,
        status,
        retryAfterMs: wait,
      }),
    };
  }
  const length = contentLength(head);
  if (status === 206 && segment.range) {
    const range = parseContentRange(head.header('content-range'));
    if (!range || range.start !== segment.range.start || range.end !== segment.range.end)
      return {
        kind: 'error',
        readBody: false,
        error: new WebSeedError(
          'bad-response',
          `asked for bytes ${segment.range.start}-${segment.range.end}, got Content-Range ${head.header('content-range') ?? '(none)'}`,
          { url, status },
        ),
      };
  } else if (status === 200) {
    // a server that ignores Range answers with the whole file: usable only for a run from 0
    if (segment.range && segment.range.start !== 0)
      return {
        kind: 'error',
        readBody: false,
        error: new WebSeedError('no-range-support', 'the server ignored the Range header', {
          url,
          status,
        }),
      };
  } else {
    return {
      kind: 'error',
      readBody: false,
      error: new WebSeedError('http-status', `HTTP ${status}`, { url, status }),
    };
  }
  if (length !== undefined && length !== segment.length && (status === 206 || !segment.range))
    return {
      kind: 'error',
      readBody: false,
      error: new WebSeedError(
        'wrong-length',
        `Content-Length ${length}, expected ${segment.length}`,
        {
          url,
          status,
          expected: segment.length,
          received: length,
        },
      ),
    };
  if (status === 200 && segment.range && length !== undefined && length < segment.length)
    return {
      kind: 'error',
      readBody: false,
      error: new WebSeedError('wrong-length', `the file has ${length} bytes, fewer than asked`, {
        url,
        status,
        expected: segment.length,
        received: length,
      }),
    };
  return {
    kind: 'body',
    length: segment.length,
    truncate: status === 200 && segment.range !== undefined,
  };
}

function contentLength(head: ResponseHead): number | undefined {
  const value = head.header('content-length');
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** `bytes start-end/total` (total may be `*`); undefined when it is not that. */
export function parseContentRange(
  value: string | undefined,
): { start: number; end: number } | undefined {
  const match =
    value === undefined
      ? null
      : /^\s*bytes\s+(\d{1,16})-(\d{1,16})\/(\d{1,16}|\*)\s*$/i.exec(value);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end >= start ? { start, end } : undefined;
}

/**
 * `Retry-After` as milliseconds: a number of seconds (also BEP 17's 503 body), or an HTTP date
 * (`now` given); capped at an hour; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now?: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1000);
  if (now === undefined || text.length > 64) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}
