import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatEta,
  formatIn,
  formatPercent,
  formatRate,
  formatRatio,
  statusKind,
  statusText,
} from './format.js';

const base = {
  error: 0,
  errorString: '',
  recheckProgress: 0,
  metadataPercentComplete: 1,
  isFinished: false,
};

describe('formatting', () => {
  it('writes sizes in binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(15 * 1024 * 1024)).toBe('15.0 MiB');
    expect(formatBytes(150 * 1024 ** 3)).toBe('150 GiB');
    expect(formatBytes(-1)).toBe('–');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('shows idle rates as a dash', () => {
    expect(formatRate(0)).toBe('–');
    expect(formatRate(2048)).toBe('2.00 KiB/s');
  });

  it('reads Transmission eta and ratio sentinels', () => {
    expect(formatEta(-1)).toBe('–');
    expect(formatEta(-2)).toBe('–');
    expect(formatEta(42)).toBe('42s');
    expect(formatEta(3 * 60 + 5)).toBe('3m 5s');
    expect(formatEta(2 * 3600 + 60 * 7)).toBe('2h 7m');
    expect(formatEta(3 * 86400 + 3600)).toBe('3d 1h');
    expect(formatEta(200 * 86400)).toBe('∞');
    expect(formatRatio(-1)).toBe('–');
    expect(formatRatio(-2)).toBe('∞');
    expect(formatRatio(0.5)).toBe('0.50');
    expect(formatRatio(12.34)).toBe('12.3');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.4567)).toBe('45.7%');
    expect(formatPercent(2)).toBe('100%');
    expect(formatIn(0, 100)).toBe('–');
    expect(formatIn(90, 100)).toBe('now');
    expect(formatIn(130, 100)).toBe('in 30s');
  });

  it('names every status, with the check progress and the error text', () => {
    expect(statusText({ ...base, status: 0 })).toBe('Stopped');
    expect(statusText({ ...base, status: 0, isFinished: true })).toBe('Finished');
    expect(statusText({ ...base, status: 1 })).toBe('Queued for check');
    expect(statusText({ ...base, status: 2, recheckProgress: 0.25 })).toBe('Checking 25.0%');
    expect(statusText({ ...base, status: 3 })).toBe('Queued');
    expect(statusText({ ...base, status: 4 })).toBe('Downloading');
    expect(statusText({ ...base, status: 4, metadataPercentComplete: 0.5 })).toBe(
      'Fetching metadata 50.0%',
    );
    expect(statusText({ ...base, status: 5 })).toBe('Queued to seed');
    expect(statusText({ ...base, status: 6 })).toBe('Seeding');
    expect(statusText({ ...base, status: 4, error: 3, errorString: 'No data found' })).toBe(
      'Error: No data found',
    );
    expect(statusKind({ ...base, status: 6 })).toBe('seeding');
    expect(statusKind({ ...base, status: 4, metadataPercentComplete: 0 })).toBe('metadata');
    expect(statusKind({ ...base, status: 6, error: 1 })).toBe('error');
  });
});
