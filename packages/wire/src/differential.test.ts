/**
 * Differential test against npm `bittorrent-protocol` (WebTorrent's wire) with its `ut_metadata`
 * and `ut_pex` extensions, in-process: its output is fed to our decoder and our encoder's output
 * to it, for every message type in both directions, the BEP 10 handshake, and BEP 9 and BEP 11
 * payloads.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the reference implementation is untyped JavaScript */
import Wire from 'bittorrent-protocol';
import utMetadata from 'ut_metadata';
import utPex from 'ut_pex';
import { createHash } from 'node:crypto';
import { encode } from '@bt/bencode';
import { describe, expect, it } from 'vitest';
import { plain } from '../test/messages.js';
import { WireDecoder } from './decoder.js';
import { encodeExtended, encodeMessage } from './encode.js';
import { encodeExtendedHandshake } from './extended-handshake.js';
import { encodeHandshake } from './handshake.js';
import type { Message, WireItem } from './messages.js';
import { decodeMetadataMessage, encodeMetadataMessage } from './metadata.js';
import { decodePexMessage, encodePexMessage, PexFlags } from './pex.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
const ourPeerId = new TextEncoder().encode('-BT0001-abcdefghijkl');
const theirPeerId = new TextEncoder().encode('-WW0001-mnopqrstuvwx');
/** Stands in for an info dictionary (ut_metadata checks nothing but its size here). */
const metadata = encode({
  name: 'x',
  'piece length': 16384,
  pieces: new Uint8Array(20 * 3000),
  length: 3000 * 16384,
});

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

interface Harness {
  wire: any;
  /** Everything our decoder read from their wire so far (taken and cleared). */
  take: () => WireItem[];
  /** Writes our bytes to their wire and lets its stream process them. */
  send: (bytes: Uint8Array) => Promise<void>;
  events: [string, ...unknown[]][];
}

/** Their wire with ut_metadata and ut_pex, handshaken with us (both BEP 6 and BEP 10). */
async function connect(): Promise<Harness> {
  const wire = new Wire();
  wire.use(utMetadata(metadata));
  wire.use(utPex());
  const decoder = new WireDecoder();
  let items: WireItem[] = [];
  wire.on('data', (chunk: Uint8Array) => {
    decoder.push(chunk);
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
  });
  const events: [string, ...unknown[]][] = [];
  for (const name of [
    'keep-alive',
    'choke',
    'unchoke',
    'interested',
    'uninterested',
    'have',
    'bitfield',
    'request',
    'piece',
    'cancel',
    'port',
    'suggest',
    'have-all',
    'have-none',
    'reject',
    'allowed-fast',
    'extended',
    'handshake',
  ]) {
    wire.on(name, (...args: unknown[]) => events.push([name, ...args]));
  }
  wire.on('handshake', () => wire.handshake(infoHash, theirPeerId, { dht: true, fast: true }));
  const send = async (bytes: Uint8Array): Promise<void> => {
    wire.write(bytes);
    await settle();
  };
  await send(
    encodeHandshake({
      infoHash,
      peerId: ourPeerId,
      extensions: { extended: true, fast: true, dht: true },
    }),
  );
  return {
    wire,
    events,
    send,
    take: () => {
      const taken = items;
      items = [];
      return taken;
    },
  };
}

/** Every BEP 3 and BEP 6 message once, in id order, the piece carrying `block`. */
function everyBep3AndBep6Message(block: Uint8Array): Message[] {
  return [
    { type: 'keep-alive' },
    { type: 'unchoke' },
    { type: 'choke' },
    { type: 'interested' },
    { type: 'not-interested' },
    { type: 'have', index: 41 },
    { type: 'bitfield', bitfield: Uint8Array.of(0b1010_0000, 0xff) },
    { type: 'request', index: 3, begin: 16384, length: 16384 },
    { type: 'piece', index: 3, begin: 16384, block },
    { type: 'cancel', index: 3, begin: 16384, length: 16384 },
    { type: 'port', port: 6881 },
    { type: 'suggest', index: 5 },
    { type: 'have-all' },
    { type: 'have-none' },
    { type: 'reject', index: 6, begin: 0, length: 16384 },
    { type: 'allowed-fast', index: 7 },
  ];
}

