/**
 * A torrent's file list as a folder tree (the names are `/`-separated paths, the first part the
 * torrent's own folder), with sizes, progress and a wanted state rolled up per folder.
 */
import type { FileStat, TorrentFile } from './types.js';

export interface FileNode {
  name: string;
  /** The path from the root, for keys. */
  path: string;
  /** Indexes of the torrent's files under this node (itself, for a file). */
  indexes: number[];
  length: number;
  bytesCompleted: number;
  /** 'mixed' when a folder holds both. */
  wanted: boolean | 'mixed';
  /** -1 low, 0 normal, 1 high; 'mixed' for a folder holding several. */
  priority: number | 'mixed';
  children: FileNode[];
  /** Set for a file. */
  fileIndex?: number;
}

export function buildFileTree(files: readonly TorrentFile[], stats: readonly FileStat[]): FileNode {
  const root: FileNode = {
    name: '',
    path: '',
    indexes: [],
    length: 0,
    bytesCompleted: 0,
    wanted: true,
    priority: 0,
    children: [],
  };
  const folders = new Map<string, FileNode>([['', root]]);
  files.forEach((file, index) => {
    const parts = file.name.split('/').filter(Boolean);
    let parent = root;
    let path = '';
    for (const part of parts.slice(0, -1)) {
      path = path ? `${path}/${part}` : part;
      let folder = folders.get(path);
      if (!folder) {
        folder = {
          name: part,
          path,
          indexes: [],
          length: 0,
          bytesCompleted: 0,
          wanted: true,
          priority: 0,
          children: [],
        };
        folders.set(path, folder);
        parent.children.push(folder);
      }
      parent = folder;
    }
    const stat = stats[index];
    parent.children.push({
      name: parts.at(-1) ?? file.name,
      path: `${path}/${index}`,
      indexes: [index],
      length: file.length,
      bytesCompleted: stat?.bytesCompleted ?? file.bytesCompleted,
      wanted: stat ? Boolean(stat.wanted) : true,
      priority: stat?.priority ?? 0,
      children: [],
      fileIndex: index,
    });
  });
  rollUp(root);
  return root;
}

function rollUp(node: FileNode): void {
  if (node.fileIndex !== undefined) return;
  node.indexes = [];
  node.length = 0;
  node.bytesCompleted = 0;
  let wanted: FileNode['wanted'] | undefined;
  let priority: FileNode['priority'] | undefined;
  for (const child of node.children) {
    rollUp(child);
    node.indexes.push(...child.indexes);
    node.length += child.length;
    node.bytesCompleted += child.bytesCompleted;
    wanted = wanted === undefined || wanted === child.wanted ? child.wanted : 'mixed';
    priority = priority === undefined || priority === child.priority ? child.priority : 'mixed';
  }
  node.wanted = wanted ?? true;
  node.priority = priority ?? 0;
  node.children.sort((a, b) =>
    (a.fileIndex === undefined) !== (b.fileIndex === undefined)
      ? a.fileIndex === undefined
        ? -1
        : 1
      : a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

/** The have-bits of a `pieces` field (base64 bitfield, high bit first). */
export function decodePieces(base64: string, pieceCount: number): Uint8Array {
  const have = new Uint8Array(pieceCount);
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return have;
  }
  for (let index = 0; index < pieceCount; index++) {
    const byte = binary.charCodeAt(index >> 3);
    if (byte & (0x80 >> (index & 7))) have[index] = 1;
  }
  return have;
}
