/**
 * Live interop: our PeerConnection leeches from real seeders on loopback (aria2 and Transmission
 * from Debian, WebTorrent from npm), completes the BEP 3 handshake and the BEP 10 extension
 * handshake where offered, reads the bitfield or have-all, requests blocks and checks every
 * piece against the torrent's SHA-1. Missing programs fail in CI and warn loudly locally.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import WebTorrent from 'webtorrent';
import {
  PATIENCE_MS,
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  runMktorrent,
  startProcess,
  stopAllProcesses,
  waitForPort,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerConnection } from '../src/peer-connection.js';
import { leech, readTorrent, readTorrentFile, writeDataFile } from './live-helpers.js';

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
    expect(fast.extended?.client).toMatch(/aria2/);
    expect(fast.extended?.extensions.ut_pex).toBeGreaterThan(0);
    expect(fast.pieceSet).toBe('have-all');
    expect(fast.verified).toEqual([0, 1, torrent.pieceHashes.length - 1]);
    const plain = await leech(port, torrent, {
      fast: false,
      pieces: torrent.pieceHashes.map((_, i) => i),
    });
    expect(plain.pieceSet).toBe('bitfield');
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
    const seeder = startProcess(transmissionCli!, [
      '-g',
      config,
      '-p',
      String(port),
      '-w',
      data,
      '-et',
      '-M',
      '-U',
      '-v',
      torrentPath,
    ]);
    await waitForPort(port);
    // It resets connections until its verification is done: retry for a while.
    const result = await retry(() => leech(port, torrent), PATIENCE_MS);
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

describe.skipIf(!mktorrent)('live: WebTorrent leecher downloads from our PeerConnection', () => {
  it.each([
    ['have-all (BEP 6)', true],
    ['a bitfield', false],
  ])(
    'serves every block it asks for after %s; WebTorrent verifies each piece and completes',
    async (_label, fast) => {
      const dir = await makeTempDir('bt-wire-serve-');
      const data = await writeDataFile(dir);
      const torrentPath = join(dir, 'data.torrent');
      await runMktorrent({
        program: mktorrent!,
        source: join(dir, 'data.bin'),
        output: torrentPath,
      });
      const torrentBytes = await readFile(torrentPath);
      const torrent = readTorrent(new Uint8Array(torrentBytes));
      const pieceCount = torrent.pieceHashes.length;

      const served: PeerConnection[] = [];
      let blocksServed = 0;
      const server = createServer((socket) => {
        const connection = new PeerConnection(socket, {
          peerId: new TextEncoder().encode('-BT0001-seedseedseed'),
          pieceCount,
          extensions: { fast },
        });
        served.push(connection);
        connection.on('message', (message) => {
          if (message.type === 'interested') connection.unchoke();
          if (message.type === 'request') {
            const start = message.index * torrent.pieceLength + message.begin;
            connection.sendPiece(
              message.index,
              message.begin,
              data.subarray(start, start + message.length),
            );
            blocksServed++;
          }
        });
        void (async () => {
          const theirs = await connection.receiveHandshake();
          await connection.handshake({ infoHash: theirs.infoHash });
          if (connection.fastExtension) connection.haveAll();
          else connection.bitfield(fullBitfield(pieceCount));
        })().catch(() => connection.destroy());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;

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
              added.addPeer(`127.0.0.1:${port}`);
            },
          );
        });
        const received = await readFile(join(downloads, 'data.bin'));
        expect(received.equals(data)).toBe(true);
        expect(served[0]?.fastExtension).toBe(fast);
        expect(blocksServed).toBeGreaterThanOrEqual(Math.ceil(data.length / 16384));
        expect(served[0]?.stats.payloadBytesSent).toBeGreaterThanOrEqual(data.length);
      } finally {
        await new Promise<void>((resolve) => client.destroy(() => resolve()));
        await Promise.all(served.map((connection) => connection.close()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );
});

/** A bitfield with every piece set and the spare bits of the last byte clear (BEP 3). */
function fullBitfield(pieceCount: number): Uint8Array {
  const bitfield = new Uint8Array(Math.ceil(pieceCount / 8)).fill(0xff);
  if (pieceCount % 8 !== 0) bitfield[bitfield.length - 1] = (0xff << (8 - (pieceCount % 8))) & 0xff;
  return bitfield;
}
