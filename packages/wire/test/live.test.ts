/**
 * Live interop of the one peer shell (`PeerWire` over `TcpTransport`), both ways, on loopback.
 * We dial real seeders (aria2 and Transmission from Debian, libtorrent through Debian's Python
 * bindings, WebTorrent from npm): BEP 3 handshake, BEP 10 extension handshake where offered, the
 * bitfield or have-all, requests and blocks checked against the torrent's SHA-1. Real leechers
 * dial our seeder (WebTorrent and libtorrent told our address; aria2 and Transmission through a
 * one-line tracker that names it) and complete the download. Missing programs fail in CI and
 * warn loudly locally.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { encode } from '@bt/bencode';
import WebTorrent from 'webtorrent';
import {
  freePort,
  makeTempDir,
  PATIENCE_MS,
  removeTempDirs,
  requireLibtorrentPython,
  requireProgram,
  runMktorrent,
  startProcess,
  stopAllProcesses,
  waitFor,
  waitForPort,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import {
  leech,
  readTorrent,
  readTorrentFile,
  seedTo,
  serve,
  type TorrentFacts,
  writeDataFile,
} from './live-helpers.js';

/** Runs `attempt` until it succeeds or `timeoutMs` passes (then throws its last error). */
async function retry<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

const aria2c = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

describe.skipIf(!aria2c || !mktorrent)('live: aria2c seeder', () => {
  it('handshakes, reads its bitfield and downloads verified pieces', async () => {
    const dir = await makeTempDir('bt-wire-aria2-');
    await writeDataFile(dir);
    const torrentPath = join(dir, 'data.torrent');
    await runMktorrent({
      program: mktorrent!,
      source: join(dir, 'data.bin'),
      output: torrentPath,
    });
    const torrent = await readTorrentFile(torrentPath);
    const port = await freePort();
    const seeder = startProcess(aria2c!, [
      '--seed-ratio=0',
      '-V',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=true',
      `--listen-port=${port}`,
      '--bt-tracker-connect-timeout=1',
      '--console-log-level=warn',
      '--summary-interval=0',
      '-d',
      dir,
      torrentPath,
    ]);
    await waitForPort(port);
    // With BEP 6 on both sides aria2 announces have-all; without, a bitfield.
    const fast = await leech(port, torrent);
    expect(fast.handshake.infoHash).toEqual(new Uint8Array(torrent.infoHash));
    expect(fast.handshake.extensions).toMatchObject({ extended: true, fast: true });
    expect(fast.capabilities).toMatchObject({ extended: true, fast: true });
    expect(fast.extended?.client).toMatch(/aria2/);
    expect(fast.extended?.extensions.ut_pex).toBeGreaterThan(0);
    expect(fast.pieceSet).toBe('have-all');
    expect(fast.verified).toEqual([0, 1, torrent.pieceHashes.length - 1]);
    const plain = await leech(port, torrent, {
      fast: false,
      pieces: torrent.pieceHashes.map((_, i) => i),
    });
    expect(plain.pieceSet).toBe('bitfield');
    expect(plain.capabilities.fast).toBe(false);
    expect(plain.verified).toHaveLength(torrent.pieceHashes.length);
    await seeder.stop();
  });
});

const transmissionCli = requireProgram('transmission-cli');
const transmissionCreate = requireProgram('transmission-create', 'transmission-cli');

describe.skipIf(!transmissionCli || !transmissionCreate)('live: Transmission seeder', () => {
  it('handshakes, reads its piece set and downloads verified pieces', async () => {
    const dir = await makeTempDir('bt-wire-transmission-');
    const data = join(dir, 'data');
    const config = join(dir, 'config');
    await mkdir(data);
    await mkdir(config);
    await writeDataFile(data);
    const torrentPath = join(dir, 'data.torrent');
    const made = startProcess(transmissionCreate!, [
      '-o',
      torrentPath,
      '-s',
      '32',
      '-t',
      'http://127.0.0.1:9/announce',
      join(data, 'data.bin'),
    ]);
    expect(await made.exited).toBe(0);
    const torrent = await readTorrentFile(torrentPath);
    const port = await freePort();
    // -v: verify the data first, else transmission-cli starts with nothing and announces no pieces.
    const startSeeder = (verify: boolean) =>
      startProcess(transmissionCli!, [
        '-g',
        config,
        '-p',
        String(port),
        '-w',
        data,
        '-et',
        '-M',
        '-U',
        ...(verify ? ['-v'] : []),
        torrentPath,
      ]);
    let seeder = startSeeder(true);
    await waitForPort(port);
    // It resets connections until its verification is done: retry for a while. On a loaded
    // machine transmission-cli 3.00 can also quit once its -v check is done ("Removing torrent",
    // exit 0; a race inside it): then it is started again, a few times at most.
    let restarts = 0;
    const result = await retry(async () => {
      const ended = seeder.child.exitCode !== null || seeder.child.signalCode !== null;
      if (ended && restarts++ < 3) {
        seeder = startSeeder(true);
        await waitForPort(port);
      }
      return leech(port, torrent);
    }, PATIENCE_MS).catch((error: unknown) => {
      const { exitCode, signalCode } = seeder.child;
      const state =
        exitCode === null && signalCode === null ? 'running' : `ended ${exitCode ?? signalCode}`;
      throw new Error(
        `${String(error)}\ntransmission-cli (${state}, ${restarts} restarts): ${seeder.output().slice(-1500)}`,
        { cause: error },
      );
    });
    expect(result.handshake.infoHash).toEqual(new Uint8Array(torrent.infoHash));
    expect(result.extended?.client).toMatch(/Transmission/);
    expect(result.extended?.extensions).toMatchObject({
      ut_metadata: expect.any(Number),
      ut_pex: expect.any(Number),
    });
    expect(result.pieceSet).toBe('have-all');
    expect(result.verified).toEqual([0, 1, torrent.pieceHashes.length - 1]);
    await seeder.stop();
  });
});

