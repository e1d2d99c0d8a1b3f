/**
 * The peer shell over loopback TCP (`@bt/wire/node`): dial and listen, incoming peers routed by
 * the info-hash of their handshake, messages and piece blocks both ways over the shared read
 * buffer, and the transport's tick dropping a socket that never handshakes.
 */
import { connect, createServer } from 'node:net';
import { PATIENCE_MS } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeHandshake,
  ExtensionRegistry,
  type Message,
  type PeerWire,
  WireProtocolError,
} from '../src/index.js';
import { type IncomingTcpPeer, TcpTransport } from '../src/node.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 0x10 + i);
const unknownHash = Uint8Array.from({ length: 20 }, (_, i) => 0x80 + i);
const idA = new TextEncoder().encode('-BT0001-aaaaaaaaaaaa');
const idB = new TextEncoder().encode('-BT0001-bbbbbbbbbbbb');

const transports: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

function transport(options: ConstructorParameters<typeof TcpTransport>[0] = {}): TcpTransport {
  const made = new TcpTransport(options);
  transports.push(made);
  return made;
}

interface Started {
  messages: Message[];
  closed: Promise<Error | undefined>;
}

function start(wire: PeerWire): Started {
  let resolve!: (error: Error | undefined) => void;
  const started: Started = { messages: [], closed: new Promise((done) => (resolve = done)) };
  wire.start({
    onMessage: (message) => started.messages.push(structuredClone(message)),
    onClose: resolve,
  });
  return started;
}

function poll<T>(read: () => T) {
  return expect.poll(read, { timeout: PATIENCE_MS });
}

describe('TcpTransport (loopback)', () => {
  it('routes an incoming peer by info-hash, then carries messages and blocks both ways', async () => {
    const server = transport({ extensions: new ExtensionRegistry(['ut_pex']) });
    const accepted: PeerWire[] = [];
    const port = await server.listen(
      0,
      (peer: IncomingTcpPeer) => {
        expect(peer.address.host).toBe('127.0.0.1');
        expect(peer.handshake.peerId).toEqual(idA);
        if (peer.infoHash.every((byte, i) => byte === infoHash[i]))
          void peer.accept(idB, 64).then((wire) => accepted.push(wire));
        else peer.reject();
      },
      '127.0.0.1',
    );
    const client = transport({ extensions: new ExtensionRegistry(['ut_metadata', 'ut_pex']) });
    const wire = await client.dial(
      { host: '127.0.0.1', port, family: 4 },
      { infoHash, peerId: idA, pieceCount: 64 },
    );
    expect(wire.peerId).toEqual(idB);
    expect(wire.capabilities).toEqual({ fast: true, extended: true, dht: false });
    await poll(() => accepted.length).toBe(1);
    const incoming = accepted[0]!;
    expect(incoming.incoming).toBe(true);

    const atClient = start(wire);
    const atServer = start(incoming);
    wire.sendExtendedHandshake({ client: 'client' });
    incoming.sendExtendedHandshake({ client: 'server' });
    incoming.send({ type: 'have-all' });
    wire.send({ type: 'interested' });
    wire.sendRequests([{ index: 3, begin: 0, length: 16384 }]);
    await poll(() => atServer.messages.map((message) => message.type)).toEqual([
      'extended-handshake',
      'interested',
      'request',
    ]);
    const block = Uint8Array.from({ length: 16384 }, (_, i) => i & 0xff);
    let sent = 0;
    incoming.sendPiece(3, 0, block, () => sent++);
    incoming.sendExtended('ut_metadata', Uint8Array.of(1));
    await poll(() => atClient.messages.length).toBe(4);
    // the block was handed to the socket, once, so its memory may be reused by the sender
    expect(sent).toBe(1);
    expect(atClient.messages[2]).toEqual({ type: 'piece', index: 3, begin: 0, block });
    expect(atClient.messages[3]).toMatchObject({ type: 'extended', name: 'ut_metadata', id: 1 });
    expect(wire.remoteExtensions).toEqual({ ut_pex: 1 });

    wire.close();
    expect(await atServer.closed).toBeUndefined();
  });

  it('sets reserved bits per connection, dialled and accepted, over the transport’s', async () => {
    // both transports announce the DHT (BEP 5); a connection may turn it off (a BEP 27 torrent)
    const server = transport({ reserved: { dht: true } });
    const client = transport({ reserved: { dht: true } });
    const accepted: PeerWire[] = [];
    let acceptWithDht = true;
    const port = await server.listen(
      0,
      (peer: IncomingTcpPeer) =>
        void peer
          .accept(idB, 64, { reserved: { dht: acceptWithDht } })
          .then((wire) => accepted.push(wire)),
      '127.0.0.1',
    );
    const address = { host: '127.0.0.1', port, family: 4 as const };
    const bits = async (dialWithDht: boolean | undefined) => {
      const count = accepted.length;
      const wire = await client.dial(address, {
        infoHash,
        peerId: idA,
        pieceCount: 64,
        ...(dialWithDht === undefined ? {} : { reserved: { dht: dialWithDht } }),
      });
      await poll(() => accepted.length).toBe(count + 1);
      const incoming = accepted[count]!;
      const seen = {
        // what each side received: the other side's bit
        dialled: incoming.remoteHandshake!.extensions.dht,
        accepted: wire.remoteHandshake!.extensions.dht,
      };
      wire.close();
      incoming.close();
      return seen;
    };
    expect(await bits(undefined)).toEqual({ dialled: true, accepted: true });
    acceptWithDht = false;
    expect(await bits(false)).toEqual({ dialled: false, accepted: false });
    acceptWithDht = true;
    expect(await bits(true)).toEqual({ dialled: true, accepted: true });
  });

  it('an incoming peer for a torrent nobody has is rejected; a dial for it fails', async () => {
    const server = transport();
    const port = await server.listen(0, (peer) => peer.reject(), '127.0.0.1');
    const client = transport();
    await expect(
      client.dial({ host: '127.0.0.1', port, family: 4 }, { infoHash: unknownHash, peerId: idA }),
    ).rejects.toMatchObject({ code: 'connection-closed' });
  });

  it.each([
    [
      'answers for another torrent',
      'info-hash-mismatch',
      () => encodeHandshake({ infoHash: unknownHash, peerId: idB }),
    ],
    [
      'speaks another protocol',
      'invalid-handshake',
      () => new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n\r\n'),
    ],
  ])('a dial to a peer that %s fails with %s', async (_label, code, answer) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write(answer());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const error = await transport()
        .dial({ host: '127.0.0.1', port, family: 4 }, { infoHash, peerId: idA })
        .catch((caught: unknown) => caught);
      expect(WireProtocolError.isInstance(error)).toBe(true);
      expect((error as WireProtocolError).code).toBe(code);
    } finally {
      server.close();
    }
  });

  it('a socket that never handshakes is dropped by the transport tick', async () => {
    const server = transport({ handshakeTimeout: 200, tickInterval: 50 });
    let routed = 0;
    const port = await server.listen(0, () => routed++, '127.0.0.1');
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(Uint8Array.of(19)); // the start of a handshake, never finished
    await closed;
    expect(routed).toBe(0);
  });
});
