/**
 * File selection: which files of a torrent are downloaded, and in which order of priority. Each
 * file is wanted or not and has a priority (`high`, `normal`, `low`); a piece is wanted when it
 * covers a byte of a wanted file (BEP 47 padding files never count), and takes the highest
 * priority among those files. The picker is told per piece; the storage per file (a file
 * nobody wants is not created, `@bt/storage`'s part file holds its share of shared pieces).
 * BEP 53 `so` of a magnet becomes a selection once the metadata is known.
 */
import { type FileIndexRange, filesInPiece, type PieceGeometry, piecesOfFile } from '@bt/metainfo';
import { SessionError } from './errors.js';

export type FilePriority = 'high' | 'normal' | 'low';

/** Picker ranks of the priorities: a higher rank is picked first. */
export const PRIORITY_RANK: Readonly<Record<FilePriority, number>> = { high: 2, normal: 1, low: 0 };

/**
 * A selection given when a torrent or magnet is added. File indices count from 0 in torrent
 * order (padding files included, as in the info dictionary, libtorrent and BEP 53).
 */
export interface FileSelectionOptions {
  /** Only these files are downloaded; absent: every file. */
  wanted?: readonly number[];
  /** These files are not downloaded (applied after `wanted`). */
  unwanted?: readonly number[];
  /** Priorities of files (`normal` for those not named). */
  priorities?: Readonly<Record<number, FilePriority>>;
}

/** A file as a front-end shows it: `bt info`, Transmission's `files` and `fileStats`. */
export interface FileStatus {
  /** From 0, in torrent order. */
  index: number;
  path: readonly string[];
  length: number;
  wanted: boolean;
  priority: FilePriority;
  /** Bytes of the file inside verified pieces. */
  bytesCompleted: number;
  /** BEP 47 padding: never downloaded nor created. */
  padding: boolean;
}

/** What a selection needs of the torrent and tells the picker. */
interface SelectionTarget {
  setWanted(piece: number, wanted: boolean): void;
  setPriority(piece: number, rank: number): void;
}

type SelectionGeometry = PieceGeometry & {
  readonly files: readonly {
    readonly offset: number;
    readonly length: number;
    readonly padding?: boolean;
  }[];
};

function checkIndex(geometry: SelectionGeometry, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= geometry.files.length)
    throw new SessionError(
      'invalid-option',
      `file ${index} does not exist: the torrent has files 0 to ${geometry.files.length - 1}`,
    );
}

const PRIORITIES: readonly string[] = ['high', 'normal', 'low'];

/** The file indices BEP 53 ranges name (`so=0,2,4-6`), clipped to the files there are. */
export function selectionFromRanges(
  ranges: readonly FileIndexRange[],
  fileCount: number,
): FileSelectionOptions {
  const wanted: number[] = [];
  for (const range of ranges)
    for (let index = range.first; index <= Math.min(range.last, fileCount - 1); index++)
      wanted.push(index);
  return { wanted };
}

/** Per-file wanted flags and priorities of one torrent, and their pieces. */
export class FileSelection {
  private readonly geometry: SelectionGeometry;
  private readonly wantedFiles: boolean[];
  private readonly priorityOf: FilePriority[];

  constructor(geometry: SelectionGeometry, options: FileSelectionOptions = {}) {
    this.geometry = geometry;
    const count = geometry.files.length;
    for (const index of [...(options.wanted ?? []), ...(options.unwanted ?? [])])
      checkIndex(geometry, index);
    const only = options.wanted === undefined ? undefined : new Set(options.wanted);
    const unwanted = new Set(options.unwanted ?? []);
    this.wantedFiles = Array.from(
      { length: count },
      (_, index) =>
        geometry.files[index]?.padding !== true &&
        (only === undefined || only.has(index)) &&
        !unwanted.has(index),
    );
    this.priorityOf = Array.from({ length: count }, () => 'normal');
    for (const [key, priority] of Object.entries(options.priorities ?? {})) {
      const index = Number(key);
      checkIndex(geometry, index);
      if (!PRIORITIES.includes(priority))
        throw new SessionError(
          'invalid-option',
          `priority must be high, normal or low, got ${priority}`,
        );
      this.priorityOf[index] = priority;
    }
  }

  /** True when every non-padding file is wanted. */
  get all(): boolean {
    return this.wantedFiles.every(
      (wanted, index) => wanted || this.geometry.files[index]?.padding === true,
    );
  }

  isWanted(index: number): boolean {
    return this.wantedFiles[index] ?? false;
  }

  priority(index: number): FilePriority {
    return this.priorityOf[index] ?? 'normal';
  }

  /** A copy of the per-file wanted flags (padding files never wanted). */
  wantedList(): boolean[] {
    return [...this.wantedFiles];
  }

  /** Tells the picker every piece's wanted flag and rank. */
  applyAll(target: SelectionTarget): void {
    if (this.all && this.priorityOf.every((priority) => priority === 'normal')) return;
    for (let index = 0; index < this.geometry.files.length; index++) this.applyFile(target, index);
  }

  /** Changes a file's wanted flag; returns false when nothing changed. Padding stays unwanted. */
  setWanted(target: SelectionTarget, index: number, wanted: boolean): boolean {
    checkIndex(this.geometry, index);
    const value = wanted && this.geometry.files[index]?.padding !== true;
    if (this.wantedFiles[index] === value) return false;
    this.wantedFiles[index] = value;
    this.applyFile(target, index);
    return true;
  }

  setPriority(target: SelectionTarget, index: number, priority: FilePriority): void {
    checkIndex(this.geometry, index);
    if (!PRIORITIES.includes(priority))
      throw new SessionError(
        'invalid-option',
        `priority must be high, normal or low, got ${String(priority)}`,
      );
    if (this.priorityOf[index] === priority) return;
    this.priorityOf[index] = priority;
    this.applyFile(target, index);
  }

  /** Recomputes the pieces of one file: wanted when any wanted file covers them, at the best rank. */
  private applyFile(target: SelectionTarget, index: number): void {
    const range = piecesOfFile(this.geometry, index);
    if (range === undefined) return;
    for (let piece = range.first; piece <= range.last; piece++) {
      let wanted = false;
      let rank = -1;
      for (const span of filesInPiece(this.geometry, piece)) {
        if (!this.wantedFiles[span.fileIndex]) continue;
        wanted = true;
        rank = Math.max(rank, PRIORITY_RANK[this.priority(span.fileIndex)]);
      }
      target.setWanted(piece, wanted);
      target.setPriority(piece, wanted ? rank : PRIORITY_RANK.normal);
    }
  }
}
