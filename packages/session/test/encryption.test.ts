/**
 * MSE/PE in the session, against clients nobody here wrote: libtorrent with encryption forced
 * (RC4 only) seeds to us and downloads from us; aria2 requiring RC4 seeds to us; Transmission
 * requiring encryption seeds to us; a plaintext-only libtorrent is refused under `require` and
 * reached in plaintext under `prefer`. Hostile peers on our port (junk instead of a key, a pad
 * that never ends, a VC that is not zeros, a torrent we do not have) are dropped within the
 * spec's limits. Bytes are compared with the originals every time.
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MseHandshake, type EncryptionPolicy } from '@bt/mse';
import type { Metainfo } from '@bt/metainfo';
import {
  PATIENCE_MS,
  findProgram,
  freePort,
  isCI,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startProcess,
  stopAllProcesses,
  waitFor,
  waitForPort,
  type RunningProcess,
} from '@bt/test-support';
import { createSession, type Session, type SessionEvent, type Torrent } from '../src/index.js';
import { makePayload, makeTorrent, sameFiles, sha1File } from './helpers.js';

const mktorrent = requireProgram('mktorrent');
const aria2 = requireProgram('aria2c', 'aria2');
const transmission = requireProgram('transmission-cli');
const python = requireLibtorrentPython();

const sessions: Session[] = [];
async function session(encryption: EncryptionPolicy): Promise<Session> {
  // no local discovery: the sessions of several tests share one info-hash, and must not find
  // each other on loopback
  const created = await createSession({
    port: 0,
    host: '127.0.0.1',
    encryption,
    localDiscovery: false,
  });
  sessions.push(created);
  return created;
}

afterAll(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

const loopback = (port: number) => ({ host: '127.0.0.1', port, family: 4 as const });

async function fixture(size = 3 * 1024 * 1024 + 12_345) {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', size);
  const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
  return { seedDir, leechDir, payload, metainfo, file };
}

/** Our leecher of `metainfo` from `port`, under `encryption`; resolves when complete. */
async function leech(
  metainfo: Metainfo,
  port: number,
  directory: string,
  encryption: EncryptionPolicy,
): Promise<{ torrent: Torrent; encrypted: boolean[] }> {
  const ours = await session(encryption);
  // Whether each peer was encrypted, as the session said when it connected.
  const encrypted = peersConnected(ours);
  const torrent = await ours.addTorrent(metainfo, {
    directory,
    peers: [loopback(port)],
    seed: false,
  });
  await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
  return { torrent, encrypted };
}

/** The `encrypted` flag of every peer-connected event of `ours` from now on. */
function peersConnected(ours: Session): boolean[] {
  const encrypted: boolean[] = [];
  ours.onEvent((event) => {
    if (event.type === 'peer-connected') encrypted.push(event.encrypted);
  });
  return encrypted;
}

function requireLibtorrentPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', findProgram('python3')]) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['-c', 'import libtorrent'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  const message = "libtorrent for Python is missing (Debian package 'python3-libtorrent')";
  if (isCI())
    throw new Error(`${message}: CI=true, so this interop test fails instead of skipping`);
  process.stderr.write(`\n\x1b[33m!!! SKIPPING libtorrent MSE tests: ${message}\x1b[0m\n\n`);
  return undefined;
}

/** libtorrent on loopback, TCP only, with the given encryption: forced RC4 or disabled. */
const LIBTORRENT = `
import sys, time, libtorrent as lt
role, torrent, save, port, enc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
policy = lt.enc_policy.forced if enc == 'forced' else lt.enc_policy.disabled
s = lt.session({
    'listen_interfaces': '127.0.0.1:%d' % (port if role == 'seed' else 0),
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_outgoing_utp': False, 'enable_incoming_utp': False,
    'out_enc_policy': policy, 'in_enc_policy': policy,
    'allowed_enc_level': lt.enc_level.rc4, 'prefer_rc4': True,
    'allow_multiple_connections_per_ip': True,
    'user_agent': 'libtorrent-mse',
})
h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
if role == 'seed':
    while not h.status().is_seeding:
        time.sleep(0.05)
    print('seeding', flush=True)
else:
    h.connect_peer(('127.0.0.1', port))
    while not h.status().is_seeding:
        time.sleep(0.05)
    print('complete', flush=True)
while True:
    time.sleep(1)
`;

