/**
 * A config folder of transmission-daemon, read once: when btd first starts on it, every
 * `torrents/*.torrent` comes in with what Transmission kept about it in `resume/*.resume`
 * (bencoded: its destination, paused or not, added/done/activity dates, byte counters, ratio
 * and idle limits, speed limits, peer limit, labels, seconds downloading and seeding, and which
 * files are unwanted). The pieces are not taken on trust: btd checks the data once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type BencodeDictionary, type BencodeValue, decode, toText } from '@bt/bencode';
import { type Metainfo, parseTorrent } from '@bt/metainfo';
import type { PersistedTorrent } from './torrent-entry.js';

/** Larger .torrent or .resume files than this are skipped (a folder is not a place to trust). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface ImportedTorrent {
  metainfo: Metainfo;
  bytes: Uint8Array;
  state: PersistedTorrent;
  /** Indexes of the files Transmission was told not to download (`dnd`). */
  unwanted: number[];
}

export interface TransmissionImport {
  torrents: ImportedTorrent[];
  /** Files that could not be read, with why. */
  skipped: { file: string; reason: string }[];
}

function numberOf(value: BencodeValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  // Transmission writes the ratio limit as a string ("2.000000")
  if (value instanceof Uint8Array) {
    const parsed = Number(toText(value));
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function textOf(value: BencodeValue | undefined): string | undefined {
  return value instanceof Uint8Array ? toText(value) : undefined;
}

function dictionaryOf(value: BencodeValue | undefined): BencodeDictionary | undefined {
  return value instanceof Map ? value : undefined;
}

/** Reads the torrents of a transmission-daemon config folder (none if it has no `torrents/`). */
export async function readTransmissionFolder(
  configDir: string,
  defaults: { downloadDir: string; peerLimit: number; started: boolean },
): Promise<TransmissionImport> {
  const out: TransmissionImport = { torrents: [], skipped: [] };
  let names: string[];
  try {
    names = (await readdir(join(configDir, 'torrents'))).filter((name) =>
      name.endsWith('.torrent'),
    );
  } catch {
    return out;
  }
  names.sort();
  const seen = new Set<string>();
  for (const name of names) {
    const file = join(configDir, 'torrents', name);
    let metainfo: Metainfo;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
      if (bytes.length > MAX_FILE_BYTES) throw new Error('too large for a .torrent');
      metainfo = parseTorrent(bytes);
    } catch (error) {
      out.skipped.push({ file, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (seen.has(metainfo.infoHashHex)) continue;
    seen.add(metainfo.infoHashHex);
    // 3.00 names them `<name>.<hash16>.torrent`, later versions `<hash>.torrent`
    const resume =
      (await readResume(join(configDir, 'resume', `${basename(name, '.torrent')}.resume`))) ??
      (await readResume(join(configDir, 'resume', `${metainfo.infoHashHex}.resume`)));
    out.torrents.push({
      metainfo,
      bytes,
      ...stateFromResume(metainfo, resume, defaults, out.torrents.length),
    });
  }
  return out;
}

async function readResume(path: string): Promise<BencodeDictionary | undefined> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_FILE_BYTES) return undefined;
    return dictionaryOf(decode(bytes));
  } catch {
    return undefined;
  }
}

function stateFromResume(
  metainfo: Metainfo,
  resume: BencodeDictionary | undefined,
  defaults: { downloadDir: string; peerLimit: number; started: boolean },
  position: number,
): { state: PersistedTorrent; unwanted: number[] } {
  const get = (key: string): BencodeValue | undefined => resume?.get(key);
  const limit = (key: string): { bps?: number; use?: number } => {
    const dictionary = dictionaryOf(get(key));
    return {
      bps: numberOf(dictionary?.get('speed-Bps')),
      use: numberOf(dictionary?.get('use-speed-limit')),
    };
  };
  const ratio = dictionaryOf(get('ratio-limit'));
  const idle = dictionaryOf(get('idle-limit'));
  const down = limit('speed-limit-down');
  const up = limit('speed-limit-up');
  const labels = get('labels');
  const dnd = get('dnd');
  const unwanted: number[] = [];
  if (Array.isArray(dnd))
    dnd.forEach((value, index) => {
      if (numberOf(value) === 1 && index < metainfo.files.length) unwanted.push(index);
    });
  const destination = textOf(get('destination'));
  const state: PersistedTorrent = {
    hash_string: metainfo.infoHashHex,
    download_dir: destination?.startsWith('/') ? destination : defaults.downloadDir,
    started: resume ? numberOf(get('paused')) !== 1 : defaults.started,
    added_date: numberOf(get('added-date')) ?? Math.floor(Date.now() / 1000),
    done_date: numberOf(get('done-date')) ?? 0,
    activity_date: numberOf(get('activity-date')) ?? 0,
    start_date: 0,
    edit_date: 0,
    labels: Array.isArray(labels)
      ? labels.flatMap((label) => {
          const text = textOf(label);
          return text && !text.includes(',') ? [text] : [];
        })
      : [],
    queue_position: numberOf(get('queue-position')) ?? position,
    // Transmission keeps bytes per second; the RPC speaks kB/s (1000 bytes)
    download_limit: Math.round((down.bps ?? 100_000) / 1000),
    download_limited: down.use === 1,
    upload_limit: Math.round((up.bps ?? 100_000) / 1000),
    upload_limited: up.use === 1,
    peer_limit: numberOf(get('max-peers')) ?? defaults.peerLimit,
    seed_ratio_limit: numberOf(ratio?.get('ratio-limit')) ?? 2,
    seed_ratio_mode: numberOf(ratio?.get('ratio-mode')) ?? 0,
    seed_idle_limit: numberOf(idle?.get('idle-limit')) ?? 30,
    seed_idle_mode: numberOf(idle?.get('idle-mode')) ?? 0,
    downloaded_ever: numberOf(get('downloaded')) ?? 0,
    uploaded_ever: numberOf(get('uploaded')) ?? 0,
    corrupt_ever: numberOf(get('corrupt')) ?? 0,
    seconds_downloading: numberOf(get('downloading-time-seconds')) ?? 0,
    seconds_seeding: numberOf(get('seeding-time-seconds')) ?? 0,
    have_valid: 0,
  };
  return { state, unwanted };
}