describe('live: WebTorrent seeder (npm webtorrent, TCP)', () => {
  it('handshakes, reads its piece set and downloads verified pieces', async () => {
    const dir = await makeTempDir('bt-wire-webtorrent-');
    const bytes = await writeDataFile(dir);
    const client = new WebTorrent({
      dht: false,
      tracker: false,
      lsd: false,
      utp: false,
      webSeeds: false,
      natUpnp: false,
      natPmp: false,
    });
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- webtorrent is untyped
      const seeded = await new Promise<any>((resolve, reject) => {
        client.on('error', reject);
        client.seed(bytes, { name: 'data.bin', pieceLength: 32768, announce: [] }, resolve);
      });
      await new Promise<void>((resolve) =>
        client.listening ? resolve() : client.once('listening', resolve),
      );
      const torrent = readTorrent(new Uint8Array(seeded.torrentFile));
      expect(Buffer.from(torrent.infoHash).toString('hex')).toBe(seeded.infoHash);
      const result = await leech(client.torrentPort, torrent);
      expect(result.handshake.extensions.extended).toBe(true);
      expect(result.extended?.extensions.ut_metadata).toBeGreaterThan(0);
      expect(result.pieceSet).toBe('have-all');
      expect(result.verified).toEqual([0, 1, torrent.pieceHashes.length - 1]);
      const plain = await leech(client.torrentPort, torrent, {
        fast: false,
        pieces: torrent.pieceHashes.map((_, i) => i),
      });
      expect(plain.pieceSet).toBe('bitfield');
      expect(plain.verified).toHaveLength(torrent.pieceHashes.length);
    } finally {
      await new Promise<void>((resolve) => client.destroy(() => resolve()));
    }
  });
});

/** A file and its torrent (mktorrent, 32 KiB pieces), announcing `announce` when given. */
async function fixture(
  prefix: string,
  announce?: string,
): Promise<{
  dir: string;
  data: Buffer;
  torrentPath: string;
  torrentBytes: Buffer;
  torrent: TorrentFacts;
}> {
  const dir = await makeTempDir(prefix);
  const data = await writeDataFile(dir);
  const torrentPath = join(dir, 'data.torrent');
  await runMktorrent({
    program: mktorrent!,
    source: join(dir, 'data.bin'),
    output: torrentPath,
    announce,
  });
  const torrentBytes = await readFile(torrentPath);
  return {
    dir,
    data,
    torrentPath,
    torrentBytes,
    torrent: readTorrent(new Uint8Array(torrentBytes)),
  };
}

/**
 * An HTTP tracker of one answer: every announce gets the address `peerPort()` names (compact,
 * BEP 23). The port is read per announce, so the torrent can name the tracker before the
 * seeder exists (the info-hash does not depend on the announce URL).
 */