async function libtorrentSeeder(
  file: string,
  dir: string,
  enc: 'forced' | 'disabled',
): Promise<{ process: RunningProcess; port: number }> {
  const port = await freePort();
  const seeder = startProcess(python!, ['-c', LIBTORRENT, 'seed', file, dir, String(port), enc]);
  await waitFor(() => seeder.output().includes('seeding'), {
    timeoutMs: PATIENCE_MS,
    what: 'libtorrent to verify its data',
  });
  await waitForPort(port, '127.0.0.1');
  return { process: seeder, port };
}

describe.skipIf(!python || !mktorrent)('MSE/PE with libtorrent (encryption forced, RC4)', () => {
  it('we download from its seeder, RC4 both ways', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture();
    const seeder = await libtorrentSeeder(file, seedDir, 'forced');
    try {
      const { encrypted } = await leech(metainfo, seeder.port, leechDir, 'require');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(encrypted.length).toBeGreaterThan(0);
      expect(encrypted.every(Boolean)).toBe(true);
    } finally {
      await seeder.process.stop();
    }
  });

  it('its leecher downloads from our seeder, RC4 both ways', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture();
    const ours = await session('prefer');
    const encrypted = peersConnected(ours);
    const torrent = await ours.addTorrent(metainfo, { directory: seedDir });
    await waitFor(() => torrent.stats().state === 'seeding', {
      timeoutMs: PATIENCE_MS,
      what: 'our seeder to check its data',
    });
    const leecher = startProcess(python!, [
      '-c',
      LIBTORRENT,
      'leech',
      file,
      leechDir,
      String(ours.port),
      'forced',
    ]);
    try {
      await waitFor(
        () => leecher.output().includes('complete') || leecher.child.exitCode !== null,
        { timeoutMs: PATIENCE_MS, what: 'libtorrent to download from us' },
      );
      expect(leecher.output()).toContain('complete');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(encrypted.length).toBeGreaterThan(0);
      expect(encrypted.every(Boolean)).toBe(true);
    } finally {
      await leecher.stop();
    }
  });

  it('a plaintext-only seeder: refused under require, reached in plaintext under prefer', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture(600_000);
    const seeder = await libtorrentSeeder(file, seedDir, 'disabled');
    try {
      const strict = await session('require');
      const failures: SessionEvent[] = [];
      strict.onEvent((event) => {
        if (event.type === 'peer-failed') failures.push(event);
      });
      const refused = await strict.addTorrent(metainfo, {
        directory: await makeTempDir(),
        peers: [loopback(seeder.port)],
        seed: false,
      });
      await waitFor(() => failures.length > 0, {
        timeoutMs: PATIENCE_MS,
        what: 'the require leecher to give up on the plaintext seeder',
      });
      expect(refused.stats().progress).toBe(0);
      expect(refused.peerCount).toBe(0);

      const { encrypted } = await leech(metainfo, seeder.port, leechDir, 'prefer');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(encrypted.length).toBeGreaterThan(0);
      expect(encrypted.some(Boolean)).toBe(false);
    } finally {
      await seeder.process.stop();
    }
  });
});

describe.skipIf(!aria2 || !mktorrent)('MSE/PE with aria2 (--bt-require-crypto, arc4)', () => {
  it('we download from its seeder, RC4', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture();
    const port = await freePort();
    const seeder = startProcess('aria2c', [
      '--seed-ratio=0.0',
      '--check-integrity=true',
      `--dir=${seedDir}`,
      `--listen-port=${port}`,
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-require-crypto=true',
      '--bt-min-crypto-level=arc4',
      '--console-log-level=warn',
      '--summary-interval=0',
      '--disable-ipv6=true',
      file,
    ]);
    try {
      await waitForPort(port, '127.0.0.1');
      const { encrypted } = await leech(metainfo, port, leechDir, 'prefer');
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(encrypted.length).toBeGreaterThan(0);
      expect(encrypted.every(Boolean)).toBe(true);
    } finally {
      await seeder.stop();
    }
  });
});

/** transmission-cli seeding `torrent` from `dir`, encryption required (`-er`). */
async function startTransmissionRequiringEncryption(
  torrent: string,
  dir: string,
  configDir: string,
): Promise<{ process: RunningProcess; port: number }> {
  const port = await freePort();
  await mkdir(configDir, { recursive: true });
  const process = startProcess('transmission-cli', [
    '-g',
    configDir,
    '-w',
    dir,
    '-p',
    String(port),
    '-er',
    '-M',
    torrent,
  ]);
  return { process, port };
}

