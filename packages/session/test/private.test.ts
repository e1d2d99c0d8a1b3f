/**
 * Private torrents (BEP 27) and the discovery that is on by default: the extension handshake we
 * actually send names `ut_pex` for a public torrent and leaves it out for a private one (read
 * off a raw socket); the session's DHT node is never asked to look up or announce a private
 * torrent; and a magnet, public until its metadata says private, takes the metadata from an
 * aria2 seeder the DHT gave it, then leaves that peer behind and downloads from the libtorrent
 * seeder the link named (a loopback DHT of `@bt/dht` nodes).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDht, type Dht } from '@bt/dht/node';
import { formatMagnet, type Metainfo } from '@bt/metainfo';
import { generatePeerId, toHex } from '@bt/primitives';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { encodeHandshake, WireDecoder, type ExtendedHandshake } from '@bt/wire';
import { createSession, type Session, type SessionDht, type SessionEvent } from '../src/index.js';
import { makePayload, makeTorrent, sha1File, startAria2Seeder } from './helpers.js';
import { requireLibtorrentPython, startMagnetSeeder } from './libtorrent.js';

const mktorrent = requireProgram('mktorrent');
const aria2 = requireProgram('aria2c');
const python = requireLibtorrentPython();
const sessions: Session[] = [];
const nodes: Dht[] = [];

afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await Promise.allSettled(nodes.map((node) => node.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

async function fixture(isPrivate: boolean, size = 300_000) {
  const dir = await makeTempDir();
  const payload = await makePayload(dir, 'payload.bin', size);
  const torrent = await makeTorrent(payload, join(dir, 'payload.torrent'), { private: isPrivate });
  expect(torrent.metainfo.private).toBe(isPrivate);
  return { dir, payload, ...torrent };
}

async function seeding(session: Session, metainfo: Metainfo, directory: string): Promise<void> {
  const torrent = await session.addTorrent(metainfo, { directory });
  await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
}

/** The extension handshake a session sends to a peer that connects to it for `metainfo`. */
async function extensionHandshakeSent(session: Session, metainfo: Metainfo) {
  const socket = connect({ host: '127.0.0.1', port: session.port });
  const decoder = new WireDecoder({ pieceCount: metainfo.pieceCount });
  try {
    return await new Promise<ExtendedHandshake>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('closed before its extension handshake')));
      socket.on('data', (chunk: Buffer) => {
        decoder.push(chunk);
        for (let item = decoder.next(); item; item = decoder.next())
          if (item.type === 'extended-handshake') resolve(item.handshake);
      });
      socket.write(
        encodeHandshake({
          infoHash: metainfo.infoHash,
          peerId: generatePeerId('-FK0001-'),
          extensions: { extended: true },
        }),
      );
    });
  } finally {
    socket.destroy();
  }
}

describe.skipIf(!mktorrent)('private torrents and default discovery', () => {
  it('sends ut_pex for a public torrent (peer exchange is on by default) and leaves it out for a private one', async () => {
    const open = await fixture(false);
    const secret = await fixture(true);
    const session = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(session);
    await seeding(session, open.metainfo, open.dir);
    await seeding(session, secret.metainfo, secret.dir);

    const publicHandshake = await extensionHandshakeSent(session, open.metainfo);
    expect(publicHandshake.extensions.ut_pex).toBeGreaterThan(0);
    expect(publicHandshake.extensions.ut_metadata).toBeGreaterThan(0);
    const privateHandshake = await extensionHandshakeSent(session, secret.metainfo);
    expect(Object.keys(privateHandshake.extensions)).not.toContain('ut_pex');
    expect(privateHandshake.extensions.ut_metadata).toBeGreaterThan(0);

    // the rows: peer exchange and local discovery are on, and off for the private torrent
    const rows = (metainfo: Metainfo) =>
      session
        .get(metainfo.infoHash)!
        .stats()
        .sources.filter((row) => row.source.startsWith('['));
    expect(rows(open.metainfo).map((row) => row.source)).toEqual(
      expect.arrayContaining(['[Peer Exchange]', '[Local Peer Discovery]']),
    );
    expect(rows(open.metainfo).every((row) => row.state !== 'disabled')).toBe(true);
    for (const row of rows(secret.metainfo))
      expect(row).toMatchObject({ state: 'disabled', message: 'private torrent' });
  });

  it('turns peer exchange and local discovery off when told', async () => {
    const open = await fixture(false);
    const session = await createSession({
      port: 0,
      host: '127.0.0.1',
      peerExchange: false,
      localDiscovery: false,
    });
    sessions.push(session);
    await seeding(session, open.metainfo, open.dir);
    const handshake = await extensionHandshakeSent(session, open.metainfo);
    expect(Object.keys(handshake.extensions)).toEqual(['ut_metadata']);
    const sources = session.get(open.metainfo.infoHash)!.stats().sources;
    expect(sources.map((row) => row.source)).not.toContain('[Peer Exchange]');
    expect(sources.map((row) => row.source)).not.toContain('[Local Peer Discovery]');
  });

  it('never asks the DHT to look up or announce a private torrent', async () => {
    const open = await fixture(false);
    const secret = await fixture(true);
    const node = await createDht({ host: '127.0.0.1', bootstrap: [] });
    nodes.push(node);
    // the session's DHT node, with every lookup and announce it is asked for written down
    const asked: { what: 'lookup' | 'announce'; infoHash: string }[] = [];
    const dht: SessionDht = {
      lookup(infoHash, options) {
        asked.push({ what: 'lookup', infoHash: toHex(infoHash) });
        return node.lookup(infoHash, options);
      },
      announce(infoHash, options) {
        asked.push({ what: 'announce', infoHash: toHex(infoHash) });
        return node.announce(infoHash, options);
      },
      addNode: (address) => node.addNode(address),
      address: () => node.address(),
      close: async () => undefined,
    };
    const session = await createSession({ port: 0, host: '127.0.0.1', dhtNode: dht });
    sessions.push(session);
    // the private one first: had it been looked up, that came before the public one's announce
    await seeding(session, secret.metainfo, secret.dir);
    await seeding(session, open.metainfo, open.dir);
    await waitFor(
      () =>
        asked.some(
          (each) => each.what === 'announce' && each.infoHash === open.metainfo.infoHashHex,
        ),
      { what: 'the public torrent to be announced on the DHT' },
    );
    expect(asked.filter((each) => each.infoHash === secret.metainfo.infoHashHex)).toEqual([]);
    const row = session
      .get(secret.metainfo.infoHash)!
      .stats()
      .sources.find((each) => each.source === '[DHT]');
    expect(row).toMatchObject({ state: 'disabled', message: 'private torrent' });
  });
});

