/** `bt create`: make a .torrent of a file or folder. Hashing and encoding are @bt/metainfo's job. */
import { access, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createTorrent } from '@bt/metainfo/node';
import {
  booleanOption,
  type Command,
  ExitCode,
  stringListOption,
  stringOption,
  UsageError,
} from '../command.js';
import { formatBytes, formatRate } from '../ui/format.js';
import { Progress } from '../ui/progress.js';

export const createCommand: Command = {
  name: 'create',
  summary: 'make a .torrent of a file or folder',
  usage:
    'bt create <path> [-o out.torrent] [--tracker URL]... [--piece-length N] [--v2 | --hybrid] [--private] [--comment T] [--web-seed URL]... [--no-date]',
  help: `Hashes a file, or every file under a folder (sorted by name), on all cores and writes a
.torrent (canonical bencode). Shows progress on a terminal.

Options:
  -o, --output FILE      where to write (default: <name>.torrent in this folder)
  -t, --tracker URL      a tracker; repeat for more tiers, or give URL,URL for one tier
  -w, --web-seed URL     a web seed (BEP 19); repeatable
  -l, --piece-length N   bytes per piece: a power of two from 16K to 256M, e.g. 262144,
                         256K, 1M (default: automatic, about 1,000-2,000 pieces)
      --v2               a BitTorrent v2 torrent (BEP 52: SHA-256 merkle trees per file);
                         only v2 clients (libtorrent 2, qBittorrent 4.4+, bt) can use it
      --hybrid           v1 and v2 at once (BEP 52 with BEP 47 padding): every client can use
                         it, v2 clients get per-file hashes
  -p, --private          private torrent (BEP 27): peers from the trackers only
  -c, --comment TEXT     a comment
  -n, --name NAME        the torrent's name (default: the file or folder name)
  -s, --source TEXT      info.source (changes the info-hash; some private trackers ask for it)
      --no-date          leave out the creation date, for reproducible output
  -f, --force            overwrite the output file if it exists
      --json             print the result as JSON (no progress display)

Examples:
  bt create ./photos -o photos.torrent -t udp://tracker.example:6969/announce
  bt create big.iso -t http://a/announce,http://b/announce -t udp://c:80 --piece-length 4M
  bt create release/ --private --no-date -o release.torrent
  bt create dataset/ --hybrid -t udp://tracker.example:6969/announce`,
  options: {
    output: { type: 'string', short: 'o' },
    tracker: { type: 'string', short: 't', multiple: true },
    'web-seed': { type: 'string', short: 'w', multiple: true },
    'piece-length': { type: 'string', short: 'l' },
    private: { type: 'boolean', short: 'p' },
    v2: { type: 'boolean' },
    hybrid: { type: 'boolean' },
    comment: { type: 'string', short: 'c' },
    name: { type: 'string', short: 'n' },
    source: { type: 'string', short: 's' },
    'no-date': { type: 'boolean' },
    force: { type: 'boolean', short: 'f' },
    json: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(context) {
    const input = resolve(context.cwd, context.positionals[0]!);
    const json = booleanOption(context, 'json');
    const pieceLength = parseSize(stringOption(context, 'piece-length'));
    const name = stringOption(context, 'name');
    const output = resolve(
      context.cwd,
      stringOption(context, 'output') ?? `${name ?? basename(input)}.torrent`,
    );
    if (!booleanOption(context, 'force') && (await exists(output))) {
      throw new UsageError(`${output} exists (use --force to overwrite)`);
    }
    const trackers = stringListOption(context, 'tracker').map((tier) =>
      tier
        .split(',')
        .map((url) => url.trim())
        .filter((url) => url !== ''),
    );
    if (booleanOption(context, 'v2') && booleanOption(context, 'hybrid')) {
      throw new UsageError('--v2 and --hybrid exclude each other (a hybrid is v2 too)');
    }
    const version = booleanOption(context, 'v2')
      ? 'v2'
      : booleanOption(context, 'hybrid')
        ? 'hybrid'
        : 'v1';
    let progress: Progress | undefined;
    const started = performance.now();
    const { torrent, metainfo } = await createTorrent(input, {
      name,
      pieceLength,
      trackers,
      webSeeds: stringListOption(context, 'web-seed'),
      private: booleanOption(context, 'private'),
      version,
      comment: stringOption(context, 'comment'),
      source: stringOption(context, 'source'),
      createdBy: 'bt 0.1.0',
      creationDate: booleanOption(context, 'no-date') ? null : new Date(),
      signal: context.signal,
      onProgress: ({ hashedBytes, totalBytes }) => {
        progress ??= new Progress({
          stream: context.stderr,
          label: 'hashing',
          total: totalBytes,
          quiet: json,
        });
        progress.update(hashedBytes);
      },
    });
    progress?.finish();
    await writeFile(output, torrent);
    const seconds = (performance.now() - started) / 1000;
    if (json) {
      context.stdout.write(
        `${JSON.stringify(
          {
            output,
            infoHash: metainfo.infoHashHex,
            version: metainfo.version,
            infoHashV2: metainfo.v2?.infoHashHex ?? null,
            name: metainfo.name,
            length: metainfo.length,
            pieceLength: metainfo.pieceLength,
            pieceCount: metainfo.pieceCount,
            files: metainfo.files.length,
            private: metainfo.private,
            seconds: Number(seconds.toFixed(3)),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      context.stdout.write(
        `wrote ${output}\n` +
          (metainfo.version === 'v2'
            ? `  info-hash ${metainfo.v2!.infoHashHex} (v2)\n`
            : `  info-hash ${metainfo.infoHashHex}\n`) +
          (metainfo.version === 'hybrid' ? `  v2 hash   ${metainfo.v2!.infoHashHex}\n` : '') +
          `  ${formatBytes(metainfo.length)} in ${metainfo.files.length} file(s), ` +
          `${metainfo.pieceCount} pieces of ${formatBytes(metainfo.pieceLength)}, ` +
          `hashed at ${formatRate(metainfo.length / Math.max(seconds, 1e-3))}\n`,
      );
    }
    return ExitCode.ok;
  },
};

/** `262144`, `256K`, `256KiB`, `4M`, `4MiB` → bytes. */
function parseSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\s*(k|kib|m|mib)?$/i.exec(text.trim());
  if (!match)
    throw new UsageError(
      `--piece-length expects bytes like 262144, 256K or 4M, got ${JSON.stringify(text)}`,
    );
  const unit = (match[2] ?? '').toLowerCase();
  const value =
    Number(match[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
  if (value < 16384 || value > 256 * 1024 * 1024 || (value & (value - 1)) !== 0) {
    throw new UsageError('--piece-length must be a power of two from 16K to 256M');
  }
  return value;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
