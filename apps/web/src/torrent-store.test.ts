import { describe, expect, it } from 'vitest';
import { torrent } from './test-torrents.js';
import { EMPTY_TABLE, mergeTorrents, patchTorrent } from './torrent-store.js';

describe('merging torrent-get answers', () => {
  const first = mergeTorrents(EMPTY_TABLE, {
    torrents: [torrent({ id: 1 }), torrent({ id: 2 })],
    complete: true,
  });

  it('keeps the object of a torrent whose fields did not change', () => {
    const before = first.table.byId.get(1)!;
    expect(patchTorrent(before, { id: 1, rateDownload: 0, labels: [] })).toBe(before);
    const changed = patchTorrent(before, { rateDownload: 10 });
    expect(changed).not.toBe(before);
    expect(changed.rateDownload).toBe(10);
    expect(changed.name).toBe(before.name);
  });

  it('keeps the whole table when a recently-active answer changes nothing', () => {
    const again = mergeTorrents(first.table, {
      torrents: [{ id: 1, rateDownload: 0 }],
      removed: [],
    });
    expect(again.table).toBe(first.table);
    expect(again.unknown).toEqual([]);
  });

  it('replaces only the changed rows, drops removed ids and names unknown ones', () => {
    const next = mergeTorrents(first.table, {
      torrents: [
        { id: 1, rateDownload: 5 },
        { id: 7, rateDownload: 3 },
      ],
      removed: [2, 99],
    });
    expect(next.table).not.toBe(first.table);
    expect(next.table.version).toBe(first.table.version + 1);
    expect(next.table.byId.get(1)!.rateDownload).toBe(5);
    expect(next.table.byId.has(2)).toBe(false);
    expect(next.unknown).toEqual([7]);
    expect(first.table.byId.has(2)).toBe(true);
  });

  it('adds a torrent that comes with its name, and a complete list forgets the rest', () => {
    const added = mergeTorrents(first.table, { torrents: [torrent({ id: 3, name: 'new' })] });
    expect(added.table.byId.get(3)!.name).toBe('new');
    const complete = mergeTorrents(added.table, {
      torrents: [{ id: 3, name: 'new' }],
      complete: true,
    });
    expect([...complete.table.byId.keys()]).toEqual([3]);
    expect(complete.table.byId.get(3)).toBe(added.table.byId.get(3));
  });

  it('ignores rows without an id', () => {
    expect(mergeTorrents(first.table, { torrents: [{ name: 'x' }] }).table).toBe(first.table);
  });
});
