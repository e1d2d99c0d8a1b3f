/**
 * Our session over uTP (BEP 29, `@bt/utp`): two sessions of ours; libtorrent (python3-libtorrent)
 * with TCP switched off, in both directions; Transmission's libutp, which we dial. Bytes are
 * compared with the originals, and `peerStats` says the peer is on uTP.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  freePort,
  makeTempDir,
  removeTempDirs,
  requireLibtorrentPython,
  requireProgram,
  startProcess,
  stopAllProcesses,
  waitFor,
  waitForPort,
} from '@bt/test-support';
import { createSession, type Session, type SessionOptions } from '../src/index.js';
import { makePayload, makeTorrent, sha1File, startTransmission } from './helpers.js';

const mktorrent = requireProgram('mktorrent');
const transmission = requireProgram('transmission-cli');

const python = requireLibtorrentPython();

const sessions: Session[] = [];
async function session(options: SessionOptions = {}): Promise<Session> {
  const created = await createSession({
    port: 0,
    host: '127.0.0.1',
    transportMode: 'utp',
    ...options,
  });
  sessions.push(created);
  return created;
}

afterAll(async () => {
  await Promise.allSettled(sessions.map((each) => each.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

const loopback = (port: number) => ({ host: '127.0.0.1', port, family: 4 as const });

async function fixture(size: number) {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', size);
  const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
  return { seedDir, leechDir, payload, metainfo, file };
}

// libtorrent on loopback with uTP only: no TCP in or out, no DHT, LSD, UPnP; plaintext, or with
// a fifth argument 'forced', MSE/PE with RC4 only both ways.
const LIBTORRENT = `
import sys, time, libtorrent as lt
mode, torrent, save, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
enc = sys.argv[5] if len(sys.argv) > 5 else 'disabled'
s = lt.session({
    'listen_interfaces': '127.0.0.1:%d' % (port if mode == 'seed' else 0),
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_tcp': False, 'enable_incoming_tcp': False,
    'enable_outgoing_utp': True, 'enable_incoming_utp': True,
    'out_enc_policy': getattr(lt.enc_policy, enc), 'in_enc_policy': getattr(lt.enc_policy, enc),
    'allowed_enc_level': lt.enc_level.rc4 if enc == 'forced' else lt.enc_level.both,
    'allow_multiple_connections_per_ip': True,
    'alert_mask': lt.alert_category.error | lt.alert_category.peer,
})
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
if mode == 'seed':
    while not h.status().is_seeding:
        time.sleep(0.05)
    print('seeding', flush=True)
else:
    h.connect_peer(('127.0.0.1', port))
last = time.monotonic()
printed = False
while True:
    time.sleep(0.05)
    for a in s.pop_alerts():
        print(a.message(), file=sys.stderr, flush=True)
    st = h.status()
    if mode == 'leech':
        if st.is_seeding:
            print('complete', flush=True)
            mode = 'done'
        elif st.num_peers == 0 and time.monotonic() - last > 2:
            last = time.monotonic()
            h.connect_peer(('127.0.0.1', port))
    if st.num_peers > 0 and not printed:
        printed = True
        print('peer', flush=True)
`;

describe('uTP between two of our sessions', () => {
  it('a seeder and a leecher on uTP only: bytes compared, the peer shown as uTP', async () => {
    const { seedDir, leechDir, payload, metainfo } = await fixture(4 * 1024 * 1024 + 321);
    const seeder = await session();
    const seeding = await seeder.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const leecher = await session();
    const torrent = await leecher.addTorrent(metainfo, {
      directory: leechDir,
      peers: [loopback(seeder.port)],
      seed: false,
    });
    await waitFor(() => torrent.peerStats().length > 0, {
      what: 'the uTP peer',
      timeoutMs: PATIENCE_MS,
    });
    expect(torrent.peerStats()[0]!.isUTP).toBe(true);
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(seeding.peerStats().every((peer) => peer.isUTP && peer.incoming)).toBe(true);
  });

  it('with both transports, a dial to a uTP-only peer is uTP and one to a TCP-only peer is TCP', async () => {
    const { seedDir, leechDir, payload, metainfo } = await fixture(1024 * 1024);
    const utpSeeder = await session({ transportMode: 'utp' });
    const tcpSeeder = await session({ transportMode: 'tcp' });
    for (const seeder of [utpSeeder, tcpSeeder]) {
      const seeding = await seeder.addTorrent(metainfo, { directory: seedDir });
      await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    }
    // one leecher per seeder, each with both transports: what carried its one peer?
    const carried = async (port: number, directory: string): Promise<boolean> => {
      const leecher = await session({ transportMode: 'both' });
      const torrent = await leecher.addTorrent(metainfo, { directory, seed: false, paused: true });
      let isUTP: boolean | undefined;
      torrent.on('peer-connected', ({ address }) => {
        isUTP ??= torrent.peerStats().find((each) => each.address === address)?.isUTP;
      });
      torrent.addPeers([loopback(port)]);
      void torrent.start();
      await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(await sha1File(join(directory, 'payload.bin'))).toBe(await sha1File(payload));
      return isUTP!;
    };
    expect(await carried(utpSeeder.port, leechDir)).toBe(true);
    expect(await carried(tcpSeeder.port, await makeTempDir())).toBe(false);
  });
});

describe.skipIf(!python || !mktorrent)('uTP against libtorrent with TCP disabled', () => {
  it('we download from its seeder over uTP', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture(8 * 1024 * 1024 + 99);
    const port = await freePort();
    const seeder = startProcess(python!, ['-c', LIBTORRENT, 'seed', file, seedDir, String(port)]);
    await waitFor(() => seeder.output().includes('seeding'), {
      what: 'libtorrent to check its data',
      timeoutMs: PATIENCE_MS,
    });
    const ours = await session();
    const torrent = await ours.addTorrent(metainfo, {
      directory: leechDir,
      peers: [loopback(port)],
      seed: false,
    });
    await waitFor(() => torrent.peerStats().length > 0, {
      what: 'the libtorrent peer',
      timeoutMs: PATIENCE_MS,
    });
    expect(torrent.peerStats()[0]).toMatchObject({ isUTP: true });
    expect(torrent.peerStats()[0]!.client).toMatch(/libtorrent|LT/i);
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    await seeder.stop();
  });

  it('its leecher downloads from our seeder over uTP', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture(8 * 1024 * 1024 + 99);
    const ours = await session();
    const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const leecher = startProcess(python!, [
      '-c',
      LIBTORRENT,
      'leech',
      file,
      leechDir,
      String(ours.port),
    ]);
    await waitFor(() => leecher.output().includes('complete') || leecher.child.exitCode !== null, {
      what: 'libtorrent to download from us over uTP',
      timeoutMs: PATIENCE_MS,
    });
    expect(leecher.output()).toContain('peer');
    expect(leecher.output()).toContain('complete');
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(metainfo.length);
    await leecher.stop();
  });
});

describe.skipIf(!python || !mktorrent)(
  'MSE/PE over uTP against libtorrent (TCP off, RC4 forced)',
  () => {
    it('we download from its seeder, RC4 over uTP', async () => {
      const { seedDir, leechDir, payload, metainfo, file } = await fixture(4 * 1024 * 1024 + 7);
      const port = await freePort();
      const seeder = startProcess(python!, [
        '-c',
        LIBTORRENT,
        'seed',
        file,
        seedDir,
        String(port),
        'forced',
      ]);
      await waitFor(() => seeder.output().includes('seeding'), {
        what: 'libtorrent to check its data',
        timeoutMs: PATIENCE_MS,
      });
      const ours = await session({ encryption: 'require' });
      const torrent = await ours.addTorrent(metainfo, {
        directory: leechDir,
        peers: [loopback(port)],
        seed: false,
      });
      await waitFor(() => torrent.peerStats().length > 0, {
        what: 'the libtorrent peer',
        timeoutMs: PATIENCE_MS,
      });
      expect(torrent.peerStats()[0]).toMatchObject({ isUTP: true, encrypted: true });
      await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      await seeder.stop();
    });

    it('its leecher dials our seeder, RC4 over uTP', async () => {
      const { seedDir, leechDir, payload, metainfo, file } = await fixture(4 * 1024 * 1024 + 7);
      const ours = await session({ encryption: 'require' });
      const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
      await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      const leecher = startProcess(python!, [
        '-c',
        LIBTORRENT,
        'leech',
        file,
        leechDir,
        String(ours.port),
        'forced',
      ]);
      await waitFor(() => seeding.peerStats().length > 0 || leecher.child.exitCode !== null, {
        what: 'the libtorrent leecher to connect',
        timeoutMs: PATIENCE_MS,
      });
      expect(seeding.peerStats()[0]).toMatchObject({ isUTP: true, encrypted: true });
      await waitFor(
        () => leecher.output().includes('complete') || leecher.child.exitCode !== null,
        {
          what: 'libtorrent to download from us, RC4 over uTP',
          timeoutMs: PATIENCE_MS,
        },
      );
      expect(leecher.output()).toContain('complete');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(metainfo.length);
      await leecher.stop();
    });
  },
);

describe.skipIf(!transmission || !mktorrent)('uTP against Transmission (libutp)', () => {
  it('we dial its seeder over uTP and download', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture(3 * 1024 * 1024 + 5);
    const config = join(await makeTempDir(), 'transmission');
    await mkdir(config, { recursive: true });
    // Transmission binds its TCP and UDP ports together: once TCP answers, uTP is there too. On a
    // loaded machine transmission-cli 3.00 may quit after its check: start it again.
    let seeder = await startTransmission(file, seedDir, config);
    for (let attempt = 1; ; attempt++) {
      const exited = seeder.process.exited.then(() => false);
      const listening = await Promise.race([waitForPort(seeder.port).then(() => true), exited]);
      if (listening) break;
      if (attempt === 3) throw new Error(`transmission-cli quit: ${seeder.process.output()}`);
      seeder = await startTransmission(file, seedDir, config);
    }
    const ours = await session();
    const torrent = await ours.addTorrent(metainfo, {
      directory: leechDir,
      seed: false,
      paused: true,
    });
    const carriers: boolean[] = [];
    torrent.on('peer-connected', ({ address }) => {
      const peer = torrent.peerStats().find((each) => each.address === address);
      if (peer) carriers.push(peer.isUTP);
    });
    torrent.addPeers([loopback(seeder.port)]);
    void torrent.start();
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(carriers.length).toBeGreaterThan(0);
    expect(carriers.every(Boolean)).toBe(true);
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    await seeder.process.stop();
  });
});
