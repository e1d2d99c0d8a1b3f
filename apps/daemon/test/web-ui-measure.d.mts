import type { Page } from 'playwright-core';

export interface ListTimings {
  /** From the full torrent-get answer to the list painted (the first render). */
  firstRenderMs: number;
  /** From navigation start to the list painted (loading the page and the answer included). */
  loadToListMs: number;
  /** From a click on the Name header to the re-sorted list painted. */
  sortMs: number;
  /** From typing a filter to the filtered list painted. */
  filterMs: number;
  /** Rows in the DOM (only those in view are drawn). */
  rowsDrawn: number;
}

export function measureList(page: Page, url: string, count: number): Promise<ListTimings>;

export function manyTorrentArguments(
  index: number,
  encode: (value: never) => Uint8Array,
  random: (size: number) => Uint8Array,
): Record<string, unknown>;
