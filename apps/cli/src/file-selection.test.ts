import { describe, expect, it } from 'vitest';
import {
  describeSelection,
  FileSelectionError,
  formatFileNumbers,
  parseFileList,
  parsePriority,
  resolveFileSelection,
  wantedFilesOf,
} from './file-selection.js';
import { UsageError } from './command.js';

const files = [
  { length: 10 },
  { length: 20 },
  { length: 5, padding: true },
  { length: 30 },
  { length: 40 },
];

function refused(run: () => unknown): FileSelectionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FileSelectionError);
    expect(error).toBeInstanceOf(UsageError); // exit code 2
    return error as FileSelectionError;
  }
  throw new Error('not refused');
}

describe('file selection options', () => {
  it('parses numbers and inclusive ranges from 1', () => {
    expect(parseFileList('1,3-5', '--select')).toEqual([
      { first: 1, last: 1 },
      { first: 3, last: 5 },
    ]);
    expect(parseFileList(' 2 , 7-7', '--exclude')).toEqual([
      { first: 2, last: 2 },
      { first: 7, last: 7 },
    ]);
    expect(parsePriority('HIGH:1,4')).toEqual({
      priority: 'high',
      ranges: [
        { first: 1, last: 1 },
        { first: 4, last: 4 },
      ],
    });
  });

  it('refuses file 0, malformed lists and unknown priorities with typed errors saying what to write', () => {
    const zero = refused(() => parseFileList('0', '--select'));
    expect(zero.code).toBe('file-number-zero');
    expect(zero.message).toMatch(/numbered from 1.*bt info/);
    expect(refused(() => parseFileList('0-3', '--select')).code).toBe('file-number-zero');
    for (const bad of ['', '1,', 'a', '1-', '-2', '1..3', '1;2', '1.5', '3-1']) {
      const error = refused(() => parseFileList(bad, '--select'));
      expect(error.code).toBe('malformed-file-list');
      expect(error.message).toMatch(/--select/);
    }
    expect(refused(() => parseFileList('1-99999999999', '--select')).code).toBe(
      'file-number-out-of-range',
    );
    expect(refused(() => parsePriority('urgent:1')).code).toBe('unknown-priority');
    expect(refused(() => parsePriority('1')).message).toMatch(/--priority high:1/);
    expect(refused(() => parsePriority('low:x')).code).toBe('malformed-file-list');
  });

  it('turns numbers into the session selection (from 0), checked against the files', () => {
    const selection = resolveFileSelection(
      {
        select: [{ first: 1, last: 4 }],
        exclude: [{ first: 2, last: 2 }],
        priorities: [{ priority: 'high', ranges: [{ first: 4, last: 4 }] }],
      },
      files,
    );
    expect(selection).toEqual({ wanted: [0, 1, 2, 3], unwanted: [1], priorities: { 3: 'high' } });
    expect(wantedFilesOf(selection, files)).toEqual([true, false, false, true, false]);
    expect(describeSelection(selection, files, (bytes) => `${bytes} B`)).toBe(
      'files 1,4 of 5 (40 B of 100 B); priority 4 high',
    );
    const past = refused(() =>
      resolveFileSelection({ select: [{ first: 6, last: 6 }], exclude: [], priorities: [] }, files),
    );
    expect(past.code).toBe('file-number-out-of-range');
    expect(past.message).toMatch(/5 files, numbered 1 to 5; there is no file 6/);
    expect(
      refused(() =>
        resolveFileSelection(
          { select: [{ first: 3, last: 3 }], exclude: [], priorities: [] },
          files,
        ),
      ).code,
    ).toBe('nothing-selected');
    expect(
      refused(() =>
        resolveFileSelection({ exclude: [{ first: 1, last: 5 }], priorities: [] }, files),
      ).code,
    ).toBe('nothing-selected');
  });

  it('writes numbers back as ranges', () => {
    expect(formatFileNumbers([0, 2, 3, 4, 7, 3])).toBe('1,3-5,8');
    expect(formatFileNumbers([])).toBe('');
  });
});