async function oneAnswerTracker(
  peerPort: () => number,
): Promise<{ url: string; announces: () => number; close(): Promise<void> }> {
  let announces = 0;
  const server = createHttpServer((_request, response) => {
    announces++;
    const port = peerPort();
    const peers = Uint8Array.of(127, 0, 0, 1, port >> 8, port & 0xff);
    response.end(encode({ interval: 60, 'min interval': 60, complete: 1, incomplete: 1, peers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const trackerPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${trackerPort}/announce`,
    announces: () => announces,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until `path` holds exactly `data`. */
async function untilSame(path: string, data: Buffer, what: string): Promise<void> {
  await waitFor(
    async () => {
      const bytes = await readFile(path).catch(() => undefined);
      return bytes !== undefined && bytes.equals(data);
    },
    { timeoutMs: PATIENCE_MS, intervalMs: 200, what },
  );
}

describe.skipIf(!mktorrent)('live: WebTorrent leecher dials our seeder', () => {
  it.each([
    ['have-all (BEP 6)', true],
    ['a bitfield', false],
  ])(
    'serves every block it asks for after %s; WebTorrent verifies each piece and completes',
    async (_label, fast) => {
      const { dir, data, torrentBytes, torrent } = await fixture('bt-wire-serve-');
      const seeder = await serve(torrent, data, { fast });
      const downloads = join(dir, 'downloads');
      await mkdir(downloads);
      // secure: 0: plaintext, as MSE/PE (WebTorrent's default for outgoing connections) is not ours to speak.
      const client = new WebTorrent({
        dht: false,
        tracker: false,
        lsd: false,
        utp: false,
        webSeeds: false,
        natUpnp: false,
        natPmp: false,
        secure: 0,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          client.on('error', reject);
          client.add(
            torrentBytes,
            { path: downloads },
            (added: {
              on: (event: string, listener: () => void) => void;
              addPeer: (peer: string) => void;
            }) => {
              added.on('done', () => resolve());
              added.addPeer(`127.0.0.1:${seeder.port}`);
            },
          );
        });
        const received = await readFile(join(downloads, 'data.bin'));
        expect(received.equals(data)).toBe(true);
        const served = seeder.peers[0]!;
        expect(served.wire.capabilities.fast).toBe(fast);
        expect(served.wire.capabilities.extended).toBe(true);
        expect(served.wire.remoteExtensions.ut_metadata).toBeGreaterThan(0);
        expect(served.blocksServed).toBeGreaterThanOrEqual(Math.ceil(data.length / 16384));
        expect(served.bytesServed).toBeGreaterThanOrEqual(data.length);
      } finally {
        await new Promise<void>((resolve) => client.destroy(() => resolve()));
        await seeder.close();
      }
    },
  );
});

describe.skipIf(!aria2c || !mktorrent)('live: aria2c leecher dials our seeder', () => {
  it('finds us through a tracker, handshakes (BEP 6 and 10) and downloads the whole file from us', async () => {
    let seederPort = 0;
    const tracker = await oneAnswerTracker(() => seederPort);
    const { dir, data, torrentPath, torrent } = await fixture('bt-wire-aria2-leech-', tracker.url);
    const seeder = await serve(torrent, data);
    seederPort = seeder.port;
    const downloads = join(dir, 'downloads');
    await mkdir(downloads);
    const leecher = startProcess(aria2c!, [
      '--seed-time=0',
      `--dir=${downloads}`,
      `--listen-port=${await freePort()}`,
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--console-log-level=warn',
      '--summary-interval=0',
      '--file-allocation=none',
      '--disable-ipv6=true',
      torrentPath,
    ]);
    try {
      await untilSame(join(downloads, 'data.bin'), data, 'aria2 to download the file from us');
      const served = seeder.peers[0]!;
      expect(served.wire.remoteHandshake?.extensions).toMatchObject({ fast: true, extended: true });
      expect(served.wire.capabilities).toMatchObject({ fast: true, extended: true });
      expect(served.wire.remoteExtensions.ut_pex).toBeUndefined(); // aria2 told to do without PEX
      const extended = served.log.messages.find((message) => message.type === 'extended-handshake');
      expect(extended?.type === 'extended-handshake' && extended.handshake.client).toMatch(/aria2/);
      expect(served.bytesServed).toBeGreaterThanOrEqual(data.length);
      expect(tracker.announces()).toBeGreaterThan(0);
    } finally {
      await leecher.stop();
      await seeder.close();
      await tracker.close();
    }
  });
});

// Transmission does not dial a loopback address a tracker names (tried here: it announces,
// gets the peer, never connects), so with Transmission leeching we dial it and seed.
describe.skipIf(!transmissionCli || !mktorrent)('live: Transmission leecher, our seeder', () => {
  it('we dial its leecher, handshake and serve the whole file; it completes', async () => {
    const { dir, data, torrentPath, torrent } = await fixture('bt-wire-transmission-leech-');
    const downloads = join(dir, 'downloads');
    const config = join(dir, 'config');
    await mkdir(downloads);
    await mkdir(config);
    const port = await freePort();
    // -et: plaintext first, encryption tolerated (MSE is not ours to speak)
    const leecher = startProcess(transmissionCli!, [
      '-g',
      config,
      '-w',
      downloads,
      '-p',
      String(port),
      '-et',
      '-M',
      torrentPath,
    ]);
    await waitForPort(port);
    // It may refuse connections until the torrent is loaded: retry the dial for a while.
    const seeding = await retry(() => seedTo(port, torrent, data), PATIENCE_MS);
    try {
      await untilSame(
        join(downloads, 'data.bin'),
        data,
        'Transmission to download the file from us',
      );
      const served = seeding.served;
      expect(served.wire.capabilities).toMatchObject({ fast: true, extended: true });
      const extended = served.log.messages.find((message) => message.type === 'extended-handshake');
      expect(extended?.type === 'extended-handshake' && extended.handshake.client).toMatch(
        /Transmission/,
      );
      expect(served.wire.remoteExtensions).toMatchObject({ ut_pex: expect.any(Number) });
      expect(served.bytesServed).toBeGreaterThanOrEqual(data.length);
    } finally {
      await leecher.stop();
      await seeding.close();
    }
  });
});

const python = requireLibtorrentPython();

// libtorrent on loopback only, plaintext (MSE is not ours to speak), no DHT, LSD, UPnP or uTP.
const LIBTORRENT_SESSION = `
import sys, time, libtorrent as lt
def session(port):
    return lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_outgoing_utp': False, 'enable_incoming_utp': False,
        'out_enc_policy': lt.enc_policy.disabled, 'in_enc_policy': lt.enc_policy.disabled,
        'allow_multiple_connections_per_ip': True,
        'user_agent': 'libtorrent-interop',
    })
`;

const LIBTORRENT_SEED = `${LIBTORRENT_SESSION}
torrent, save, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = session(port)
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
while not h.status().is_seeding:
    time.sleep(0.05)
print('seeding', flush=True)
while True:
    time.sleep(1)
`;

const LIBTORRENT_LEECH = `${LIBTORRENT_SESSION}
torrent, save, peer_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = session(0)
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
h.connect_peer(('127.0.0.1', peer_port))
while not h.status().is_seeding:
    time.sleep(0.05)
print('complete', flush=True)
while True:
    time.sleep(1)
`;

describe.skipIf(!python || !mktorrent)('live: libtorrent (python3-libtorrent)', () => {
  it('we dial its seeder: handshake, extension handshake, piece set and verified pieces', async () => {
    const { dir, torrentPath, torrent } = await fixture('bt-wire-libtorrent-seed-');
    const port = await freePort();
    const seeder = startProcess(python!, ['-c', LIBTORRENT_SEED, torrentPath, dir, String(port)]);
    try {
      await waitFor(() => seeder.output().includes('seeding'), {
        timeoutMs: PATIENCE_MS,
        what: 'libtorrent to verify its data',
      });
      await waitForPort(port);
      const fast = await leech(port, torrent);
      expect(fast.handshake.infoHash).toEqual(new Uint8Array(torrent.infoHash));
      expect(fast.capabilities).toMatchObject({ fast: true, extended: true });
      expect(fast.extended?.client).toMatch(/libtorrent-interop|libtorrent/);
      expect(fast.extended?.extensions.ut_metadata).toBeGreaterThan(0);
      expect(fast.pieceSet).toBe('have-all');
      expect(fast.verified).toEqual([0, 1, torrent.pieceHashes.length - 1]);
      const plain = await leech(port, torrent, {
        fast: false,
        pieces: torrent.pieceHashes.map((_, i) => i),
      });
      expect(plain.capabilities.fast).toBe(false);
      expect(plain.pieceSet).toBe('bitfield');
      expect(plain.verified).toHaveLength(torrent.pieceHashes.length);
    } finally {
      await seeder.stop();
    }
  });

  it.each([
    ['have-all (BEP 6)', true],
    ['a bitfield', false],
  ])('its leecher dials our seeder after %s and completes the download', async (_label, fast) => {
    const { dir, data, torrentPath, torrent } = await fixture('bt-wire-libtorrent-leech-');
    const seeder = await serve(torrent, data, { fast });
    const downloads = join(dir, 'downloads');
    await mkdir(downloads);
    const leecher = startProcess(python!, [
      '-c',
      LIBTORRENT_LEECH,
      torrentPath,
      downloads,
      String(seeder.port),
    ]);
    try {
      await waitFor(
        () => leecher.output().includes('complete') || leecher.child.exitCode !== null,
        {
          timeoutMs: PATIENCE_MS,
          what: 'libtorrent to download the file from us',
        },
      );
      expect(leecher.output()).toContain('complete');
      expect((await readFile(join(downloads, 'data.bin'))).equals(data)).toBe(true);
      const served = seeder.peers[0]!;
      expect(served.wire.capabilities).toMatchObject({ fast, extended: true });
      expect(served.wire.remoteExtensions.ut_metadata).toBeGreaterThan(0);
      const extended = served.log.messages.find((message) => message.type === 'extended-handshake');
      expect(extended?.type === 'extended-handshake' && extended.handshake.client).toMatch(
        /libtorrent/,
      );
      expect(served.bytesServed).toBeGreaterThanOrEqual(data.length);
    } finally {
      await leecher.stop();
      await seeder.close();
    }
  });
});
