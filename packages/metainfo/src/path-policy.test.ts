import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSafePathSegment, resolveCollisions, sanitizePathSegment } from './path-policy.js';

describe('sanitizePathSegment', () => {
  it.each([
    ['normal.txt', 'normal.txt'],
    ['..', '_'],
    ['.', '_'],
    ['', '_'],
    ['a/b', 'a_b'],
    ['a\\b', 'a_b'],
    ['C:', 'C_'],
    ['nul\u0000', 'nul_'],
    ['tab\there', 'tab_here'],
    ['del\u007f', 'del_'],
    ['<>:"|?*', '_______'],
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['Com1', '_Com1'],
    ['LPT9.log.gz', '_LPT9.log.gz'],
    ['CONIN$', '_CONIN$'],
    ['console', 'console'],
    ['name. . .', 'name'],
    ['space ', 'space'],
    ['.hidden', '.hidden'],
    ['evil\u202Etxt.exe', 'evil_txt.exe'],
    ['日本語', '日本語'],
  ])('%j -> %j', (input, output) => {
    expect(sanitizePathSegment(input)).toBe(output);
    expect(isSafePathSegment(output)).toBe(true);
  });

  it('cuts long names to 255 UTF-8 bytes, keeping the extension and whole characters', () => {
    const long = `${'é'.repeat(200)}.txt`;
    const safe = sanitizePathSegment(long);
    expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(255);
    expect(safe.endsWith('.txt')).toBe(true);
    expect(safe.includes('\ufffd')).toBe(false);
  });

  it('is idempotent and always yields a safe segment (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (segment) => {
        const safe = sanitizePathSegment(segment);
        expect(isSafePathSegment(safe)).toBe(true);
        expect(sanitizePathSegment(safe)).toBe(safe);
        expect(/[/\\]/.test(safe) || safe.includes('\u0000')).toBe(false);
        expect(safe === '.' || safe === '..').toBe(false);
        expect(Buffer.byteLength(safe)).toBeLessThanOrEqual(255);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects unsafe segments in isSafePathSegment', () => {
    for (const segment of ['', '.', '..', 'a/b', 'x\u0000', 'NUL', 'dot.']) {
      expect(isSafePathSegment(segment)).toBe(false);
    }
    expect(isSafePathSegment(42 as unknown as string)).toBe(false);
  });
});

describe('resolveCollisions', () => {
  it('makes paths unique case-insensitively, and is stable (property)', () => {
    const segment = fc.constantFrom(
      'a',
      'A',
      'b',
      'a.txt',
      'A.TXT',
      'a.1',
      'a.1.txt',
      'é',
      'e\u0301',
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(segment, { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
        (paths) => {
          const copy = paths.map((path) => path.slice());
          resolveCollisions(copy);
          const files = new Set<string>();
          const folders = new Set<string>();
          for (const path of copy) {
            const folded = path.map((part) => part.normalize('NFC').toLowerCase());
            for (let depth = 1; depth < folded.length; depth++) {
              const prefix = folded.slice(0, depth).join('/');
              expect(files.has(prefix)).toBe(false);
              folders.add(prefix);
            }
            const key = folded.join('/');
            expect(files.has(key) || folders.has(key)).toBe(false);
            files.add(key);
            for (const part of path) expect(isSafePathSegment(part)).toBe(true);
          }
          // Nothing collided in the original means nothing changed.
          const again = copy.map((path) => path.slice());
          expect(resolveCollisions(again)).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
