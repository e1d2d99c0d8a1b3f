/**
 * Which files of a torrent to download and at which priority, as Transmission's RPC says it
 * (`files-wanted`, `files-unwanted`, `priority-high`/`-normal`/`-low`: lists of file indices,
 * from 0 in torrent order; an empty list means every file) and as the daemon keeps it.
 */
import type { FilePriority, FileSelectionOptions } from '@bt/session';
import { RpcError } from '../errors.js';

export interface FileChanges {
  files_wanted?: number[];
  files_unwanted?: number[];
  priority_high?: number[];
  priority_normal?: number[];
  priority_low?: number[];
}

/** What is saved per torrent (absent: every file wanted at normal priority). */
export interface FileChoices {
  files_unwanted?: number[];
  /** Priorities other than normal, by file index. */
  file_priorities?: Record<string, 'high' | 'low'>;
}

/** What changed, to pass on to a running torrent. */
export interface FileChoiceChanges {
  wanted: Map<number, boolean>;
  priorities: Map<number, FilePriority>;
}

export function hasFileChanges(changes: FileChanges): boolean {
  return (
    changes.files_wanted !== undefined ||
    changes.files_unwanted !== undefined ||
    changes.priority_high !== undefined ||
    changes.priority_normal !== undefined ||
    changes.priority_low !== undefined
  );
}

/**
 * Applies `changes` to `choices` (in place). `fileCount` is undefined for a magnet whose
 * metadata is not known yet: indices are kept unchecked until it is.
 */
export function applyFileChanges(
  choices: FileChoices,
  fileCount: number | undefined,
  changes: FileChanges,
): FileChoiceChanges {
  const out: FileChoiceChanges = { wanted: new Map(), priorities: new Map() };
  const indices = (list: number[] | undefined, argument: string): number[] => {
    if (list === undefined) return [];
    if (list.length === 0) {
      if (fileCount === undefined) return [];
      return Array.from({ length: fileCount }, (_, index) => index);
    }
    for (const index of list)
      if (fileCount !== undefined && index >= fileCount)
        throw new RpcError('invalid-argument', `no file ${index} in this torrent`, { argument });
    return list;
  };
  const unwanted = new Set(choices.files_unwanted ?? []);
  for (const index of indices(changes.files_wanted, 'files_wanted')) {
    unwanted.delete(index);
    out.wanted.set(index, true);
  }
  for (const index of indices(changes.files_unwanted, 'files_unwanted')) {
    unwanted.add(index);
    out.wanted.set(index, false);
  }
  const priorities = { ...choices.file_priorities };
  const setPriority = (list: number[] | undefined, argument: string, priority: FilePriority) => {
    for (const index of indices(list, argument)) {
      if (priority === 'normal') delete priorities[index];
      else priorities[index] = priority;
      out.priorities.set(index, priority);
    }
  };
  setPriority(changes.priority_high, 'priority_high', 'high');
  setPriority(changes.priority_normal, 'priority_normal', 'normal');
  setPriority(changes.priority_low, 'priority_low', 'low');
  if (unwanted.size > 0) choices.files_unwanted = [...unwanted].sort((a, b) => a - b);
  else delete choices.files_unwanted;
  if (Object.keys(priorities).length > 0) choices.file_priorities = priorities;
  else delete choices.file_priorities;
  return out;
}

/** The session's selection option for saved choices (undefined: every file, normal). */
export function selectionOf(choices: FileChoices): FileSelectionOptions | undefined {
  if (!choices.files_unwanted && !choices.file_priorities) return undefined;
  const priorities: Record<number, FilePriority> = {};
  for (const [index, priority] of Object.entries(choices.file_priorities ?? {}))
    priorities[Number(index)] = priority;
  return { unwanted: choices.files_unwanted ?? [], priorities };
}

export function isWanted(choices: FileChoices, index: number): boolean {
  return !(choices.files_unwanted?.includes(index) ?? false);
}

/** Transmission's number for a file's priority: -1 low, 0 normal, 1 high. */
export function priorityNumber(choices: FileChoices, index: number): -1 | 0 | 1 {
  const priority = choices.file_priorities?.[index];
  return priority === 'high' ? 1 : priority === 'low' ? -1 : 0;
}
