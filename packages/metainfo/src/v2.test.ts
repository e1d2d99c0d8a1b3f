import { encode, type EncodableValue } from '@bt/bencode';
import { toHex } from '@bt/primitives';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTorrentError } from './errors.js';
import {
  blockHashes,
  fileRootFromLeaves,
  fileRootFromPieceLayer,
  merkleRoot,
  nextPowerOfTwo,
  pieceLayerFromLeaves,
  pieceRootFromLeaves,
  zeroSubtreeRoot,
} from './merkle.js';
import { encodeTorrent } from './encode-torrent.js';
import { parseInfo, parseTorrent } from './parse-torrent.js';
import { sha256, sha256Pair } from '@bt/hash';

/** Deterministic bytes for file contents. */
function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed || 1;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

interface V2Input {
  path: string[];
  data: Uint8Array;
}

/** A v2-only torrent built with our merkle code (what `parseTorrent` must accept and describe). */
function makeV2(
  files: V2Input[],
  pieceLength: number,
  options: { layers?: 'omit' | 'corrupt'; info?: Record<string, EncodableValue> } = {},
): { bytes: Uint8Array; info: Uint8Array; roots: Uint8Array[] } {
  const tree = new Map<string, EncodableValue>();
  const layers = new Map<Uint8Array, Uint8Array>();
  const roots: Uint8Array[] = [];
  for (const file of files) {
    let node = tree;
    for (const segment of file.path.slice(0, -1)) {
      let next = node.get(segment) as Map<string, EncodableValue> | undefined;
      if (!next) node.set(segment, (next = new Map()));
      node = next;
    }
    const entry = new Map<string, EncodableValue>([['length', file.data.length]]);
    if (file.data.length > 0) {
      const leaves = blockHashes(file.data);
      const root = fileRootFromLeaves(leaves);
      roots.push(root);
      entry.set('pieces root', root);
      if (file.data.length > pieceLength && options.layers !== 'omit') {
        const layer = pieceLayerFromLeaves(leaves, pieceLength, file.data.length);
        if (options.layers === 'corrupt') layer[0]! ^= 1;
        layers.set(root, layer);
      }
    }
    node.set(file.path.at(-1)!, new Map([['', entry]]));
  }
  const info = new Map<string, EncodableValue>([
    ['file tree', tree],
    ['meta version', 2],
    ['name', 'v2 test'],
    ['piece length', pieceLength],
  ]);
  for (const [key, value] of Object.entries(options.info ?? {})) info.set(key, value);
  const infoBytes = encode(info);
  const top = new Map<string, EncodableValue>([['info', info]]);
  if (options.layers !== 'omit') top.set('piece layers', layers);
  return { bytes: encode(top), info: infoBytes, roots };
}

function expectInvalid(run: () => unknown, code: string, field?: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(InvalidTorrentError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as InvalidTorrentError).code).toBe(code);
  if (field !== undefined) expect((caught as InvalidTorrentError).field).toBe(field);
}

