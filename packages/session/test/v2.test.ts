/**
 * BitTorrent v2 (BEP 52) against libtorrent (Debian `python3-libtorrent`): torrents it creates,
 * v2-only (single file; several files with odd sizes, an empty file and a one-block file) and
 * hybrid, are downloaded by our session from a libtorrent seeder, and a libtorrent leecher
 * downloads them from our seeder. Bytes are compared every time.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Metainfo, parseTorrent } from '@bt/metainfo';
import { createTorrent } from '@bt/metainfo/node';
import { connect } from 'node:net';
import { pieceLayerHeight, verifyHashAnswer } from '@bt/metainfo';
import { generatePeerId } from '@bt/primitives';
import { encodeHandshake, encodeMessage, type WireItem, WireDecoder } from '@bt/wire';
import {
  PATIENCE_MS,
  freePort,
  makeTempDir,
  removeTempDirs,
  requireLibtorrentPython,
  requireProgram,
  startOpentracker,
  startProcess,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession, type Session } from '../src/index.js';

const python = requireLibtorrentPython();
const opentracker = requireProgram('opentracker');
const PEER = fileURLToPath(new URL('../bench/libtorrent-peer.py', import.meta.url));

const CREATE = `
import sys, libtorrent as lt
source, parent, out, mode = sys.argv[1:5]
fs = lt.file_storage()
lt.add_files(fs, source)
flags = lt.create_torrent.v2_only if mode == 'v2' else 0
t = lt.create_torrent(fs, 32768, flags=flags)
lt.set_piece_hashes(t, parent)
open(out, 'wb').write(lt.bencode(t.generate()))
`;

/** A libtorrent leecher from a magnet link alone (its trackers only: no DHT, LSD or peers given). */
const LEECH_MAGNET = `
import sys, time, libtorrent as lt
magnet, save = sys.argv[1:3]
session = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
  'enable_upnp': False, 'enable_natpmp': False, 'allow_multiple_connections_per_ip': True,
  'out_enc_policy': int(lt.enc_policy.disabled), 'alert_mask': lt.alert_category.error})
params = lt.parse_magnet_uri(magnet)
params.save_path = save
handle = session.add_torrent(params)
while not handle.status().is_seeding:
    time.sleep(0.05)
    for alert in session.pop_alerts():
        print(alert.message(), file=sys.stderr, flush=True)
print('finished', flush=True)
`;

const FILES: [string, number][] = [
  ['big.bin', 1_000_003],
  ['empty', 0],
  ['one-block', 16384],
  ['sub/small.txt', 777],
  ['sub/z-last', 70_001],
];