describe('differential: bittorrent-protocol → our decoder', () => {
  it('reads its handshake with BEP 5/6/10 bits and its extension handshake', async () => {
    const { take, events } = await connect();
    expect(events[0]?.[0]).toBe('handshake');
    expect(events[0]?.[1]).toBe(hex(infoHash));
    expect(events[0]?.[2]).toBe(hex(ourPeerId));
    expect(events[0]?.[3]).toEqual({ dht: true, fast: true, extended: true });
    const [handshake, extended] = take();
    expect(handshake?.type).toBe('handshake');
    if (handshake?.type !== 'handshake') return;
    expect(handshake.infoHash).toEqual(infoHash);
    expect(handshake.peerId).toEqual(theirPeerId);
    expect(handshake.extensions).toEqual({ extended: true, fast: true, dht: true });
    expect(extended?.type).toBe('extended-handshake');
    if (extended?.type !== 'extended-handshake') return;
    expect(extended.handshake.extensions).toEqual({ ut_metadata: 1, ut_pex: 2 });
    expect(extended.handshake.metadataSize).toBe(metadata.length);
  });

  it('reads every BEP 3 and BEP 6 message it writes', async () => {
    const { wire, take, send } = await connect();
    take();
    await send(encodeMessage({ type: 'unchoke' })); // it only requests from a peer that unchokes it
    const block = Uint8Array.from({ length: 16384 }, (_, i) => i % 251);
    wire.keepAlive();
    wire.unchoke();
    wire.choke();
    wire.interested();
    wire.uninterested();
    wire.have(41);
    wire.bitfield(Uint8Array.of(0b1010_0000, 0xff));
    wire.request(3, 16384, 16384, () => undefined);
    wire.piece(3, 16384, block);
    wire.cancel(3, 16384, 16384);
    wire.port(6881);
    wire.suggest(5);
    wire.haveAll();
    wire.haveNone();
    wire.reject(6, 0, 16384);
    wire.allowedFast(7);
    await settle();
    const expected = everyBep3AndBep6Message(block);
    expect(plain(take())).toEqual(plain(expected));
  });

  it('answers our ut_metadata request with a data message we decode (BEP 9)', async () => {
    const { take, send } = await connect();
    take();
    await send(
      encodeExtended(0, encodeExtendedHandshake({ extensions: { ut_metadata: 3, ut_pex: 4 } })),
    );
    await send(encodeExtended(1, encodeMetadataMessage({ type: 'request', piece: 1 })));
    const [reply] = take();
    expect(reply?.type).toBe('extended');
    if (reply?.type !== 'extended') return;
    expect(reply.id).toBe(3);
    const data = decodeMetadataMessage(reply.payload);
    expect(data).toEqual({
      type: 'data',
      piece: 1,
      totalSize: metadata.length,
      data: metadata.subarray(16384, 32768),
    });
  });

  it('sends ut_metadata requests we decode when it fetches', async () => {
    const wire = new Wire();
    wire.use(utMetadata());
    const decoder = new WireDecoder();
    const items: WireItem[] = [];
    wire.on('data', (chunk: Uint8Array) => {
      decoder.push(chunk);
      for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
    });
    wire.handshake(infoHash, theirPeerId, { fast: true });
    wire.ut_metadata.fetch();
    wire.write(encodeHandshake({ infoHash, peerId: ourPeerId, extensions: { extended: true } }));
    wire.write(
      encodeExtended(
        0,
        encodeExtendedHandshake({ extensions: { ut_metadata: 9 }, metadataSize: 40_000 }),
      ),
    );
    await settle();
    const requests = items.filter((item) => item.type === 'extended');
    expect(
      requests.map(
        (item) => item.type === 'extended' && [item.id, decodeMetadataMessage(item.payload)],
      ),
    ).toEqual([
      [9, { type: 'request', piece: 0 }],
      [9, { type: 'request', piece: 1 }],
      [9, { type: 'request', piece: 2 }],
    ]);
  });

  it('sends ut_pex messages we decode (BEP 11), IPv4 and IPv6 with flags', async () => {
    const { wire, take, send } = await connect();
    take();
    await send(
      encodeExtended(0, encodeExtendedHandshake({ extensions: { ut_metadata: 3, ut_pex: 4 } })),
    );
    wire.ut_pex.addPeer('192.0.2.1:6881', { isSender: true, isReachable: true });
    wire.ut_pex.addPeer('192.0.2.2:6882', {});
    wire.ut_pex.addPeer6('[2001:db8::5]:51413', { supportsUtp: true });
    wire.ut_pex.dropPeer('198.51.100.3:80');
    wire.ut_pex.dropPeer6('[2001:db8::6]:81');
    wire.ut_pex._sendMessage();
    await settle();
    const [message] = take();
    expect(message?.type).toBe('extended');
    if (message?.type !== 'extended') return;
    expect(message.id).toBe(4);
    expect(decodePexMessage(message.payload)).toEqual({
      added: [
        { host: '192.0.2.1', port: 6881, family: 4, flags: PexFlags.seed | PexFlags.reachable },
        { host: '192.0.2.2', port: 6882, family: 4, flags: 0 },
        { host: '2001:db8::5', port: 51413, family: 6, flags: PexFlags.utp },
      ],
      dropped: [
        { host: '198.51.100.3', port: 80, family: 4 },
        { host: '2001:db8::6', port: 81, family: 6 },
      ],
    });
  });
});

