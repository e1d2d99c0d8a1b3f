import { ExtensionRegistry } from '@bt/wire';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { SessionError } from './errors.js';
import { ExtensionHost, type HostedPeer } from './extension-host.js';
import type { ExtensionPeer, TorrentExtension, TorrentExtensionHandler } from './extensions.js';
import type { ExtendedHandshake, Message, PeerWire } from './interfaces.js';

function fakePeer(id: number, sent: Message[], closed: Error[] = []): HostedPeer {
  const wire = {
    address: { family: 4 as const, host: '127.0.0.1', port: 6000 + id },
    peerId: new Uint8Array(20),
    capabilities: { fast: true, extended: true },
    incoming: false,
    start: () => undefined,
    send: (message: Message) => sent.push(message),
    sendRequests: () => undefined,
    sendPiece: () => undefined,
    bufferedBytes: 0,
    close: (error?: Error) => {
      if (error) closed.push(error);
    },
  } satisfies PeerWire;
  return { id, wire, isSeed: false };
}

function handshake(extensions: Record<string, number>, port?: number): ExtendedHandshake {
  return {
    extensions,
    port,
    client: 'test',
    yourIp: undefined,
    ipv4: undefined,
    ipv6: undefined,
    requestQueueLength: undefined,
    metadataSize: undefined,
    dictionary: new Map(),
  };
}

/** An extension recording every call its handler gets. */
function recorder(name: string, log: string[]): TorrentExtension {
  return {
    name,
    attach: (): TorrentExtensionHandler => ({
      handshake: () => ({ extra: { [`${name}_on`]: 1 } }),
      onPeerConnected: (peer) => log.push(`${name} connected ${peer.id}`),
      onHandshake: (peer) => log.push(`${name} handshake ${peer.id} ${peer.supports(name)}`),
      onMessage: (peer, payload) =>
        log.push(`${name} message ${peer.id} ${new TextDecoder().decode(payload)}`),
      onPeerClosed: (peer) => log.push(`${name} closed ${peer.id}`),
      tick: (now) => log.push(`${name} tick ${now}`),
      sources: () => [{ source: `[${name}]`, state: 'working', peers: 1 }],
      close: () => log.push(`${name} close`),
    }),
  };
}

function makeHost(extensions: TorrentExtension[], registry?: ExtensionRegistry) {
  const added: string[] = [];
  const controller = new AbortController();
  const host = new ExtensionHost({
    infoHash: new Uint8Array(20),
    description: () => undefined,
    publicDiscovery: true,
    clock: new ManualClock(),
    signal: () => controller.signal,
    extensions,
    registry,
    addPeers: (addresses, source) => added.push(...addresses.map((a) => `${a.port} ${source}`)),
    drop: (peer, error) => peer.wire.close(error),
  });
  return { host, added };
}

describe('ExtensionHost', () => {
  it('routes extended messages to the extension they name, by the wire or by the registry', () => {
    const log: string[] = [];
    const registry = new ExtensionRegistry(['ut_a', 'ut_b']);
    const { host } = makeHost([recorder('ut_a', log), recorder('ut_b', log)], registry);
    host.start();
    const peer = fakePeer(1, []);
    host.peerConnected(peer);
    const text = (value: string) => new TextEncoder().encode(value);
    host.onMessage(peer, { type: 'extended', id: 1, payload: text('named'), name: 'ut_a' });
    // a transport that does not name messages: the registry's id says which
    host.onMessage(peer, { type: 'extended', id: 2, payload: text('by-id') });
    // nobody registered id 9: ignored (BEP 10)
    host.onMessage(peer, { type: 'extended', id: 9, payload: text('nobody') });
    expect(log).toEqual([
      'ut_a connected 1',
      'ut_b connected 1',
      'ut_a message 1 named',
      'ut_b message 1 by-id',
    ]);
  });

  it("keeps the peer's extension ids, updated by later handshakes, and sends under them", () => {
    const log: string[] = [];
    const { host } = makeHost([recorder('ut_a', log)]);
    host.start();
    const sent: Message[] = [];
    const peer = fakePeer(1, sent);
    host.peerConnected(peer);
    const [view] = [...host.peers()] as ExtensionPeer[];
    expect(view!.send('ut_a', new Uint8Array([1]))).toBe(false);
    host.onMessage(peer, { type: 'extended-handshake', handshake: handshake({ ut_a: 7 }, 51413) });
    expect(view!.supports('ut_a')).toBe(true);
    expect(view!.listenPort).toBe(51413);
    expect(view!.send('ut_a', new Uint8Array([1]))).toBe(true);
    expect(sent).toEqual([{ type: 'extended', id: 7, payload: new Uint8Array([1]) }]);
    // BEP 10: id 0 in a later handshake turns the extension off
    host.onMessage(peer, { type: 'extended-handshake', handshake: handshake({ ut_a: 0 }) });
    expect(view!.supports('ut_a')).toBe(false);
    expect(view!.send('ut_a', new Uint8Array([2]))).toBe(false);
    expect(log).toEqual(['ut_a connected 1', 'ut_a handshake 1 true', 'ut_a handshake 1 false']);
  });

  it('tells handlers of closed peers, ticks, rows and their end; a closed peer sends nothing', () => {
    const log: string[] = [];
    const { host } = makeHost([recorder('ut_a', log)]);
    host.start();
    const sent: Message[] = [];
    const peer = fakePeer(3, sent);
    host.peerConnected(peer);
    host.onMessage(peer, { type: 'extended-handshake', handshake: handshake({ ut_a: 1 }) });
    const [view] = [...host.peers()] as ExtensionPeer[];
    host.tick(250);
    expect(host.sources(250)).toEqual([{ source: '[ut_a]', state: 'working', peers: 1 }]);
    expect(host.handshakeFields()).toEqual([{ extra: { ut_a_on: 1 } }]);
    host.peerClosed(peer);
    expect([...host.peers()]).toEqual([]);
    expect(view!.send('ut_a', new Uint8Array([1]))).toBe(false);
    expect(sent).toEqual([]);
    // messages of a peer the host no longer knows go nowhere
    host.onMessage(peer, { type: 'extended', id: 1, payload: new Uint8Array(), name: 'ut_a' });
    host.close();
    expect(log).toEqual([
      'ut_a connected 3',
      'ut_a handshake 3 true',
      'ut_a tick 250',
      'ut_a closed 3',
      'ut_a close',
    ]);
  });

  it('lets an extension stay out of a torrent, drop a peer and add peers', () => {
    const closed: Error[] = [];
    let seen: ExtensionPeer | undefined;
    const out: TorrentExtension = { name: 'ut_out', attach: () => undefined };
    const strict: TorrentExtension = {
      name: 'ut_strict',
      attach: (torrent) => ({
        onMessage: (peer) => {
          seen = peer;
          torrent.addPeers([{ family: 4, host: '10.0.0.1', port: 1 }], 'pex');
          peer.drop(new SessionError('peer-protocol', 'ut_strict: garbage'));
        },
      }),
    };
    const { host, added } = makeHost([out, strict]);
    host.start();
    const peer = fakePeer(1, [], closed);
    host.peerConnected(peer);
    host.onMessage(peer, { type: 'extended', id: 1, payload: new Uint8Array(), name: 'ut_out' });
    expect(seen).toBeUndefined();
    host.onMessage(peer, { type: 'extended', id: 2, payload: new Uint8Array(), name: 'ut_strict' });
    expect(seen?.id).toBe(1);
    expect(added).toEqual(['1 pex']);
    expect(closed.map((error) => error.message)).toEqual(['ut_strict: garbage']);
  });
});