function contentOf(path: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (path.length * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

const sessions: Session[] = [];
afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

interface Fixture {
  seedDir: string;
  torrentFile: string;
  metainfo: Metainfo;
  /** Relative paths (from the download folder) and contents. */
  files: [string, Uint8Array][];
}

/** libtorrent creates a `mode` torrent of `name` (a folder of FILES, or one file) in a new folder. */
async function fixture(mode: 'v2' | 'hybrid', single: boolean): Promise<Fixture> {
  const seedDir = await makeTempDir('bt-session-v2-');
  const files: [string, Uint8Array][] = [];
  for (const [path, length] of single ? [['single.bin', 300_001] as [string, number]] : FILES) {
    const relative = single ? path : `payload/${path}`;
    const full = join(seedDir, ...relative.split('/'));
    await mkdir(dirname(full), { recursive: true });
    const bytes = contentOf(path, length);
    await writeFile(full, bytes);
    files.push([relative, bytes]);
  }
  const torrentFile = join(seedDir, 'v2.torrent');
  const source = join(seedDir, single ? 'single.bin' : 'payload');
  execFileSync(python!, ['-c', CREATE, source, seedDir, torrentFile, mode]);
  const metainfo = parseTorrent(await readFile(torrentFile));
  expect(metainfo.version).toBe(mode);
  return { seedDir, torrentFile, metainfo, files };
}

async function expectFiles(directory: string, files: [string, Uint8Array][]): Promise<void> {
  for (const [path, bytes] of files) {
    const got = new Uint8Array(await readFile(join(directory, ...path.split('/'))));
    expect(got.length, path).toBe(bytes.length);
    expect(Buffer.compare(got, bytes), path).toBe(0);
  }
}

async function session(): Promise<Session> {
  const created = await createSession({ port: 0, host: '127.0.0.1' });
  sessions.push(created);
  return created;
}

const cases = [
  ['v2-only, several files', 'v2', false],
  ['v2-only, one file', 'v2', true],
  ['hybrid, several files', 'hybrid', false],
] as const;

describe.skipIf(!python)('BEP 52 torrents with libtorrent', () => {
  it.each(cases)('%s: we download from a libtorrent seeder', async (_, mode, single) => {
    const { seedDir, torrentFile, metainfo, files } = await fixture(mode, single);
    const port = await freePort();
    const seeder = startProcess(python!, [PEER, 'seed', torrentFile, seedDir, String(port)]);
    await waitFor(() => seeder.output().includes('listening'), { what: 'libtorrent seeding' });
    const leechDir = await makeTempDir('bt-session-v2-leech-');
    const ours = await session();
    const torrent = await ours.addTorrent(metainfo, {
      directory: leechDir,
      peers: [{ host: '127.0.0.1', port, family: 4 }],
      seed: false,
    });
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(torrent.stats()).toMatchObject({ progress: 1, hashFailures: 0 });
    await expectFiles(leechDir, files);
    await seeder.stop();
  });

  it.each(['v2', 'hybrid'] as const)(
    '%s, several files: a selection downloads only the chosen files (no part file, no padding file)',
    async (mode) => {
      const { seedDir, torrentFile, metainfo, files } = await fixture(mode, false);
      const port = await freePort();
      const seeder = startProcess(python!, [PEER, 'seed', torrentFile, seedDir, String(port)]);
      await waitFor(() => seeder.output().includes('listening'), { what: 'libtorrent seeding' });
      const leechDir = await makeTempDir('bt-session-v2-select-');
      const chosen = ['big.bin', 'sub/small.txt'];
      const ours = await session();
      const torrent = await ours.addTorrent(metainfo, {
        directory: leechDir,
        peers: [{ host: '127.0.0.1', port, family: 4 }],
        seed: false,
        selection: {
          wanted: chosen.map((path) =>
            metainfo.files.findIndex((file) => file.path.join('/') === path),
          ),
        },
      });
      await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(torrent.stats()).toMatchObject({ progress: 1, hashFailures: 0 });
      await expectFiles(
        leechDir,
        files.filter(([path]) => chosen.includes(path.slice('payload/'.length))),
      );
      // v2 pieces never span files: nothing shared, so no part file; padding never on disk
      const written = await readdir(join(leechDir, 'payload'), { recursive: true });
      expect(written.map(String).sort()).toEqual(['big.bin', 'sub', 'sub/small.txt']);
      await seeder.stop();
    },
  );

  it.each(cases)('%s: a libtorrent leecher downloads from our seeder', async (_, mode, single) => {
    const { seedDir, torrentFile, metainfo, files } = await fixture(mode, single);
    const ours = await session();
    const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const leechDir = await makeTempDir('bt-session-v2-lt-');
    const leecher = startProcess(python!, [
      PEER,
      'leech',
      torrentFile,
      leechDir,
      '1',
      `127.0.0.1:${ours.port}`,
    ]);
    expect(await leecher.exited).toBe(0);
    expect(leecher.output()).toContain('"seconds"');
    await expectFiles(leechDir, files);
  });

  it.each(['v2', 'hybrid'] as const)(
    'a %s torrent we create: a libtorrent leecher downloads it from our seeder',
    async (version) => {
      const { seedDir, files } = await fixture('v2', false);
      const { torrent, metainfo } = await createTorrent(join(seedDir, 'payload'), {
        version,
        pieceLength: 65536,
      });
      expect(metainfo.version).toBe(version);
      const torrentFile = join(seedDir, 'ours.torrent');
      await writeFile(torrentFile, torrent);
      const ours = await session();
      const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
      await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      const leechDir = await makeTempDir('bt-session-v2-ours-');
      const leecher = startProcess(python!, [
        PEER,
        'leech',
        torrentFile,
        leechDir,
        '1',
        `127.0.0.1:${ours.port}`,
      ]);
      expect(await leecher.exited).toBe(0);
      await expectFiles(leechDir, files);
    },
  );

  it('answers BEP 52 hash requests for a piece layer with a proof of the root, and rejects the rest', async () => {
    const { seedDir, metainfo } = await fixture('v2', false);
    const ours = await session();
    const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const file = metainfo.v2!.files.find((entry) => entry.pieceCount > 1)!;
    const base = {
      piecesRoot: file.piecesRoot!,
      baseLayer: pieceLayerHeight(metainfo.pieceLength),
      index: 0,
      length: 2,
      proofLayers: 10,
    };
    const socket = connect({ host: '127.0.0.1', port: ours.port });
    const decoder = new WireDecoder({ handshake: true });
    const received: WireItem[] = [];
    socket.on('data', (chunk: Buffer) => {
      decoder.push(new Uint8Array(chunk));
      for (let item = decoder.next(); item; item = decoder.next()) received.push(item);
    });
    socket.write(encodeHandshake({ infoHash: metainfo.infoHash, peerId: generatePeerId() }));
    socket.write(encodeMessage({ type: 'hash-request', ...base }));
    socket.write(encodeMessage({ type: 'hash-request', ...base, baseLayer: 0 }));
    const answers = await waitFor(
      () => {
        const found = received.filter(
          (item) => item.type === 'hashes' || item.type === 'hash-reject',
        );
        return found.length >= 2 ? found : undefined;
      },
      { what: 'two answers to hash requests' },
    );
    socket.destroy();
    expect(answers.map((item) => item.type)).toEqual(['hashes', 'hash-reject']);
    const hashes = answers[0] as Extract<WireItem, { type: 'hashes' }>;
    const proven = verifyHashAnswer(file.piecesRoot!, file.pieceCount, base, hashes.hashes);
    expect(proven).toBeDefined();
    const layer = metainfo.v2!.pieceLayers.get(Buffer.from(file.piecesRoot!).toString('hex'))!;
    expect(proven).toEqual(layer.subarray(0, 64));
  });

  it.skipIf(!opentracker)(
    'hybrid: we announce the truncated v2 info-hash too, and a libtorrent leecher with only the btmh magnet finds us by it, connects with it and downloads',
    async () => {
      const { seedDir, metainfo, files } = await fixture('hybrid', false);
      const truncated = metainfo.v2!.infoHash.subarray(0, 20);
      // the tracker serves the v2 swarm only: our v1 announce is refused, the v2 one must carry
      const tracker = await startOpentracker({ program: opentracker!, infoHashes: [truncated] });
      const ours = await session();
      const connected: { incoming: boolean }[] = [];
      const seeding = await ours.addTorrent(
        { ...metainfo, announce: [[tracker.httpUrl]] },
        { directory: seedDir },
      );
      seeding.on('peer-connected', (event) => connected.push(event));
      await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      await waitFor(() => seeding.stats().sources.find((row) => row.state === 'working'), {
        what: 'our announce answered under the v2 info-hash',
      });
      const leechDir = await makeTempDir('bt-session-v2-btmh-');
      const magnet = `magnet:?xt=urn:btmh:1220${metainfo.v2!.infoHashHex}&tr=${encodeURIComponent(tracker.httpUrl)}`;
      const leecher = startProcess(python!, ['-c', LEECH_MAGNET, magnet, leechDir], {
        label: 'libtorrent btmh leecher',
      });
      await waitFor(() => leecher.output().includes('finished'), {
        what: `libtorrent finishing from the btmh magnet (output: ${leecher.output().slice(-400)})`,
      });
      await leecher.stop();
      expect(connected.some((event) => event.incoming)).toBe(true);
      await expectFiles(join(leechDir), files);
    },
  );

  it.each([
    ['v2-only, several files', 'v2'],
    ['hybrid, several files', 'hybrid'],
  ] as const)(
    '%s: we download from a btmh magnet alone (metadata by the v2 hash, piece layers by hash requests)',
    async (_, mode) => {
      const { seedDir, torrentFile, metainfo, files } = await fixture(mode, false);
      // the 1 MB file spans many 32 KiB pieces: its piece layer must come from the seeder
      expect(metainfo.v2!.files.some((file) => file.pieceCount > 1)).toBe(true);
      const port = await freePort();
      const seeder = startProcess(python!, [PEER, 'seed', torrentFile, seedDir, String(port)]);
      await waitFor(() => seeder.output().includes('listening'), { what: 'libtorrent seeding' });
      const ours = await session();
      const leechDir = await makeTempDir('bt-session-v2-magnet-');
      const pending = ours.addMagnet(
        `magnet:?xt=urn:btmh:1220${metainfo.v2!.infoHashHex}&x.pe=127.0.0.1:${port}`,
        { directory: leechDir },
      );
      const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
      expect(torrent.infoHashHex).toBe(metainfo.infoHashHex);
      // the layers fetched are the torrent's own
      for (const [root, layer] of metainfo.v2!.pieceLayers) {
        expect(Buffer.compare(torrent.description.v2!.pieceLayers.get(root)!, layer), root).toBe(0);
      }
      await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(torrent.stats()).toMatchObject({ progress: 1, hashFailures: 0 });
      await expectFiles(leechDir, files);
      await seeder.stop();
    },
  );
});
