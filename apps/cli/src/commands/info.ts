/** `bt info`: what a .torrent file or magnet link holds. Reading is @bt/metainfo's job. */
import { magnetFromMetainfo, type Magnet, type Metainfo, parseMagnet } from '@bt/metainfo';
import { booleanOption, type Command, ExitCode } from '../command.js';
import { readTorrent } from '../torrent-file.js';
import { formatBytes, printable } from '../ui/format.js';

export const infoCommand: Command = {
  name: 'info',
  summary: 'show what a .torrent file or magnet link holds',
  usage: 'bt info <file.torrent | magnet:?...> [--json]',
  help: `Prints the name, info-hash, size, pieces, files (as a tree), trackers by tier, web seeds
and flags of a torrent, after checking it. A magnet link shows what the link carries.

Options:
  --json    one JSON object instead of text: infoHash, name, length, pieceLength,
            pieceCount, private, files [{index, path, length}] (path joined with '/',
            index the file's number), announce [[url, ...], ...] (tiers), urlList, and more

Each file shows its number, [1] [2] ... in torrent order (BEP 47 padding files count but are
not shown): the numbers 'bt download --select' and '--exclude' take.

Examples:
  bt info ubuntu.iso.torrent
  bt info ubuntu.iso.torrent --json | jq .files
  bt info 'magnet:?xt=urn:btih:...&dn=name'`,
  options: { json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(context) {
    const input = context.positionals[0]!;
    const json = booleanOption(context, 'json');
    if (/^magnet:/i.test(input)) {
      const magnet = parseMagnet(input);
      context.stdout.write(
        json ? `${JSON.stringify(magnetJson(magnet), null, 2)}\n` : magnetText(magnet),
      );
      return ExitCode.ok;
    }
    const metainfo = await readTorrent(input, context.cwd);
    context.stdout.write(
      json ? `${JSON.stringify(torrentJson(metainfo), null, 2)}\n` : torrentText(metainfo),
    );
    return ExitCode.ok;
  },
};

function torrentJson(metainfo: Metainfo): Record<string, unknown> {
  return {
    infoHash: metainfo.infoHashHex,
    name: metainfo.name,
    ...(metainfo.originalName !== undefined ? { originalName: metainfo.originalName } : {}),
    length: metainfo.length,
    pieceLength: metainfo.pieceLength,
    pieceCount: metainfo.pieceCount,
    private: metainfo.private,
    multiFile: metainfo.multiFile,
    files: metainfo.files.map((file, index) => ({
      index: index + 1,
      path: file.path.join('/'),
      length: file.length,
      offset: file.offset,
      ...(file.padding ? { padding: true } : {}),
      ...(file.originalPath ? { originalPath: file.originalPath.join('/') } : {}),
    })),
    announce: metainfo.announce,
    urlList: metainfo.urlList,
    httpSeeds: metainfo.httpSeeds,
    creationDate: metainfo.creationDate ?? null,
    comment: metainfo.comment ?? null,
    createdBy: metainfo.createdBy ?? null,
    source: metainfo.source ?? null,
    hybrid: metainfo.hybrid,
    version: metainfo.version,
    infoHashV2: metainfo.v2?.infoHashHex ?? null,
    magnet: magnetFromMetainfo(metainfo),
  };
}

function magnetJson(magnet: Magnet): Record<string, unknown> {
  return {
    type: 'magnet',
    infoHash: magnet.infoHashHex ?? null,
    infoHashV2: magnet.infoHashV2Hex ?? null,
    name: magnet.name ?? null,
    length: magnet.length ?? null,
    announce: magnet.trackers.map((tracker) => [tracker]),
    urlList: magnet.webSeeds,
    peers: magnet.peers.map((peer) =>
      peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`,
    ),
    selectOnly: magnet.selectOnly ?? null,
    supported: true,
  };
}

/** A labelled line; the value may come from the file, so it is escaped. */
function row(label: string, value: string): string {
  return `${`${label}:`.padEnd(12)}${printable(value)}\n`;
}

const VERSION_TEXT: Record<Metainfo['version'], string> = {
  v1: 'v1 (BEP 3)',
  v2: 'v2 (BEP 52: SHA-256 merkle trees)',
  hybrid: 'hybrid v1/v2 (BEP 52)',
};

function torrentText(metainfo: Metainfo): string {
  let text = row('Name', metainfo.name);
  if (metainfo.originalName !== undefined)
    text += row('  (as given)', JSON.stringify(metainfo.originalName));
  if (metainfo.version === 'v2') {
    text += row(
      'Info-hash',
      `${metainfo.v2!.infoHashHex} (v2; peers and trackers: ${metainfo.infoHashHex})`,
    );
  } else {
    text += row('Info-hash', metainfo.infoHashHex);
    if (metainfo.v2) text += row('V2 hash', metainfo.v2.infoHashHex);
  }
  text += row('Size', `${formatBytes(metainfo.length)} (${metainfo.length} bytes)`);
  text += row('Pieces', `${metainfo.pieceCount} x ${formatBytes(metainfo.pieceLength)}`);
  text += row('Private', metainfo.private ? 'yes (BEP 27: trackers only, no DHT/PEX)' : 'no');
  text += row('Version', VERSION_TEXT[metainfo.version]);
  if (metainfo.creationDate !== undefined) {
    text += row('Created', new Date(metainfo.creationDate * 1000).toISOString());
  }
  if (metainfo.createdBy !== undefined) text += row('Created by', metainfo.createdBy);
  if (metainfo.comment !== undefined) text += row('Comment', metainfo.comment);
  if (metainfo.source !== undefined) text += row('Source', metainfo.source);
  text += '\nTrackers:\n';
  if (metainfo.announce.length === 0) text += '  (none)\n';
  metainfo.announce.forEach((tier, index) => {
    tier.forEach((url, position) => {
      text += `  ${position === 0 ? `tier ${index + 1}:` : ''.padEnd(`tier ${index + 1}:`.length)} ${printable(url)}\n`;
    });
  });
  const seeds = [...metainfo.urlList, ...metainfo.httpSeeds];
  if (seeds.length > 0)
    text += `\nWeb seeds:\n${seeds.map((url) => `  ${printable(url)}\n`).join('')}`;
  const files = metainfo.files.filter((file) => !file.padding);
  text += `\nFiles (${files.length}; [N]: the number for bt download --select):\n`;
  text += metainfo.multiFile
    ? fileTree(metainfo)
    : `  [1] ${printable(metainfo.name)}  ${formatBytes(metainfo.length)}\n`;
  return text;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  length?: number;
  /** The file's number (from 1). */
  number?: number;
}

function fileTree(metainfo: Metainfo): string {
  const root: TreeNode = { children: new Map() };
  for (const [index, file] of metainfo.files.entries()) {
    if (file.padding) continue;
    let node = root;
    file.path.forEach((segment, depth) => {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map() };
        node.children.set(segment, child);
      }
      if (depth === file.path.length - 1) {
        child.length = file.length;
        child.number = index + 1;
      }
      node = child;
    });
  }
  const lines: string[] = [`  ${printable(metainfo.name)}/`];
  const draw = (node: TreeNode, indent: string): void => {
    const entries = [...node.children];
    entries.forEach(([name, child], index) => {
      const last = index === entries.length - 1;
      const folder = child.length === undefined;
      lines.push(
        `${indent}${last ? '└── ' : '├── '}${folder ? '' : `[${child.number}] `}${printable(name)}${folder ? '/' : `  ${formatBytes(child.length!)}`}`,
      );
      if (folder) draw(child, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  draw(root, '  ');
  return `${lines.join('\n')}\n`;
}

function magnetText(magnet: Magnet): string {
  let text = row('Magnet', magnet.name ?? '(no name)');
  if (magnet.infoHashHex !== undefined) text += row('Info-hash', magnet.infoHashHex);
  if (magnet.infoHashV2Hex !== undefined) text += row('v2 hash', magnet.infoHashV2Hex);
  text += row(
    'Version',
    magnet.infoHashV2Hex === undefined
      ? 'v1'
      : magnet.infoHashHex === undefined
        ? 'v2-only (BEP 52)'
        : 'hybrid (BEP 52: the v1 and the v2 swarm)',
  );
  if (magnet.length !== undefined)
    text += row('Size', `${formatBytes(magnet.length)} (${magnet.length} bytes)`);
  text += row('Metadata', 'not in the link: fetched from peers (BEP 9) when downloading');
  if (magnet.selectOnly) {
    const ranges = magnet.selectOnly.map((range) =>
      range.first === range.last ? `${range.first}` : `${range.first}-${range.last}`,
    );
    text += row('Files', `only ${ranges.join(',')} (BEP 53)`);
  }
  text += '\nTrackers:\n';
  text +=
    magnet.trackers.length === 0
      ? '  (none)\n'
      : magnet.trackers.map((url) => `  ${printable(url)}\n`).join('');
  if (magnet.webSeeds.length > 0)
    text += `\nWeb seeds:\n${magnet.webSeeds.map((url) => `  ${printable(url)}\n`).join('')}`;
  if (magnet.peers.length > 0) {
    text += `\nPeers:\n${magnet.peers.map((peer) => `  ${printable(peer.host)}:${peer.port}\n`).join('')}`;
  }
  return text;
}
