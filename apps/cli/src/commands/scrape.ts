/** `bt scrape`: seeders, leechers and completed downloads, per tracker. The protocol is in the tracker packages. */
import {
  booleanOption,
  type Command,
  ExitCode,
  integerOption,
  stringListOption,
  UsageError,
} from '../command.js';
import { describeTrackerFailure, readTarget, TrackerClients } from '../tracker-clients.js';
import { printable } from '../ui/format.js';

interface Row {
  tracker: string;
  complete?: number;
  incomplete?: number;
  downloaded?: number;
  error?: { code: string; message: string; refused: boolean };
}

export const scrapeCommand: Command = {
  name: 'scrape',
  summary: "ask trackers for a torrent's seeders, leechers and completed downloads",
  usage: 'bt scrape <file.torrent | magnet | info-hash> [--tracker URL]... [--json]',
  help: `Scrapes each tracker (BEP 48 over HTTP/HTTPS, BEP 15 over UDP) and prints one line per
tracker: seeders, leechers, completed downloads, and the seeders-to-leechers ratio that says
how healthy the swarm is. Trackers are asked at the same time.

Options:
  --tracker URL     a tracker to ask; repeat for several. Default: every tracker of the
                    torrent or magnet link (a bare info-hash needs --tracker)
  --timeout SECS    give up on a tracker after this long (default 15)
  --json            one JSON object: infoHash, trackers [{tracker, complete, incomplete,
                    downloaded} or {tracker, error: {code, message}}]

Exit codes: 0 at least one tracker answered; 1 every tracker refused (or has no scrape);
3 no tracker could be reached.

Examples:
  bt scrape ubuntu.iso.torrent
  bt scrape 0123456789abcdef0123456789abcdef01234567 --tracker udp://tracker.example:6969/announce
  bt scrape file.torrent --json | jq '.trackers[] | select(.complete > 0)'`,
  options: {
    tracker: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const timeoutMs = (integerOption(context, 'timeout', { min: 1, max: 3600 }) ?? 15) * 1000;
    const target = await readTarget(context.positionals[0]!, context.cwd);
    const given = stringListOption(context, 'tracker');
    const trackers = given.length > 0 ? [...new Set(given)] : target.trackers;
    if (trackers.length === 0)
      throw new UsageError('no tracker: give --tracker URL (the input names none)');
    const clients = new TrackerClients(timeoutMs);
    let rows: Row[];
    try {
      for (const tracker of trackers) clients.check(tracker);
      rows = await Promise.all(
        trackers.map(async (tracker): Promise<Row> => {
          try {
            const result = await clients.scrape(tracker, [target.infoHash], context.signal);
            const file =
              result.files.find((entry) => Buffer.from(entry.infoHash).equals(target.infoHash)) ??
              result.files[0];
            return {
              tracker,
              complete: file?.complete ?? 0,
              incomplete: file?.incomplete ?? 0,
              downloaded: file?.downloaded ?? 0,
            };
          } catch (error) {
            if (context.signal.aborted) throw error;
            return { tracker, error: describeTrackerFailure(error, timeoutMs) };
          }
        }),
      );
    } finally {
      await clients.close();
    }

    if (json) {
      const output = {
        infoHash: target.infoHashHex,
        trackers: rows.map((row) =>
          row.error
            ? { tracker: row.tracker, error: { code: row.error.code, message: row.error.message } }
            : {
                tracker: row.tracker,
                complete: row.complete,
                incomplete: row.incomplete,
                downloaded: row.downloaded,
              },
        ),
      };
      context.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    } else {
      const lines = [
        `${'seeders'.padStart(8)} ${'leechers'.padStart(8)} ${'completed'.padStart(9)} ${'ratio'.padStart(6)}  tracker`,
      ];
      for (const row of rows) {
        if (row.error) {
          lines.push(
            `${'-'.padStart(8)} ${'-'.padStart(8)} ${'-'.padStart(9)} ${'-'.padStart(6)}  ${printable(row.tracker)}: ${printable(row.error.message)}`,
          );
        } else {
          const ratio =
            row.incomplete! > 0
              ? (row.complete! / row.incomplete!).toFixed(2)
              : row.complete! > 0
                ? 'inf'
                : '-';
          lines.push(
            `${String(row.complete).padStart(8)} ${String(row.incomplete).padStart(8)} ${String(row.downloaded).padStart(9)} ${ratio.padStart(6)}  ${printable(row.tracker)}`,
          );
        }
      }
      context.stdout.write(`${lines.join('\n')}\n`);
    }
    if (rows.some((row) => !row.error)) return ExitCode.ok;
    return rows.every((row) => row.error!.refused) ? ExitCode.negative : ExitCode.error;
  },
};