describe.skipIf(!mktorrent || !aria2 || !python)('a magnet whose metadata says private', () => {
  it('takes the metadata from the peer the DHT gave, then leaves it behind and downloads from the one the link named', async () => {
    const secret = await fixture(true, 2 * 1024 * 1024 + 77);
    // named in the link (x.pe): libtorrent, which serves no metadata of a private torrent, so
    // the metadata can only come from the aria2 seeder that only the DHT knows of
    const named = await startMagnetSeeder(python!, {
      torrent: secret.file,
      dir: secret.dir,
      block: 47,
      nodes: 0,
      dht: false,
    });
    const fromDht = await startAria2Seeder(secret.file, secret.dir);
    const loopbackDht = await createDht({ host: '127.0.0.1', bootstrap: [] });
    nodes.push(loopbackDht);
    const entry = `127.0.0.1:${loopbackDht.address().port}`;
    const announcer = await createDht({ host: '127.0.0.1', bootstrap: [entry] });
    nodes.push(announcer);
    const announced = await announcer.announce(secret.metainfo.infoHash, { port: fromDht.port });
    expect(announced.acknowledged).toBeGreaterThan(0);

    const session = await createSession({
      port: 0,
      host: '127.0.0.1',
      dht: true,
      dhtBootstrap: [entry],
    });
    sessions.push(session);
    const events: SessionEvent[] = [];
    session.onEvent((event) => events.push(event));
    const dir = await makeTempDir();
    const pending = session.addMagnet(
      formatMagnet({ infoHash: secret.metainfo.infoHash, peers: [named.seeder] }),
      { directory: dir },
    );
    const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
    expect(torrent.description.private).toBe(true);
    const dhtPeer = `127.0.0.1:${fromDht.port}`;
    const namedPeer = `${named.seeder.host}:${named.seeder.port}`;
    const connected = (from: number) =>
      events
        .slice(from)
        .filter((event) => event.type === 'peer-connected')
        .map((event) => ('address' in event ? event.address : undefined));
    // public until then: the DHT's seeder was found and connected for the metadata
    expect(connected(0)).toContain(dhtPeer);
    // then private: the torrent knows the link's peer, not the DHT's
    const known = torrent.registry
      .known()
      .map(({ address, source }) => `${source} ${address.host}:${address.port}`);
    expect(known).toContain(`magnet ${namedPeer}`);
    expect(known.filter((each) => each.endsWith(` ${dhtPeer}`))).toEqual([]);
    const handedOver = events.length;
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(secret.payload));

    // once private: the DHT's seeder is never dialled again; the link's peer gave the file
    expect(connected(handedOver)).toContain(namedPeer);
    expect(connected(handedOver)).not.toContain(dhtPeer);
    expect(
      events
        .slice(handedOver)
        .some((event) => event.type === 'peer-failed' && event.address === dhtPeer),
    ).toBe(false);
    const rows = torrent.stats().sources;
    expect(rows.find((row) => row.source === '[DHT]')).toMatchObject({
      state: 'disabled',
      message: 'private torrent',
    });
    expect(rows.find((row) => row.source === '[Peer Exchange]')).toMatchObject({
      state: 'disabled',
    });
  });
});
