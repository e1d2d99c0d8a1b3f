/** PeerConnection over loopback TCP: ours against ours, and against a raw hostile socket. */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  encodeHandshake,
  encodeMessage,
  PeerConnection,
  WireConnectionError,
  WireError,
  WireProtocolError,
} from '../src/index.js';
import {
  connectedPair,
  infoHash,
  type Listener,
  listen,
  nextOfType,
  type Pair,
  peerIdA,
  peerIdB,
} from './loopback.js';

let listener: Listener;
const open: PeerConnection[] = [];

beforeAll(async () => {
  listener = await listen();
});
afterAll(async () => {
  await listener.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((connection) => connection.close()));
});

async function pair(
  ...options: Parameters<typeof connectedPair> extends [unknown, ...infer Rest] ? Rest : never
): Promise<Pair> {
  const result = await connectedPair(listener, ...options);
  open.push(result.outgoing, result.incoming);
  return result;
}

async function rejection(promise: Promise<unknown>): Promise<WireError> {
  try {
    await promise;
  } catch (error) {
    expect(WireError.isInstance(error)).toBe(true);
    return error as WireError;
  }
  throw new Error('expected a rejection');
}

describe('PeerConnection', () => {
  it('handshakes both ways, negotiates BEP 6 and BEP 10, exchanges extension handshakes', async () => {
    const { outgoing, incoming } = await pair(
      { extendedHandshake: { extensions: { ut_metadata: 1 }, client: 'A' } },
      { extendedHandshake: { extensions: { ut_pex: 7 }, client: 'B', metadataSize: 99 } },
    );
    expect(outgoing.remoteHandshake?.peerId).toEqual(peerIdB);
    expect(incoming.remoteHandshake?.peerId).toEqual(peerIdA);
    expect(incoming.remoteHandshake?.infoHash).toEqual(infoHash);
    expect(outgoing.fastExtension && outgoing.extensionProtocol).toBe(true);
    const [fromB, fromA] = await Promise.all([
      outgoing.receiveExtendedHandshake(),
      incoming.receiveExtendedHandshake(),
    ]);
    expect(fromB?.client).toBe('B');
    expect(fromB?.metadataSize).toBe(99);
    expect(outgoing.remoteExtensions).toEqual({ ut_pex: 7 });
    expect(fromA?.client).toBe('A');
    expect(incoming.remoteExtensions).toEqual({ ut_metadata: 1 });
  });

  it('resolves the extension handshake as undefined when the peer lacks BEP 10', async () => {
    const { outgoing, incoming } = await pair({}, { extensions: { extended: false } });
    expect(await outgoing.receiveExtendedHandshake()).toBeUndefined();
    expect(outgoing.extensionProtocol).toBe(false);
    expect(() => incoming.sendExtended('ut_pex', new Uint8Array(1))).toThrow(WireConnectionError);
  });

  it('tracks the four choke and interest states', async () => {
    const { outgoing, incoming } = await pair();
    const messages = incoming.messages();
    expect([
      outgoing.amChoking,
      outgoing.amInterested,
      outgoing.peerChoking,
      outgoing.peerInterested,
    ]).toEqual([true, false, true, false]);
    outgoing.interested();
    outgoing.unchoke();
    await nextOfType(messages, 'unchoke');
    expect(incoming.peerInterested).toBe(true);
    expect(incoming.peerChoking).toBe(false);
    outgoing.notInterested();
    outgoing.choke();
    await nextOfType(messages, 'choke');
    expect(incoming.peerInterested).toBe(false);
    expect(incoming.peerChoking).toBe(true);
  });

  it('requests blocks and receives them, counting bytes both ways', async () => {
    // The rates are read on the wall clock over a 5 s window: a loaded machine can let that
    // window pass between the last block and the read. One instant for the whole test keeps the
    // verdict on the counting, not on the machine's speed (RateMeter's own tests cover time).
    const instant = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
    onTestFinished(() => instant.mockRestore());
    const { outgoing, incoming } = await pair();
    const served = incoming.messages();
    incoming.unchoke();
    await nextOfType(outgoing.messages(), 'unchoke');
    const blocks = [0, 1, 2, 3].map((i) =>
      Uint8Array.from({ length: 16384 }, (_, j) => (i * 31 + j) % 256),
    );
    const replies = blocks.map((_, i) =>
      outgoing.request({ index: 5, begin: i * 16384, length: 16384 }),
    );
    expect(outgoing.stats.pendingRequests).toBe(4);
    for (let i = 0; i < 4; i++) {
      const request = await nextOfType(served, 'request');
      expect(request).toEqual({ type: 'request', index: 5, begin: i * 16384, length: 16384 });
      incoming.sendPiece(5, i * 16384, blocks[i]!);
    }
    expect(await Promise.all(replies)).toEqual(blocks);
    expect(outgoing.stats.payloadBytesReceived).toBe(4 * 16384);
    expect(incoming.stats.payloadBytesSent).toBe(4 * 16384);
    expect(outgoing.stats.bytesReceived).toBe(incoming.stats.bytesSent);
    expect(outgoing.stats.pendingRequests).toBe(0);
    expect(outgoing.stats.payloadDownloadRate).toBeGreaterThan(0);
  });

  it('refuses to request while choked, and settles requests on a choke without BEP 6', async () => {
    const { outgoing, incoming } = await pair({ extensions: { fast: false } });
    expect((await rejection(outgoing.request({ index: 0, begin: 0, length: 16384 }))).code).toBe(
      'choked',
    );
    incoming.unchoke();
    const messages = outgoing.messages();
    await nextOfType(messages, 'unchoke');
    const pending = outgoing.request({ index: 0, begin: 0, length: 16384 });
    incoming.choke();
    expect((await rejection(pending)).code).toBe('choked');
  });

  it('with BEP 6: keeps requests across a choke, settles them on reject; rejects requests of a choked peer', async () => {
    const { outgoing, incoming } = await pair();
    const served = incoming.messages();
    incoming.unchoke();
    const messages = outgoing.messages();
    await nextOfType(messages, 'unchoke');
    const pending = outgoing.request({ index: 1, begin: 0, length: 16384 });
    await nextOfType(served, 'request');
    incoming.choke(); // BEP 6: the choker rejects what it will not serve
    await nextOfType(messages, 'choke');
    const error = await rejection(pending);
    expect(error.code).toBe('request-rejected');
    expect(WireConnectionError.isInstance(error) && error.request).toEqual({
      index: 1,
      begin: 0,
      length: 16384,
    });
    // A request that reaches a choking peer with BEP 6 is answered with reject automatically.
    outgoing.send({ type: 'request', index: 2, begin: 0, length: 16384 });
    expect(await nextOfType(messages, 'reject')).toEqual({
      type: 'reject',
      index: 2,
      begin: 0,
      length: 16384,
    });
    expect(incoming.stats.peerRequests).toBe(0);
  });

  it('lets allowed-fast pieces be requested while choked (BEP 6)', async () => {
    const { outgoing, incoming } = await pair();
    const served = incoming.messages();
    incoming.allowedFast(3);
    await nextOfType(outgoing.messages(), 'allowed-fast');
    const reply = outgoing.request({ index: 3, begin: 0, length: 4 });
    await nextOfType(served, 'request');
    incoming.sendPiece(3, 0, Uint8Array.of(1, 2, 3, 4));
    expect(await reply).toEqual(Uint8Array.of(1, 2, 3, 4));
  });

  it('times a request out and cancels it', async () => {
    const { outgoing, incoming } = await pair({ requestTimeout: 100 });
    const served = incoming.messages();
    incoming.unchoke();
    await nextOfType(outgoing.messages(), 'unchoke');
    const error = await rejection(outgoing.request({ index: 0, begin: 0, length: 16384 }));
    expect(error.code).toBe('request-timeout');
    expect(await nextOfType(served, 'cancel')).toEqual({
      type: 'cancel',
      index: 0,
      begin: 0,
      length: 16384,
    });
  });

  it('aborts a request with its signal, sending cancel', async () => {
    const { outgoing, incoming } = await pair();
    const served = incoming.messages();
    incoming.unchoke();
    await nextOfType(outgoing.messages(), 'unchoke');
    const controller = new AbortController();
    const reply = outgoing.request(
      { index: 0, begin: 0, length: 16384 },
      { signal: controller.signal },
    );
    await nextOfType(served, 'request');
    controller.abort();
    expect((await rejection(reply)).code).toBe('aborted');
    expect(await nextOfType(served, 'cancel')).toEqual({
      type: 'cancel',
      index: 0,
      begin: 0,
      length: 16384,
    });
    expect(incoming.stats.peerRequests).toBe(0);
  });

  it('sends keep-alives when quiet, and drops a peer silent past its idle limit', async () => {
    const { outgoing, incoming } = await pair({ keepAliveInterval: 60 }, { idleTimeout: 100_000 });
    await nextOfType(incoming.messages(), 'keep-alive');
    const silent = await pair({ idleTimeout: 150 }, { keepAliveInterval: 1_000_000 });
    const closed = new Promise<WireError | undefined>((resolve) =>
      silent.outgoing.on('close', resolve),
    );
    expect((await closed)?.code).toBe('idle-timeout');
    expect(silent.outgoing.closeReason?.code).toBe('idle-timeout');
    void outgoing;
  });

  it('close() settles every pending request and ends the message stream', async () => {
    const { outgoing, incoming } = await pair();
    incoming.unchoke();
    const messages = outgoing.messages();
    await nextOfType(messages, 'unchoke');
    const pending = [0, 1, 2].map((i) =>
      rejection(outgoing.request({ index: 0, begin: i * 16384, length: 16384 })),
    );
    await outgoing.close();
    for (const request of pending) expect((await request).code).toBe('connection-closed');
    expect(await messages.next()).toEqual({ value: undefined, done: true });
    const remoteEnd = incoming.messages();
    for (;;) if ((await remoteEnd.next()).done) break;
    expect(incoming.closed).toBe(true);
  });

  it('closes on an info-hash it did not ask for', async () => {
    const accepted = listener.accept();
    const outgoing = await PeerConnection.connect(
      { host: '127.0.0.1', port: listener.port },
      { peerId: peerIdA, infoHash },
    );
    const incoming = new PeerConnection(await accepted, {
      peerId: peerIdB,
      infoHash: new Uint8Array(20).fill(9),
    });
    open.push(outgoing, incoming);
    const failed = incoming.handshake();
    void outgoing.handshake().catch(() => undefined);
    const error = await rejection(failed);
    expect(error.code).toBe('info-hash-mismatch');
    expect(WireProtocolError.isInstance(error)).toBe(true);
  });

  it('reports write backpressure, waits for drain, and refuses to buffer past its limit', async () => {
    const { outgoing, incoming } = await pair(
      {},
      { writeHighWaterMark: 64 * 1024, maxWriteBuffer: 1024 * 1024 },
    );
    // Stop reading on the receiving side so the sender's buffer fills.
    const messages = outgoing.messages();
    await Promise.resolve();
    const block = new Uint8Array(16384);
    let writes = 0;
    let full = false;
    try {
      for (; writes < 10_000; writes++) {
        if (!incoming.sendPiece(0, writes * 16384, block)) full = true;
      }
    } catch (error) {
      expect(WireConnectionError.isInstance(error) && error.code).toBe('write-buffer-full');
    }
    expect(full).toBe(true);
    expect(incoming.writable).toBe(false);
    expect(incoming.stats.bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
    // Reading resumes (the iterator drains) and the buffer drains.
    const drained = incoming.drained();
    for (let read = 0; read < writes; read++) await messages.next();
    await drained;
    expect(incoming.writable).toBe(true);
  });

  it('pauses reading when nobody consumes its messages, losing none', async () => {
    const { outgoing, incoming } = await pair({}, { messageQueueLength: 8 });
    for (let i = 0; i < 200; i++) outgoing.have(i);
    // Nothing iterates yet: the incoming side holds at most its queue (plus one chunk) and pauses.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const seen: number[] = [];
    for await (const message of incoming.messages()) {
      if (message.type === 'have') seen.push(message.index);
      if (seen.length === 200) break;
    }
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});

describe('PeerConnection edges', () => {
  it('drops a peer that does not handshake in time', async () => {
    const accepted = listener.accept();
    const socket = connect({ host: '127.0.0.1', port: listener.port });
    const connection = new PeerConnection(await accepted, {
      peerId: peerIdB,
      handshakeTimeout: 100,
    });
    open.push(connection);
    expect((await rejection(connection.receiveHandshake())).code).toBe('handshake-timeout');
    socket.destroy();
  });

  it('ends an iteration whose signal aborts while it waits', async () => {
    const { outgoing } = await pair();
    const controller = new AbortController();
    const messages = outgoing.messages({ signal: controller.signal });
    const drained = rejection(
      (async () => {
        for (;;) await messages.next(); // takes what is queued, then waits
      })(),
    );
    setTimeout(() => controller.abort(), 20);
    expect((await drained).code).toBe('aborted');
    // A new iteration may start once the aborted one is over.
    expect(() => outgoing.messages()).not.toThrow();
  });

  it('sends extended messages under the id the peer chose, and passes unrequested blocks through', async () => {
    const { outgoing, incoming } = await pair(
      {},
      { extendedHandshake: { extensions: { ut_pex: 9 } } },
    );
    await outgoing.receiveExtendedHandshake();
    const messages = incoming.messages();
    outgoing.sendExtended('ut_pex', Uint8Array.of(100, 101));
    expect(await nextOfType(messages, 'extended')).toEqual({
      type: 'extended',
      id: 9,
      payload: Uint8Array.of(100, 101),
    });
    outgoing.sendPiece(0, 0, Uint8Array.of(1, 2, 3));
    expect(await nextOfType(messages, 'piece')).toEqual({
      type: 'piece',
      index: 0,
      begin: 0,
      block: Uint8Array.of(1, 2, 3),
    });
    expect(incoming.stats.payloadBytesReceived).toBe(3);
  });

  it('aborts the whole connection with its signal', async () => {
    const controller = new AbortController();
    const { outgoing } = await pair({ signal: controller.signal });
    const closed = new Promise<WireError | undefined>((resolve) => outgoing.on('close', resolve));
    controller.abort();
    expect((await closed)?.code).toBe('aborted');
  });
});

describe('PeerConnection against hostile bytes', () => {
  async function hostile(
    bytes: Uint8Array,
    options: { maxMessageLength?: number } = {},
  ): Promise<WireError | undefined> {
    const accepted = listener.accept();
    const socket: Socket = connect({ host: '127.0.0.1', port: listener.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const connection = new PeerConnection(await accepted, {
      peerId: peerIdB,
      infoHash,
      ...options,
    });
    open.push(connection);
    const closed = new Promise<WireError | undefined>((resolve) => connection.on('close', resolve));
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    socket.write(encodeHandshake({ infoHash, peerId: peerIdA }));
    socket.write(bytes);
    const error = await closed;
    // Our side hung up on the offender: its socket sees the close without doing anything.
    await socketClosed;
    return error;
  }

  it('closes with nothing but a WireError on fuzzed streams, whatever their chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 8 }),
        async (chunks) => {
          const accepted = listener.accept();
          const socket: Socket = connect({ host: '127.0.0.1', port: listener.port, noDelay: true });
          socket.on('error', () => undefined);
          await new Promise((resolve) => socket.once('connect', resolve));
          const connection = new PeerConnection(await accepted, {
            peerId: peerIdB,
            infoHash,
            maxMessageLength: 1024,
          });
          open.push(connection);
          const closed = new Promise<WireError | undefined>((resolve) =>
            connection.on('close', resolve),
          );
          socket.write(
            encodeHandshake({
              infoHash,
              peerId: peerIdA,
              extensions: { extended: true, fast: true },
            }),
          );
          for (const chunk of chunks) socket.write(chunk);
          // Then the peer hangs up, if our side has not already.
          setTimeout(() => socket.end(), 10);
          const error = await closed;
          expect(error === undefined || WireError.isInstance(error)).toBe(true);
          expect(connection.stats.bufferedBytes).toBe(0);
          socket.destroy();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('drops a peer announcing a frame over the limit without buffering it', async () => {
    const error = await hostile(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 7), {
      maxMessageLength: 1 << 20,
    });
    expect(error?.code).toBe('message-too-long');
  });

  it('drops a peer sending an unknown message id', async () => {
    expect((await hostile(Uint8Array.of(0, 0, 0, 1, 0x42)))?.code).toBe('unknown-message');
  });

  it('drops a peer sending BEP 6 messages it did not negotiate', async () => {
    expect((await hostile(encodeMessage({ type: 'have-all' })))?.code).toBe(
      'extension-not-negotiated',
    );
  });

  it('passes a second bitfield on (some clients send one) instead of dropping the peer', async () => {
    const { outgoing, incoming } = await pair();
    const messages = incoming.messages();
    outgoing.bitfield(Uint8Array.of(0x80));
    outgoing.bitfield(Uint8Array.of(0xc0));
    expect(await nextOfType(messages, 'bitfield')).toEqual({
      type: 'bitfield',
      bitfield: Uint8Array.of(0x80),
    });
    expect(await nextOfType(messages, 'bitfield')).toEqual({
      type: 'bitfield',
      bitfield: Uint8Array.of(0xc0),
    });
    expect(incoming.closed).toBe(false);
  });

  it('drops a peer that is not speaking BitTorrent', async () => {
    const accepted = listener.accept();
    const socket = connect({ host: '127.0.0.1', port: listener.port });
    const connection = new PeerConnection(await accepted, { peerId: peerIdB });
    open.push(connection);
    socket.write('GET / HTTP/1.1\r\n\r\n');
    const error = await rejection(connection.receiveHandshake());
    expect(error.code).toBe('invalid-handshake');
    socket.destroy();
  });
});