describe.skipIf(!transmission || !mktorrent)(
  'MSE/PE with Transmission (encryption required)',
  () => {
    it('we download from its seeder, RC4', async () => {
      const { seedDir, leechDir, payload, metainfo, file } = await fixture(1_500_000);
      const config = join(await makeTempDir(), 'transmission');
      const seeder = await startTransmissionRequiringEncryption(file, seedDir, config);
      try {
        await waitForPort(seeder.port, '127.0.0.1');
        const { encrypted } = await leech(metainfo, seeder.port, leechDir, 'require');
        expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
        expect(encrypted.every(Boolean)).toBe(true);
      } finally {
        await seeder.process.stop();
      }
    });

    it('its leecher downloads from our seeder, RC4 (we dial it: it does not dial 127/8)', async () => {
      const { seedDir, leechDir, payload, metainfo, file } = await fixture(2_500_000);
      const config = join(await makeTempDir(), 'transmission');
      const leecher = await startTransmissionRequiringEncryption(file, leechDir, config);
      try {
        await waitForPort(leecher.port, '127.0.0.1');
        const ours = await session('require');
        const encrypted = peersConnected(ours);
        const seeding = await ours.addTorrent(metainfo, {
          directory: seedDir,
          peers: [loopback(leecher.port)],
        });
        await waitFor(
          async () =>
            seeding.stats().uploaded >= metainfo.length &&
            (await sameFiles(seedDir, leechDir, ['payload.bin'])),
          { what: 'Transmission to download from our encrypted seeder', timeoutMs: PATIENCE_MS },
        );
        expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
        expect(encrypted.length).toBeGreaterThan(0);
        expect(encrypted.every(Boolean)).toBe(true);
      } finally {
        await leecher.process.stop();
      }
    });
  },
);

describe.skipIf(!mktorrent)('MSE/PE with WebTorrent (npm), its defaults', () => {
  it('its leecher dials our seeder encrypted and downloads', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await fixture(1_500_000);
    const ours = await session('prefer');
    const encrypted = peersConnected(ours);
    const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const { default: WebTorrent } = await import('webtorrent');
    const client = new WebTorrent({
      dht: false,
      lsd: false,
      tracker: false,
      utp: false,
      webSeeds: false,
      natUpnp: false,
      natPmp: false,
    });
    try {
      const { readFile } = await import('node:fs/promises');
      const theirs = client.add(await readFile(file), { path: leechDir });
      theirs.on('ready', () => theirs.addPeer(`127.0.0.1:${ours.port}`));
      await new Promise<void>((resolve, reject) => {
        theirs.on('done', () => resolve());
        theirs.on('error', reject);
      });
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(encrypted.length).toBeGreaterThan(0);
      expect(encrypted.every(Boolean)).toBe(true);
    } finally {
      await new Promise<void>((resolve) => client.destroy(() => resolve()));
    }
  });
});

const HOSTILE_HASH = Uint8Array.from({ length: 20 }, (_, k) => k * 3);

/** A session with one torrent of which it has nothing (peers of it stay connected, idle). */
async function emptyTorrentSession(encryption: EncryptionPolicy, peers: number[] = []) {
  const ours = await session(encryption);
  const infoHash = HOSTILE_HASH;
  const torrent = await ours.addTorrent(
    {
      infoHash,
      infoHashHex: Buffer.from(infoHash).toString('hex'),
      name: 'hostile',
      pieceLength: 16384,
      pieceCount: 1,
      length: 16384,
      pieces: new Uint8Array(20),
      files: [{ path: ['hostile'], length: 16384, offset: 0 }],
      multiFile: false,
      announce: [],
    },
    { directory: await makeTempDir(), skipCheck: true, peers: peers.map(loopback) },
  );
  return { session: ours, torrent };
}