describe('differential: our encoder → bittorrent-protocol', () => {
  it('is read as our handshake and extension handshake', async () => {
    const { wire, send, events } = await connect();
    await send(
      encodeExtended(
        0,
        encodeExtendedHandshake({
          extensions: { ut_metadata: 3, ut_pex: 4 },
          client: 'bt/0.1',
          port: 6881,
          requestQueueLength: 250,
          metadataSize: 1234,
          yourIp: '127.0.0.1',
        }),
      ),
    );
    expect(wire.peerExtensions).toEqual({ dht: true, fast: true, extended: true });
    expect(wire.hasFast).toBe(true);
    const handshake = events.find(
      (event) => event[0] === 'extended' && event[1] === 'handshake',
    )?.[2] as any;
    expect(handshake.m).toEqual({ ut_metadata: 3, ut_pex: 4 });
    expect(new TextDecoder().decode(handshake.v)).toBe('bt/0.1');
    expect([handshake.p, handshake.reqq, handshake.metadata_size]).toEqual([6881, 250, 1234]);
    expect(Array.from(handshake.yourip as Uint8Array)).toEqual([127, 0, 0, 1]);
    expect(wire.peerExtendedMapping).toEqual({ ut_metadata: 3, ut_pex: 4 });
  });

  it('reads every BEP 3 and BEP 6 message we write', async () => {
    const { wire, send, events } = await connect();
    wire.unchoke(); // it drops requests from a peer it chokes
    events.length = 0;
    const block = Uint8Array.from({ length: 16384 }, (_, i) => (i * 7) % 256);
    const messages: Message[] = [
      ...everyBep3AndBep6Message(block),
      { type: 'extended', id: 1, payload: encodeMetadataMessage({ type: 'reject', piece: 0 }) },
    ];
    // One write for all of them, as a socket would deliver a burst.
    const bytes = messages.map(encodeMessage);
    const all = new Uint8Array(bytes.reduce((sum, part) => sum + part.length, 0));
    bytes.reduce((offset, part) => (all.set(part, offset), offset + part.length), 0);
    await send(all);
    const seen = events.map(([name, ...args]) =>
      name === 'bitfield'
        ? [name, Array.from((args[0] as any).buffer as Uint8Array)]
        : name === 'request'
          ? [name, ...args.slice(0, 3)]
          : [name, ...args],
    );
    expect(plain(seen)).toEqual(
      plain([
        ['keep-alive'],
        ['unchoke'],
        ['choke'],
        ['interested'],
        ['uninterested'],
        ['have', 41],
        ['bitfield', [0b1010_0000, 0xff]],
        ['request', 3, 16384, 16384],
        ['piece', 3, 16384, block],
        ['cancel', 3, 16384, 16384],
        ['port', 6881],
        ['suggest', 5],
        ['have-all'],
        ['have-none'],
        ['reject', 6, 0, 16384],
        ['allowed-fast', 7],
        ['extended', 'ut_metadata', encodeMetadataMessage({ type: 'reject', piece: 0 })],
      ]),
    );
  });

  it('assembles the metadata it fetches from our ut_metadata data messages (BEP 9)', async () => {
    // ut_metadata checks the SHA-1 of what it assembles against the info-hash: use the real one.
    const realHash = createHash('sha1').update(metadata).digest();
    const wire = new Wire();
    wire.use(utMetadata());
    const requests: number[] = [];
    const decoder = new WireDecoder();
    wire.on('data', (chunk: Uint8Array) => {
      decoder.push(chunk);
      for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
        if (item.type !== 'extended') continue;
        const message = decodeMetadataMessage(item.payload);
        if (message.type === 'request') requests.push(message.piece);
      }
    });
    const assembled = new Promise<Uint8Array>((resolve) =>
      wire.ut_metadata.on('metadata', resolve),
    );
    wire.handshake(realHash, theirPeerId, {});
    wire.ut_metadata.fetch();
    wire.write(
      encodeHandshake({ infoHash: realHash, peerId: ourPeerId, extensions: { extended: true } }),
    );
    wire.write(
      encodeExtended(
        0,
        encodeExtendedHandshake({ extensions: { ut_metadata: 9 }, metadataSize: metadata.length }),
      ),
    );
    await settle();
    const pieceCount = Math.ceil(metadata.length / 16384);
    expect(requests).toEqual(Array.from({ length: pieceCount }, (_, i) => i));
    for (const piece of requests) {
      const data = metadata.subarray(piece * 16384, (piece + 1) * 16384);
      // Their id for ut_metadata is 1, the first extension it registered.
      wire.write(
        encodeExtended(
          1,
          encodeMetadataMessage({ type: 'data', piece, totalSize: metadata.length, data }),
        ),
      );
    }
    const torrent = await assembled;
    // It hands back `d4:info<metadata>e`: our bytes, intact.
    expect(
      Buffer.from(torrent)
        .subarray(7, 7 + metadata.length)
        .equals(metadata),
    ).toBe(true);
  });

  it('reads our ut_pex payload as the same peers and flags (BEP 11)', async () => {
    const { wire, send } = await connect();
    await send(encodeExtended(0, encodeExtendedHandshake({ extensions: { ut_pex: 4 } })));
    const peers: [string, unknown][] = [];
    const dropped: string[] = [];
    wire.ut_pex.on('peer', (peer: string, flags: unknown) => peers.push([peer, flags]));
    wire.ut_pex.on('dropped', (peer: string) => dropped.push(peer));
    const payload = encodePexMessage({
      added: [
        {
          host: '192.0.2.1',
          port: 6881,
          family: 4,
          flags: PexFlags.encryption | PexFlags.holepunch,
        },
        { host: '2001:db8::5', port: 51413, family: 6, flags: PexFlags.reachable },
      ],
      dropped: [
        { host: '198.51.100.3', port: 80, family: 4 },
        { host: '2001:db8::6', port: 81, family: 6 },
      ],
    });
    await send(encodeExtended(2, payload)); // their ut_pex id
    const none = {
      prefersEncryption: false,
      isSender: false,
      supportsUtp: false,
      supportsUtHolepunch: false,
      isReachable: false,
    };
    expect(peers).toEqual([
      ['192.0.2.1:6881', { ...none, prefersEncryption: true, supportsUtHolepunch: true }],
      ['[2001:db8::5]:51413', { ...none, isReachable: true }],
    ]);
    expect(dropped).toEqual(['198.51.100.3:80', '[2001:db8::6]:81']);
  });
});
