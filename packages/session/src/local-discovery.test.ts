import { fromHex, type PeerAddress } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import {
  type LocalDiscovery,
  type LocalDiscoveryOptions,
  type LocalDiscoveryTorrent,
  LocalPeerDiscoveryService,
  MAX_PEERS_PER_TORRENT,
} from './local-discovery.js';

const MINUTE = 60_000;
const hash = (n: number): Uint8Array => fromHex(n.toString(16).padStart(40, '0'));

function setup(port = 6881) {
  const sent: { infoHashes: string[]; port: number }[] = [];
  let options: LocalDiscoveryOptions | undefined;
  const fake: LocalDiscovery = {
    announce: (infoHashes, announcedPort) =>
      sent.push({
        infoHashes: infoHashes.map((each) => Buffer.from(each).toString('hex')),
        port: announcedPort,
      }),
    close: async () => undefined,
  };
  const torrents = new Map<string, LocalDiscoveryTorrent & { added: PeerAddress[] }>();
  const torrent = (n: number, publicDiscovery = true) => {
    const added: PeerAddress[] = [];
    const view = {
      infoHash: hash(n),
      active: true,
      publicDiscovery,
      added,
      addPeers: (addresses: readonly PeerAddress[]) => added.push(...addresses),
    };
    torrents.set(Buffer.from(hash(n)).toString('hex'), view);
    return view;
  };
  const service = new LocalPeerDiscoveryService({
    factory: async (given) => {
      options = given;
      return fake;
    },
    port: () => port,
    torrent: (infoHash) => torrents.get(Buffer.from(infoHash).toString('hex')),
  });
  return {
    service,
    sent,
    torrent,
    all: () => [...torrents.values()],
    hear: (infoHashes: Uint8Array[], peer: PeerAddress) => options!.onAnnounce(infoHashes, peer),
  };
}

const peer = (port: number): PeerAddress => ({ host: '192.168.1.7', port, family: 4 });

describe('LocalPeerDiscoveryService', () => {
  it('announces public active torrents at once and every 5 minutes, one announce a minute at most', async () => {
    const { service, sent, torrent, all } = setup();
    await service.start();
    torrent(1);
    service.tick(0, all());
    expect(sent).toEqual([{ infoHashes: [Buffer.from(hash(1)).toString('hex')], port: 6881 }]);
    torrent(2);
    service.tick(1000, all());
    expect(sent).toHaveLength(1);
    service.tick(MINUTE, all());
    expect(sent[1]!.infoHashes).toEqual([Buffer.from(hash(2)).toString('hex')]);
    service.tick(4 * MINUTE, all());
    expect(sent).toHaveLength(2);
    service.tick(5 * MINUTE, all());
    expect(sent[2]!.infoHashes).toEqual([Buffer.from(hash(1)).toString('hex')]);
  });

  it('never announces a private torrent (BEP 27), nor gives it peers; its row says why', async () => {
    const { service, sent, torrent, all, hear } = setup();
    await service.start();
    const secret = torrent(1, false);
    for (let minute = 0; minute < 10; minute++) service.tick(minute * MINUTE, all());
    expect(sent).toEqual([]);
    hear([hash(1)], peer(1000));
    expect(secret.added).toEqual([]);
    expect(service.rows(secret, 0, () => false)).toEqual([
      { source: '[Local Peer Discovery]', state: 'disabled', message: 'private torrent' },
    ]);
  });

  it('nothing is announced without a listening port', async () => {
    const { service, sent, torrent, all } = setup(0);
    await service.start();
    torrent(1);
    service.tick(0, all());
    expect(sent).toEqual([]);
  });

  it('gives announced peers to the torrents they name, bounded per torrent, and counts them in the row', async () => {
    const { service, torrent, hear } = setup();
    await service.start();
    const mine = torrent(1);
    hear([hash(1), hash(9)], peer(1000));
    expect(mine.added).toEqual([peer(1000)]);
    for (let port = 2000; port < 2000 + 2 * MAX_PEERS_PER_TORRENT; port++)
      hear([hash(1)], peer(port));
    expect(mine.added).toHaveLength(MAX_PEERS_PER_TORRENT);
    const [row] = service.rows(mine, 0, (address) => address === '192.168.1.7:1000');
    expect(row).toMatchObject({
      source: '[Local Peer Discovery]',
      state: 'working',
      peers: MAX_PEERS_PER_TORRENT,
      seeds: 1,
    });
  });

  it('has no row when turned off, and an error row when the socket cannot be opened', async () => {
    const off = new LocalPeerDiscoveryService({
      factory: undefined,
      port: () => 1,
      torrent: () => undefined,
    });
    await off.start();
    expect(off.rows({ infoHash: hash(1), publicDiscovery: true }, 0, () => false)).toEqual([]);
    const failing = new LocalPeerDiscoveryService({
      factory: () => Promise.reject(new Error('EADDRINUSE')),
      port: () => 1,
      torrent: () => undefined,
    });
    await failing.start();
    expect(failing.rows({ infoHash: hash(1), publicDiscovery: true }, 0, () => false)).toEqual([
      { source: '[Local Peer Discovery]', state: 'error', message: 'EADDRINUSE' },
    ]);
  });
});