describe('BEP 52 merkle trees', () => {
  it('a file root from the leaves equals the root from its piece layer (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 * 16384 }),
        fc.constantFrom(16384, 32768, 65536, 262144),
        (length, pieceLength) => {
          const leaves = blockHashes(bytesOf(length, length));
          const root = fileRootFromLeaves(leaves);
          if (length > pieceLength) {
            const layer = pieceLayerFromLeaves(leaves, pieceLength, length);
            expect(layer.length).toBe(Math.ceil(length / pieceLength) * 32);
            expect(toHex(fileRootFromPieceLayer(layer, pieceLength))).toBe(toHex(root));
          } else {
            expect(toHex(pieceRootFromLeaves(leaves, pieceLength, length))).toBe(toHex(root));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('pads with zero leaves and zero subtrees as the BEP says', () => {
    const a = sha256(new Uint8Array([1]));
    const b = sha256(new Uint8Array([2]));
    const c = sha256(new Uint8Array([3]));
    const zero = new Uint8Array(32);
    const three = new Uint8Array([...a, ...b, ...c]);
    expect(toHex(merkleRoot(three, 4, zero))).toBe(
      toHex(sha256Pair(sha256Pair(a, b), sha256Pair(c, zero))),
    );
    expect(toHex(zeroSubtreeRoot(1))).toBe(toHex(sha256Pair(zero, zero)));
    // A one-block file's root is its block's hash.
    expect(toHex(fileRootFromLeaves(a))).toBe(toHex(a));
    expect(nextPowerOfTwo(5)).toBe(8);
    expect(() => merkleRoot(three, 3, zero)).toThrow(RangeError);
    expect(() => merkleRoot(three, 2, zero)).toThrow(RangeError);
  });
});

describe('v2-only torrents', () => {
  const files: V2Input[] = [
    { path: ['big.bin'], data: bytesOf(100_000, 1) },
    { path: ['dir', 'empty'], data: new Uint8Array(0) },
    { path: ['dir', 'one-block'], data: bytesOf(16384, 2) },
    { path: ['dir', 'small'], data: bytesOf(5, 3) },
  ];

  it('reads the file tree into a v1 view whose pieces never span files', () => {
    const { bytes, info } = makeV2(files, 32768);
    const metainfo = parseTorrent(bytes);
    expect(metainfo.version).toBe('v2');
    expect(metainfo.hybrid).toBe(false);
    expect(metainfo.v2!.infoHashHex).toBe(toHex(sha256(info)));
    expect(metainfo.infoHashHex).toBe(metainfo.v2!.infoHashHex.slice(0, 40));
    expect(metainfo.multiFile).toBe(true);
    expect(
      metainfo.files.map((file) => [file.path.join('/'), file.length, file.offset, file.padding]),
    ).toEqual([
      ['big.bin', 100_000, 0, false],
      ['.pad/31072', 31_072, 100_000, true],
      ['dir/empty', 0, 131_072, false],
      ['dir/one-block', 16384, 131_072, false],
      ['.pad/16384', 16384, 147_456, true],
      ['dir/small', 5, 163_840, false],
      ['.pad/32763', 32_763, 163_845, true],
    ]);
    expect(metainfo.pieceCount).toBe(6);
    expect(metainfo.length).toBe(6 * 32768);
    expect(
      metainfo.v2!.files.map((file) => [file.path.join('/'), file.firstPiece, file.pieceCount]),
    ).toEqual([
      ['big.bin', 0, 4],
      ['dir/empty', 4, 0],
      ['dir/one-block', 4, 1],
      ['dir/small', 5, 1],
    ]);
    expect(metainfo.v2!.pieceLayers.size).toBe(1);
  });

  it('reads a single-file tree as a single-file torrent named by the torrent', () => {
    const metainfo = parseTorrent(
      makeV2([{ path: ['only'], data: bytesOf(40_000, 4) }], 16384).bytes,
    );
    expect(metainfo.multiFile).toBe(false);
    expect(metainfo.files.map((file) => [file.path, file.padding])).toEqual([
      [['v2 test'], false],
      [['.pad', '9152'], true],
    ]);
    expect(metainfo.pieceCount).toBe(3);
  });

  it('refuses piece layers that are missing, short or do not hash to the root', () => {
    expectInvalid(
      () => parseTorrent(makeV2(files, 32768, { layers: 'omit' }).bytes),
      'invalid-piece-layers',
      'piece layers[big.bin]',
    );
    expectInvalid(
      () => parseTorrent(makeV2(files, 32768, { layers: 'corrupt' }).bytes),
      'invalid-piece-layers',
    );
  });

  it('an info dictionary from peers (BEP 9) comes without piece layers', () => {
    const { info } = makeV2(files, 32768);
    const metainfo = parseInfo(info);
    expect(metainfo.version).toBe('v2');
    expect(metainfo.v2!.pieceLayers.size).toBe(0);
  });

  it('writes piece layers fetched later (from peers) into the .torrent it encodes', () => {
    const { bytes, info } = makeV2(files, 32768);
    const whole = parseTorrent(bytes);
    const fromPeers = parseInfo(info);
    expect(() => parseTorrent(encodeTorrent(fromPeers))).toThrow(InvalidTorrentError);
    for (const [root, layer] of whole.v2!.pieceLayers) fromPeers.v2!.pieceLayers.set(root, layer);
    const again = parseTorrent(encodeTorrent(fromPeers));
    expect(again.v2!.infoHashHex).toBe(whole.v2!.infoHashHex);
    expect([...again.v2!.pieceLayers.keys()].sort()).toEqual(
      [...whole.v2!.pieceLayers.keys()].sort(),
    );
    for (const [root, layer] of whole.v2!.pieceLayers) {
      expect(again.v2!.pieceLayers.get(root)).toEqual(layer);
    }
  });

  it('checks meta version first, then piece length and the tree shape', () => {
    expectInvalid(
      () => parseTorrent(makeV2(files, 32768, { info: { 'meta version': 3 } }).bytes),
      'unsupported-meta-version',
      'info.meta version',
    );
    expectInvalid(
      () => parseTorrent(makeV2(files, 24576, { layers: 'omit' }).bytes),
      'invalid-piece-length',
    );
    expectInvalid(
      () => parseTorrent(makeV2(files, 8192, { layers: 'omit' }).bytes),
      'invalid-piece-length',
    );
    const tree = (value: EncodableValue) =>
      encode({ info: { 'file tree': value, 'meta version': 2, name: 'x', 'piece length': 16384 } });
    expectInvalid(() => parseTorrent(tree({ '': { length: 1 } })), 'invalid-file-tree');
    expectInvalid(
      () =>
        parseTorrent(tree({ a: { '': { length: 1, 'pieces root': new Uint8Array(32) }, b: {} } })),
      'invalid-file-tree',
    );
    expectInvalid(
      () => parseTorrent(tree({ a: { '': { length: 1 } } })),
      'missing-field',
      'info.file tree/a.pieces root',
    );
    expectInvalid(
      () => parseTorrent(tree({ a: { '': { length: 1, 'pieces root': new Uint8Array(31) } } })),
      'invalid-file-tree',
    );
    expectInvalid(() => parseTorrent(tree({ a: { '': { length: -1 } } })), 'invalid-length');
    expectInvalid(() => parseTorrent(tree({ a: 5 })), 'invalid-file-tree');
    expectInvalid(() => parseTorrent(tree([])), 'wrong-type', 'info.file tree');
  });

  it('keeps hostile tree paths inside the torrent folder', () => {
    const metainfo = parseTorrent(
      makeV2(
        [
          { path: ['..', 'escape'], data: bytesOf(10, 5) },
          { path: ['a/b', 'c'], data: bytesOf(10, 6) },
        ],
        16384,
      ).bytes,
    );
    for (const file of metainfo.files) {
      for (const segment of file.path) {
        expect(segment).not.toBe('..');
        expect(segment).not.toContain('/');
      }
    }
  });

  it('reads a deeply nested tree (as deep as the decoder allows)', () => {
    let node: EncodableValue = {
      '': { length: 3, 'pieces root': sha256(new Uint8Array([1, 2, 3])) },
    };
    for (let depth = 0; depth < 200; depth++) node = { d: node };
    const bytes = encode({
      info: { 'file tree': node, 'meta version': 2, name: 'deep', 'piece length': 16384 },
    });
    const metainfo = parseTorrent(bytes);
    expect(metainfo.files[0]!.path.length).toBe(200);
  });
});

describe('hybrid torrents', () => {
  it('refuses a v1 file list that disagrees with the v2 tree', () => {
    const data = bytesOf(20_000, 7);
    const leaves = blockHashes(data);
    const root = fileRootFromLeaves(leaves);
    const layer = pieceLayerFromLeaves(leaves, 16384, data.length);
    const build = (v1Length: number) =>
      encode(
        new Map<string, EncodableValue>([
          [
            'info',
            {
              'file tree': { 'a.bin': { '': { length: data.length, 'pieces root': root } } },
              length: v1Length,
              'meta version': 2,
              name: 'a.bin',
              'piece length': 16384,
              pieces: new Uint8Array(20 * Math.ceil(v1Length / 16384)),
            },
          ],
          ['piece layers', new Map([[root, layer]])],
        ]),
      );
    const good = parseTorrent(build(20_000));
    expect(good.version).toBe('hybrid');
    expect(good.v2!.files[0]!.pieceCount).toBe(2);
    expectInvalid(() => parseTorrent(build(20_001)), 'hybrid-mismatch');
  });
});

describe('magnets of v2 and hybrid torrents', () => {
  it('carry the v2 multihash, and the v1 hash only when there is one', async () => {
    const { magnetFromMetainfo, parseMagnet } = await import('./magnet.js');
    const v2 = parseTorrent(makeV2([{ path: ['f'], data: bytesOf(100, 9) }], 16384).bytes);
    const link = magnetFromMetainfo(v2);
    expect(link).not.toContain('urn:btih:');
    expect(parseMagnet(link).infoHashV2Hex).toBe(v2.v2!.infoHashHex);
  });
});

describe('pieceVerification', () => {
  it('checks a hybrid piece with both formats once the layers are known, SHA-1 alone before', async () => {
    const { pieceVerification } = await import('./piece-verification.js');
    const data = bytesOf(40_000, 11);
    const leaves = blockHashes(data);
    const root = fileRootFromLeaves(leaves);
    const layer = pieceLayerFromLeaves(leaves, 16384, data.length);
    const info = {
      'file tree': { 'a.bin': { '': { length: data.length, 'pieces root': root } } },
      length: data.length,
      'meta version': 2,
      name: 'a.bin',
      'piece length': 16384,
      pieces: new Uint8Array(60).fill(7),
    };
    const hybrid = parseTorrent(
      encode(
        new Map<string, EncodableValue>([
          ['info', info],
          ['piece layers', new Map([[root, layer]])],
        ]),
      ),
    );
    const both = pieceVerification(hybrid, 2)!;
    expect(both.hash).toEqual({
      algorithm: 'sha1+sha256-merkle',
      dataLength: 40_000 - 32768,
      width: 1,
    });
    expect(both.expected.subarray(0, 20)).toEqual(new Uint8Array(20).fill(7));
    expect(both.expected.subarray(20)).toEqual(layer.subarray(64, 96));
    const fromPeers = parseInfo(encode(info));
    expect(pieceVerification(fromPeers, 2)!.hash).toEqual({ algorithm: 'sha1' });
  });
});
