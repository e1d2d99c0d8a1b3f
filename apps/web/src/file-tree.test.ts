import { describe, expect, it } from 'vitest';
import { buildFileTree, decodePieces } from './file-tree.js';

describe('file tree', () => {
  const files = [
    { name: 'album/cd2/b.flac', length: 300, bytesCompleted: 0 },
    { name: 'album/cd1/a.flac', length: 100, bytesCompleted: 100 },
    { name: 'album/cover.jpg', length: 50, bytesCompleted: 50 },
  ];

  it('nests folders, sums sizes and progress, and lists folders before files', () => {
    const root = buildFileTree(files, [
      { bytesCompleted: 0, wanted: false, priority: 0 },
      { bytesCompleted: 100, wanted: true, priority: 1 },
      { bytesCompleted: 50, wanted: true, priority: 1 },
    ]);
    const album = root.children[0]!;
    expect(album.name).toBe('album');
    expect(album.length).toBe(450);
    expect(album.bytesCompleted).toBe(150);
    expect(album.children.map((node) => node.name)).toEqual(['cd1', 'cd2', 'cover.jpg']);
    expect(album.indexes.sort()).toEqual([0, 1, 2]);
    expect(album.wanted).toBe('mixed');
    expect(album.priority).toBe('mixed');
    expect(album.children[0]!.wanted).toBe(true);
    expect(album.children[0]!.priority).toBe(1);
    expect(album.children[1]!.wanted).toBe(false);
    expect(album.children[2]!.fileIndex).toBe(2);
  });

  it('reads 0/1 wanted flags and files without stats', () => {
    const root = buildFileTree([{ name: 'one.bin', length: 10, bytesCompleted: 4 }], []);
    expect(root.children[0]).toMatchObject({
      name: 'one.bin',
      wanted: true,
      priority: 0,
      bytesCompleted: 4,
    });
    const unwanted = buildFileTree(
      [{ name: 'one.bin', length: 10, bytesCompleted: 4 }],
      [{ bytesCompleted: 4, wanted: 0, priority: -1 }],
    );
    expect(unwanted.children[0]!.wanted).toBe(false);
    expect(unwanted.wanted).toBe(false);
  });
});

describe('piece bits', () => {
  it('reads a base64 bitfield high bit first, and survives garbage', () => {
    expect([...decodePieces(btoa(String.fromCharCode(0b10100000, 0b10000000)), 9)]).toEqual([
      1, 0, 1, 0, 0, 0, 0, 0, 1,
    ]);
    expect([...decodePieces('!!not base64!!', 3)]).toEqual([0, 0, 0]);
    expect([...decodePieces('', 2)]).toEqual([0, 0]);
  });
});