describe('MSE/PE between two of our sessions: the policies meet, peerStats tells', () => {
  it.each([
    ['prefer', 'require', true],
    ['require', 'prefer', true],
    ['prefer', 'allow', false],
    ['allow', 'prefer', false],
    ['require', 'allow', true],
  ] as const)('%s dials %s: encrypted %s', async (dialler, listener, expected) => {
    const server = await emptyTorrentSession(listener);
    const client = await emptyTorrentSession(dialler, [server.session.port]);
    await waitFor(
      () => client.torrent.peerStats().length > 0 && server.torrent.peerStats().length > 0,
      { timeoutMs: PATIENCE_MS, what: 'the two sessions to connect' },
    );
    expect(client.torrent.peerStats()[0]!.encrypted).toBe(expected);
    expect(server.torrent.peerStats()[0]!.encrypted).toBe(expected);
    expect(server.torrent.peerStats()[0]!.incoming).toBe(true);
  });

  it('require meets disable: no connection, either way round', async () => {
    const server = await emptyTorrentSession('disable');
    const client = await emptyTorrentSession('require', [server.session.port]);
    const failed: SessionEvent[] = [];
    client.session.onEvent((event) => {
      if (event.type === 'peer-failed') failed.push(event);
    });
    await waitFor(() => failed.length > 0 || client.torrent.peerCount > 0, {
      timeoutMs: PATIENCE_MS,
      what: 'the require dial to end',
    });
    expect(client.torrent.peerCount).toBe(0);
    expect(server.torrent.peerCount).toBe(0);
  });
});

describe('MSE/PE: hostile peers on our port are dropped within the spec limits', () => {
  const infoHash = HOSTILE_HASH;

  async function target(): Promise<Session> {
    return (await emptyTorrentSession('require')).session;
  }

  /** Connects, lets `speak` write, and resolves with the bytes written once the peer hangs up. */
  async function dropped(port: number, speak: (socket: Socket) => void): Promise<number> {
    const socket = connect({ host: '127.0.0.1', port });
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    speak(socket);
    await waitFor(() => closed, { timeoutMs: PATIENCE_MS, what: 'our session to hang up' });
    return socket.bytesWritten;
  }

  /** A genuine initiator's step 1 and step 3 for `hash`, over a socket, with `corrupt` applied to step 3. */
  function genuine(socket: Socket, hash: Uint8Array, corrupt?: (step3: Uint8Array) => void): void {
    const mse = new MseHandshake({ role: 'initiator', infoHash: hash, provide: ['rc4'] });
    for (const bytes of mse.takeOutput()) socket.write(bytes);
    let sent3 = false;
    socket.on('data', (chunk: Buffer) => {
      if (sent3) return;
      try {
        mse.receive(new Uint8Array(chunk));
      } catch {
        return;
      }
      if (mse.awaitingKey) return;
      sent3 = true;
      const step3 = Buffer.concat(mse.takeOutput());
      corrupt?.(step3);
      socket.write(step3);
    });
  }

  it('junk instead of a key', async () => {
    const ours = await target();
    const junk = new Uint8Array(700).fill(0x42);
    const written = await dropped(ours.port, (socket) => socket.write(junk));
    expect(written).toBe(700);
  });

  it('a key, then a pad that never ends (we stop writing after 64 KiB)', async () => {
    const ours = await target();
    const written = await dropped(ours.port, (socket) => {
      const mse = new MseHandshake({ role: 'initiator', infoHash, provide: ['rc4'] });
      socket.write(mse.takeOutput()[0]!);
      let sent = 0;
      const more = (): void => {
        if (sent >= 64 * 1024 || socket.destroyed) return;
        sent += 1024;
        socket.write(new Uint8Array(1024).fill(0x17), more);
      };
      more();
    });
    expect(written).toBeLessThanOrEqual(96 + 64 * 1024);
  });

  it('a VC that is not zeros', async () => {
    const ours = await target();
    await dropped(ours.port, (socket) =>
      genuine(socket, infoHash, (step3) => {
        step3[40]! ^= 0x80;
      }),
    );
  });

  it('an info-hash we do not have', async () => {
    const ours = await target();
    await dropped(ours.port, (socket) => genuine(socket, new Uint8Array(20).fill(0xee)));
  });

  it('a plain BitTorrent handshake under require', async () => {
    const ours = await target();
    const handshake = Buffer.concat([
      Buffer.from('\x13BitTorrent protocol', 'latin1'),
      Buffer.alloc(8),
      Buffer.from(infoHash),
      Buffer.alloc(20, 1),
    ]);
    await dropped(ours.port, (socket) => socket.write(handshake));
    expect(ours.stats().connections).toBe(0);
  });
});
