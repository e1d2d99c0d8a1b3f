/** A set of byte ranges `[start, end)` kept sorted and merged, for the blocks a piece has received. */

export class RangeSet {
  /** Flat list: start0, end0, start1, end1... sorted, disjoint, not touching. */
  private readonly bounds: number[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && (bounds[index + 1] as number) < start) index += 2;
    let mergeEnd = index;
    let newStart = start;
    let newEnd = end;
    while (mergeEnd < bounds.length && (bounds[mergeEnd] as number) <= end) {
      newStart = Math.min(newStart, bounds[mergeEnd] as number);
      newEnd = Math.max(newEnd, bounds[mergeEnd + 1] as number);
      mergeEnd += 2;
    }
    bounds.splice(index, mergeEnd - index, newStart, newEnd);
  }

  /** True when `[0, length)` is covered. */
  covers(length: number): boolean {
    return (
      length === 0 ||
      (this.bounds.length === 2 && this.bounds[0] === 0 && (this.bounds[1] as number) >= length)
    );
  }

  /** The ranges as `[start, end]` pairs. */
  ranges(): [number, number][] {
    const result: [number, number][] = [];
    for (let index = 0; index < this.bounds.length; index += 2) {
      result.push([this.bounds[index] as number, this.bounds[index + 1] as number]);
    }
    return result;
  }

  /** Bytes covered. */
  size(): number {
    let total = 0;
    for (let index = 0; index < this.bounds.length; index += 2) {
      total += (this.bounds[index + 1] as number) - (this.bounds[index] as number);
    }
    return total;
  }
}
