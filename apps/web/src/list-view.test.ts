import { describe, expect, it } from 'vitest';
import {
  filterTorrents,
  labelCounts,
  rangeSelection,
  sortTorrents,
  statusCounts,
} from './list-view.js';
import { torrent } from './test-torrents.js';

const list = [
  torrent({
    id: 1,
    name: 'Debian 12.iso',
    status: 6,
    percentDone: 1,
    rateUpload: 500,
    labels: ['linux'],
    uploadRatio: 2,
  }),
  torrent({
    id: 2,
    name: 'debian 9.iso',
    status: 4,
    percentDone: 0.5,
    rateDownload: 1000,
    eta: 60,
    labels: ['linux', 'old'],
  }),
  torrent({ id: 3, name: 'Alpine', status: 0, eta: -1, uploadRatio: -2 }),
  torrent({ id: 4, name: 'broken', status: 4, error: 3, errorString: 'disk full', eta: 10 }),
  torrent({ id: 5, name: 'check me', status: 2, recheckProgress: 0.3 }),
  torrent({ id: 6, name: 'waiting', status: 3 }),
];
const names = (torrents: { name: string }[]) => torrents.map((item) => item.name);

describe('sorting', () => {
  it('sorts names naturally and without case, both ways', () => {
    expect(names(sortTorrents(list, { column: 'name', descending: false }))).toEqual([
      'Alpine',
      'broken',
      'check me',
      'debian 9.iso',
      'Debian 12.iso',
      'waiting',
    ]);
    expect(names(sortTorrents(list, { column: 'name', descending: true }))[0]).toBe('waiting');
  });

  it('puts unknown ETAs after known ones, and infinite ratios on top descending', () => {
    const byEta = sortTorrents(list, { column: 'eta', descending: false }).map((item) => item.id);
    expect(byEta.slice(0, 2)).toEqual([4, 2]);
    expect(sortTorrents(list, { column: 'ratio', descending: true })[0]!.id).toBe(3);
  });

  it('breaks ties by name and keeps the input untouched', () => {
    const copy = [...list];
    const byDown = sortTorrents(list, { column: 'down', descending: true });
    expect(byDown[0]!.id).toBe(2);
    expect(names(byDown.slice(1, 3))).toEqual(['Alpine', 'broken']);
    expect(list).toEqual(copy);
  });
});

describe('filtering', () => {
  it('filters by status bucket', () => {
    const ids = (status: Parameters<typeof filterTorrents>[1]['status']) =>
      filterTorrents(list, { status, label: '', text: '' }).map((item) => item.id);
    expect(ids('all')).toHaveLength(6);
    expect(ids('downloading')).toEqual([2]);
    expect(ids('seeding')).toEqual([1]);
    expect(ids('stopped')).toEqual([3]);
    expect(ids('checking')).toEqual([5]);
    expect(ids('queued')).toEqual([6]);
    expect(ids('error')).toEqual([4]);
    expect(ids('active')).toEqual([1, 2, 5]);
  });

  it('filters by label and by every word of the text', () => {
    expect(
      filterTorrents(list, { status: 'all', label: 'old', text: '' }).map((item) => item.id),
    ).toEqual([2]);
    expect(
      filterTorrents(list, { status: 'all', label: '', text: 'DEBIAN iso' }).map((item) => item.id),
    ).toEqual([1, 2]);
    expect(
      filterTorrents(list, { status: 'all', label: '', text: 'debian 12' }).map((item) => item.id),
    ).toEqual([1]);
    expect(filterTorrents(list, { status: 'all', label: 'linux', text: 'nothing' })).toEqual([]);
  });

  it('counts labels and statuses', () => {
    expect(labelCounts(list)).toEqual([
      ['linux', 2],
      ['old', 1],
    ]);
    expect(statusCounts(list)).toMatchObject({ all: 6, downloading: 1, error: 1, active: 3 });
  });
});

describe('range selection', () => {
  it('selects from the anchor to the clicked row in the shown order', () => {
    expect(rangeSelection([5, 3, 9, 1], 3, 1)).toEqual([3, 9, 1]);
    expect(rangeSelection([5, 3, 9, 1], 1, 5)).toEqual([5, 3, 9, 1]);
    expect(rangeSelection([5, 3, 9, 1], undefined, 9)).toEqual([9]);
    expect(rangeSelection([5, 3, 9, 1], 42, 9)).toEqual([9]);
    expect(rangeSelection([5, 3], 5, 42)).toEqual([]);
  });
});
