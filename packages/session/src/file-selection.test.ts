import { describe, expect, it } from 'vitest';
import { Bitfield } from '@bt/primitives';
import { FileSelection, selectionFromRanges } from './file-selection.js';
import { PiecePicker } from './piece-picker.js';

const block = 16_384;
// pieces of one block: a = pieces 0-1 and half of 2, b = the other half of 2, padding, c = pieces 4-5
const geometry = {
  pieceLength: block,
  length: 6 * block,
  files: [
    { offset: 0, length: 2.5 * block },
    { offset: 2.5 * block, length: 0.5 * block },
    { offset: 3 * block, length: block, padding: true },
    { offset: 4 * block, length: 2 * block },
  ],
};

function setup(selection: ConstructorParameters<typeof FileSelection>[1]): {
  picker: PiecePicker;
  files: FileSelection;
} {
  const picker = new PiecePicker({ geometry, random: () => 0.5 });
  const files = new FileSelection(geometry, selection);
  files.applyAll(picker);
  return { picker, files };
}

function wantedPieces(picker: PiecePicker): number[] {
  return [...Array(picker.pieceCount).keys()].filter((piece) => picker.isWanted(piece));
}

describe('FileSelection', () => {
  it('wants the pieces that cover a wanted file, padding never', () => {
    expect(wantedPieces(setup({ wanted: [1] }).picker)).toEqual([2]);
    expect(wantedPieces(setup({ unwanted: [0] }).picker)).toEqual([2, 4, 5]);
    expect(wantedPieces(setup({ wanted: [2] }).picker)).toEqual([]);
    const { files } = setup({});
    expect(files.wantedList()).toEqual([true, true, false, true]);
    expect(files.all).toBe(true);
  });

  it('changes at run time: the picker becomes incomplete when a file is wanted again', () => {
    const files = new FileSelection(geometry, { wanted: [0] });
    const have = new Bitfield(6);
    for (const piece of [0, 1, 2]) have.set(piece);
    const fresh = new PiecePicker({ geometry });
    files.applyAll(fresh);
    fresh.setHave(have);
    expect(fresh.complete).toBe(true);
    expect(files.setWanted(fresh, 3, true)).toBe(true);
    expect(fresh.complete).toBe(false);
    expect(fresh.pick({ has: Bitfield.full(6), choked: false }, 10).map((r) => r.index)).toEqual(
      expect.arrayContaining([4, 5]),
    );
    expect(files.setWanted(fresh, 3, true)).toBe(false);
    files.setWanted(fresh, 3, false);
    expect(fresh.complete).toBe(false); // the started pieces still finish
  });

  it('starts pieces of high files before normal before low, whatever their rarity', () => {
    const { picker, files } = setup({ priorities: { 0: 'low', 3: 'high' } });
    expect(files.priority(1)).toBe('normal');
    picker.peerBitfield(Bitfield.full(6));
    const order: number[] = [];
    for (;;) {
      const [request] = picker.pick({ has: Bitfield.full(6), choked: false }, 1);
      if (!request) break;
      order.push(request.index);
      picker.blockReceived(request.index, request.begin);
      picker.pieceVerified(request.index);
    }
    // piece 2 covers low a and normal b: normal
    expect(order.slice(0, 2).sort()).toEqual([4, 5]);
    expect(order[2]).toBe(2);
    expect(order.slice(3).sort()).toEqual([0, 1]);
  });

  it('orders a sequential download by priority, then in torrent order', () => {
    const picker = new PiecePicker({ geometry, sequential: true });
    const files = new FileSelection(geometry, { priorities: { 3: 'high' } });
    files.applyAll(picker);
    const requests = picker.pick({ has: Bitfield.full(6), choked: false }, 6);
    expect(requests.map((request) => request.index)).toEqual([4, 5, 0, 1, 2]);
  });

  it('refuses files that do not exist and priorities that are not one', () => {
    expect(() => new FileSelection(geometry, { wanted: [4] })).toThrow(
      expect.objectContaining({ code: 'invalid-option' }),
    );
    expect(() => new FileSelection(geometry, { unwanted: [-1] })).toThrow(/does not exist/);
    const { picker, files } = setup({});
    expect(() => files.setPriority(picker, 1, 'urgent' as 'high')).toThrow(/high, normal or low/);
    expect(() => files.setWanted(picker, 1.5, true)).toThrow(/does not exist/);
  });

  it('turns BEP 53 ranges into wanted files, clipped to the files there are', () => {
    expect(
      selectionFromRanges(
        [
          { first: 0, last: 0 },
          { first: 2, last: 9 },
        ],
        4,
      ),
    ).toEqual({ wanted: [0, 2, 3] });
  });
});
