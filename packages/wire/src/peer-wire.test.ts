import { describe, expect, it } from 'vitest';
import { decodeMessages } from './decoder.js';
import { encodeExtended, encodeMessage } from './encode.js';
import { WireConnectionError, WireError, WireProtocolError } from './errors.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from './extended-handshake.js';
import { ExtensionRegistry } from './extension-registry.js';
import { decodeHandshake, encodeHandshake, HANDSHAKE_LENGTH } from './handshake.js';
import { createMemoryStreamPair, type MemoryStream } from './memory-stream.js';
import type { HandshakeExtensions, Message } from './messages.js';
import { PeerWire, type PeerWireOptions, WIRE_DEFAULTS } from './peer-wire.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const otherHash = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);
const idA = new TextEncoder().encode('-BT0001-aaaaaaaaaaaa');
const idB = new TextEncoder().encode('-BT0001-bbbbbbbbbbbb');

/** Waits for a condition of the in-memory exchange (microtasks; the limit is only an outer bound). */
function poll<T>(read: () => T) {
  return expect.poll(read, { timeout: 10_000 });
}

/** A started wire whose messages and close are recorded. */
interface Recorder {
  messages: Message[];
  closed: Promise<Error | undefined>;
  drains: number;
}

function record(wire: PeerWire): Recorder {
  let resolve!: (error: Error | undefined) => void;
  const recorder: Recorder = {
    messages: [],
    closed: new Promise((done) => (resolve = done)),
    drains: 0,
  };
  wire.start({
    onMessage: (message) => {
      // views are lent for the call: keep copies
      recorder.messages.push(structuredClone(message));
    },
    onClose: (error) => resolve(error),
    onDrain: () => recorder.drains++,
  });
  return recorder;
}

/** Two shells over memory, both handshakes done. */
async function pair(
  outgoing: PeerWireOptions = {},
  incoming: PeerWireOptions = {},
): Promise<{ a: PeerWire; b: PeerWire; streams: [MemoryStream, MemoryStream] }> {
  const streams = createMemoryStreamPair();
  const a = new PeerWire(streams[0], { peerId: idA, infoHash, ...outgoing });
  const b = new PeerWire(streams[1], { incoming: true, ...incoming });
  const dialled = a.handshake();
  const theirs = await b.receiveHandshake();
  await b.handshake({ infoHash: theirs.infoHash, peerId: idB });
  await dialled;
  return { a, b, streams };
}

/** A shell facing a raw stream we write bytes to by hand; resolves once the shell is started. */
async function againstRaw(
  theirReserved: Partial<HandshakeExtensions>,
  options: PeerWireOptions = {},
): Promise<{ wire: PeerWire; raw: MemoryStream; sent: Uint8Array[]; recorder: Recorder }> {
  const [ours, raw] = createMemoryStreamPair();
  const sent: Uint8Array[] = [];
  raw.open({ onData: (chunk) => sent.push(chunk.slice()), onDrain: () => {}, onClose: () => {} });
  const wire = new PeerWire(ours, { peerId: idA, infoHash, ...options });
  raw.write(encodeHandshake({ infoHash, peerId: idB, extensions: theirReserved }));
  await wire.handshake();
  const recorder = record(wire);
  return { wire, raw, sent, recorder };
}

async function closeReason(recorder: Recorder): Promise<Error | undefined> {
  return recorder.closed;
}

describe('PeerWire handshakes', () => {
  it('negotiates both ways: capabilities are what both announced, peer ids are exchanged', async () => {
    const { a, b } = await pair(
      { reserved: { dht: true } },
      { reserved: { fast: false, dht: true } },
    );
    expect(a.capabilities).toEqual({ fast: false, extended: true, dht: true });
    expect(b.capabilities).toEqual({ fast: false, extended: true, dht: true });
    expect(a.peerId).toEqual(idB);
    expect(b.peerId).toEqual(idA);
    expect(a.incoming).toBe(false);
    expect(b.incoming).toBe(true);
    expect(a.address).toEqual({ host: '127.0.0.1', port: 2, family: 4 });
  });

  it('announces the reserved bits of WIRE_DEFAULTS unless told otherwise', async () => {
    const [ours, raw] = createMemoryStreamPair();
    const chunks: Uint8Array[] = [];
    raw.open({
      onData: (chunk) => chunks.push(chunk.slice()),
      onDrain: () => {},
      onClose: () => {},
    });
    const wire = new PeerWire(ours, { peerId: idA, infoHash });
    const done = wire.handshake();
    raw.write(encodeHandshake({ infoHash, peerId: idB, extensions: { fast: true } }));
    await done;
    const handshake = decodeHandshake(chunks[0]!.subarray(0, HANDSHAKE_LENGTH));
    expect(handshake.extensions).toEqual(WIRE_DEFAULTS.reserved);
    expect(wire.capabilities).toEqual({ fast: true, extended: false, dht: false });
  });

  it('delivers messages that arrived with the handshake once started, in order', async () => {
    const [ours, raw] = createMemoryStreamPair();
    raw.open({ onData: () => {}, onDrain: () => {}, onClose: () => {} });
    const wire = new PeerWire(ours, { peerId: idA, infoHash, pieceCount: 10 });
    const handshake = encodeHandshake({ infoHash, peerId: idB, extensions: { fast: true } });
    const bitfield = encodeMessage({ type: 'bitfield', bitfield: Uint8Array.of(0xff, 0xc0) });
    const unchoke = encodeMessage({ type: 'unchoke' });
    const joined = new Uint8Array(handshake.length + bitfield.length + unchoke.length);
    joined.set(handshake);
    joined.set(bitfield, handshake.length);
    joined.set(unchoke, handshake.length + bitfield.length);
    raw.write(joined);
    await wire.handshake();
    const recorder = record(wire);
    raw.write(encodeMessage({ type: 'have', index: 3 }));
    await poll(() => recorder.messages.length).toBe(3);
    expect(recorder.messages.map((message) => message.type)).toEqual([
      'bitfield',
      'unchoke',
      'have',
    ]);
  });

  it('closes with info-hash-mismatch when the peer speaks for another torrent', async () => {
    const [ours, raw] = createMemoryStreamPair();
    raw.open({ onData: () => {}, onDrain: () => {}, onClose: () => {} });
    const wire = new PeerWire(ours, { peerId: idA, infoHash });
    const done = wire.handshake();
    raw.write(encodeHandshake({ infoHash: otherHash, peerId: idB }));
    const error = await done.catch((caught: unknown) => caught);
    expect(WireProtocolError.isInstance(error)).toBe(true);
    expect((error as WireProtocolError).code).toBe('info-hash-mismatch');
    expect(wire.closed).toBe(true);
    expect(raw.closed).toBe(true);
  });

  it('closes with invalid-handshake when the peer speaks another protocol', async () => {
    const [ours, raw] = createMemoryStreamPair();
    raw.open({ onData: () => {}, onDrain: () => {}, onClose: () => {} });
    const wire = new PeerWire(ours, { peerId: idA, infoHash });
    const done = wire.handshake();
    raw.write(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    await expect(done).rejects.toMatchObject({ code: 'invalid-handshake' });
  });

  it('rejects start before the handshake, and a second start', async () => {
    const [ours] = createMemoryStreamPair();
    const wire = new PeerWire(ours, { peerId: idA, infoHash });
    const handlers = { onMessage: () => {}, onClose: () => {} };
    expect(() => wire.start(handlers)).toThrow(WireConnectionError);
    const { a } = await pair();
    a.start(handlers);
    expect(() => a.start(handlers)).toThrow(/already started/);
  });
});

describe('PeerWire aborts and timeouts', () => {
  it('a handshake wait ends with `aborted` when its signal aborts, before or during the wait', async () => {
    const [ours] = createMemoryStreamPair();
    const wire = new PeerWire(ours, { peerId: idA, infoHash });
    await expect(wire.handshake({ signal: AbortSignal.abort('stop') })).rejects.toMatchObject({
      code: 'aborted',
    });
    const controller = new AbortController();
    const waiting = wire.receiveHandshake({ signal: controller.signal });
    controller.abort(new Error('enough'));
    const error = await waiting.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WireConnectionError);
    expect((error as WireConnectionError).code).toBe('aborted');
    expect((error as WireConnectionError).cause).toEqual(new Error('enough'));
  });

  it('tick drops a peer whose handshake does not come within handshakeTimeout', async () => {
    const [ours] = createMemoryStreamPair();
    const wire = new PeerWire(ours, { peerId: idA, infoHash, handshakeTimeout: 5000 });
    const done = wire.handshake();
    wire.tick(1_000);
    wire.tick(5_999);
    expect(wire.closed).toBe(false);
    wire.tick(6_000);
    await expect(done).rejects.toMatchObject({ code: 'handshake-timeout' });
    expect(wire.closed).toBe(true);
  });

  it('tick sends a keep-alive after our silence and drops a silent peer', async () => {
    const { wire, raw, sent, recorder } = await againstRaw(
      {},
      {
        keepAliveInterval: 90_000,
        idleTimeout: 180_000,
      },
    );
    wire.tick(0);
    sent.length = 0;
    wire.tick(89_999);
    wire.tick(90_000);
    await poll(() => sent.length).toBe(1);
    expect(decodeMessages(sent[0]!)).toEqual([{ type: 'keep-alive' }]);
    // the peer speaks at 100 s: the idle clock restarts there
    raw.write(encodeMessage({ type: 'keep-alive' }));
    await poll(() => recorder.messages.length).toBe(1);
    wire.tick(100_000);
    wire.tick(279_999);
    expect(wire.closed).toBe(false);
    wire.tick(280_000);
    const error = await closeReason(recorder);
    expect(error).toMatchObject({ code: 'idle-timeout' });
  });
});

describe('PeerWire negotiation guards', () => {
  it.each(['have-all', 'have-none', 'suggest', 'reject', 'allowed-fast'] as const)(
    'a BEP 6 %s from a peer that did not negotiate BEP 6 closes with extension-not-negotiated',
    async (type) => {
      const { raw, recorder } = await againstRaw(
        { fast: false, extended: true },
        { pieceCount: 4 },
      );
      const message: Message =
        type === 'have-all' || type === 'have-none'
          ? { type }
          : type === 'reject'
            ? { type, index: 0, begin: 0, length: 16384 }
            : { type, index: 1 };
      raw.write(encodeMessage(message));
      const error = await closeReason(recorder);
      expect(WireProtocolError.isInstance(error)).toBe(true);
      expect((error as WireProtocolError).code).toBe('extension-not-negotiated');
      expect(recorder.messages).toEqual([]);
    },
  );

  it('the same BEP 6 messages pass when both sides negotiated it', async () => {
    const { raw, recorder } = await againstRaw({ fast: true }, { pieceCount: 4 });
    raw.write(encodeMessage({ type: 'have-all' }));
    raw.write(encodeMessage({ type: 'allowed-fast', index: 2 }));
    raw.write(encodeMessage({ type: 'reject', index: 0, begin: 0, length: 16384 }));
    await poll(() => recorder.messages.length).toBe(3);
    expect(recorder.messages[1]).toEqual({ type: 'allowed-fast', index: 2 });
  });

  it('a BEP 6 message we announced but the peer did not also closes (both sides must announce)', async () => {
    const { raw, recorder, wire } = await againstRaw({ fast: false });
    expect(wire.capabilities.fast).toBe(false);
    raw.write(encodeMessage({ type: 'have-none' }));
    expect(await closeReason(recorder)).toMatchObject({ code: 'extension-not-negotiated' });
  });

  it('an extended message without BEP 10 on both sides closes with extension-not-negotiated', async () => {
    const { raw, recorder } = await againstRaw({ extended: false, fast: true });
    raw.write(encodeExtended(0, encodeExtendedHandshake({ extensions: { ut_pex: 1 } })));
    expect(await closeReason(recorder)).toMatchObject({
      code: 'extension-not-negotiated',
      messageId: 20,
    });
  });

  it('we refuse to send what was not negotiated (not-ready), and send it when it was', async () => {
    const { a } = await pair({ reserved: { fast: false, extended: false } });
    expect(() => a.send({ type: 'have-all' })).toThrow(WireConnectionError);
    expect(() => a.sendExtendedHandshake({})).toThrow(/BEP 10/);
    const { a: fastA } = await pair();
    expect(() => fastA.send({ type: 'have-all' })).not.toThrow();
  });

  it('delivers `port` (BEP 5) messages', async () => {
    const { raw, recorder } = await againstRaw({ dht: true });
    raw.write(encodeMessage({ type: 'port', port: 6881 }));
    await poll(() => recorder.messages).toEqual([{ type: 'port', port: 6881 }]);
  });

  it('a second handshake closes with invalid-handshake', async () => {
    const { raw, recorder } = await againstRaw({});
    raw.write(encodeHandshake({ infoHash, peerId: idB }));
    expect(await closeReason(recorder)).toBeInstanceOf(WireError);
  });
});

describe('PeerWire extension registry (BEP 10)', () => {
  it('builds `m` from the registry, maps ids both ways, and honours id 0 as "off"', async () => {
    const registryA = new ExtensionRegistry(['ut_metadata', 'ut_pex']);
    const registryB = new ExtensionRegistry(['ut_pex', 'lt_donthave']);
    expect(registryA.dictionary).toEqual({ ut_metadata: 1, ut_pex: 2 });
    expect(registryA.register('ut_pex')).toBe(2);
    const { a, b } = await pair({ extensions: registryA }, { extensions: registryB });
    const atA = record(a);
    const atB = record(b);
    a.sendExtendedHandshake({ client: 'a', requestQueueLength: 250 });
    b.send({
      type: 'extended-handshake',
      handshake: decodeExtendedHandshake(encodeExtendedHandshake({ client: 'b' })),
    });
    await poll(() => atB.messages.length).toBe(1);
    await poll(() => atA.messages.length).toBe(1);
    const seenByB = atB.messages[0]!;
    expect(seenByB.type === 'extended-handshake' && seenByB.handshake.extensions).toEqual({
      ut_metadata: 1,
      ut_pex: 2,
    });
    expect(b.remoteExtensions).toEqual({ ut_metadata: 1, ut_pex: 2 });
    expect(a.remoteExtensions).toEqual({ ut_pex: 1, lt_donthave: 2 });

    // A sends ut_pex under B's id (1); B names it from its own registry.
    a.sendExtended('ut_pex', Uint8Array.of(1, 2, 3));
    await poll(() => atB.messages.length).toBe(2);
    expect(atB.messages[1]).toEqual({
      type: 'extended',
      id: 1,
      name: 'ut_pex',
      payload: Uint8Array.of(1, 2, 3),
    });
    expect(() => a.sendExtended('ut_metadata', new Uint8Array(0))).toThrow(/ut_metadata/);

    // B turns ut_pex off: A may no longer send it.
    b.sendExtendedHandshake({ extensions: { ut_pex: 0 } });
    await poll(() => a.remoteExtensions).toEqual({ lt_donthave: 2 });
    expect(() => a.sendExtended('ut_pex', new Uint8Array(0))).toThrow(WireConnectionError);
  });

  it('an id we never registered arrives without a name', async () => {
    const { raw, recorder } = await againstRaw(
      { extended: true },
      { extensions: new ExtensionRegistry(['ut_pex']) },
    );
    raw.write(encodeExtended(9, Uint8Array.of(7)));
    await poll(() => recorder.messages).toEqual([
      { type: 'extended', id: 9, payload: Uint8Array.of(7) },
    ]);
  });
});

describe('PeerWire limits (enforced by the decoder)', () => {
  it('a frame longer than maxMessageLength closes with message-too-long before its body arrives', async () => {
    const { raw, recorder } = await againstRaw({}, { maxMessageLength: 1024 });
    raw.write(Uint8Array.of(0, 0, 0x10, 0, 7));
    expect(await closeReason(recorder)).toMatchObject({ code: 'message-too-long' });
  });

  it('a request for more than maxRequestLength closes with block-too-long', async () => {
    const { raw, recorder } = await againstRaw({});
    raw.write(encodeMessage({ type: 'request', index: 0, begin: 0, length: 32 * 1024 }));
    expect(await closeReason(recorder)).toMatchObject({ code: 'block-too-long' });
  });

  it('a bitfield of the wrong size or an index past the piece count closes', async () => {
    const first = await againstRaw({}, { pieceCount: 9 });
    first.raw.write(encodeMessage({ type: 'bitfield', bitfield: Uint8Array.of(0xff) }));
    expect(await closeReason(first.recorder)).toMatchObject({ code: 'invalid-bitfield' });
    const second = await againstRaw({}, { pieceCount: 9 });
    second.raw.write(encodeMessage({ type: 'have', index: 9 }));
    expect(await closeReason(second.recorder)).toMatchObject({ code: 'invalid-piece-index' });
  });
});

describe('PeerWire sending', () => {
  it('writes a piece as its header then the very block (no copy), and requests in one write', async () => {
    const { wire, sent } = await againstRaw({});
    await poll(() => sent.length).toBe(1); // our handshake
    const block = new Uint8Array(16384).fill(7);
    wire.sendPiece(2, 16384, block);
    wire.sendRequests([
      { index: 0, begin: 0, length: 16384 },
      { index: 0, begin: 16384, length: 16384 },
    ]);
    await poll(() => sent.length).toBe(4);
    const [, header, body, requests] = sent;
    expect(header).toHaveLength(13);
    expect(body).toEqual(block);
    expect(decodeMessages(requests!)).toEqual([
      { type: 'request', index: 0, begin: 0, length: 16384 },
      { type: 'request', index: 0, begin: 16384, length: 16384 },
    ]);
  });

  it('the block itself is what the stream is given', async () => {
    const [ours, raw] = createMemoryStreamPair();
    const given: Uint8Array[] = [];
    raw.open({ onData: (chunk) => given.push(chunk), onDrain: () => {}, onClose: () => {} });
    const wire = new PeerWire(ours, { peerId: idA, infoHash });
    raw.write(encodeHandshake({ infoHash, peerId: idB }));
    await wire.handshake();
    const block = new Uint8Array(100);
    wire.sendPiece(0, 0, block);
    await poll(() => given.length).toBe(3);
    expect(given[2]).toBe(block);
  });

  it('reports back-pressure: bufferedBytes grows while the peer does not read, onDrain when it does', async () => {
    const { a, b } = await pair();
    const atA = record(a);
    b.pause();
    const atB = record(b);
    for (let i = 0; i < 8; i++) a.sendPiece(0, i * 16384, new Uint8Array(16384));
    expect(a.bufferedBytes).toBeGreaterThan(64 * 1024);
    expect(atA.drains).toBe(0);
    b.resume();
    await poll(() => atA.drains).toBe(1);
    expect(a.bufferedBytes).toBe(0);
    expect(atB.messages).toHaveLength(8);
  });

  it('close ends both sides: our handler gets the reason, the peer sees a clean close', async () => {
    const { a, b } = await pair();
    const atA = record(a);
    const atB = record(b);
    const reason = new Error('done here');
    a.close(reason);
    expect(await atA.closed).toBe(reason);
    expect(await atB.closed).toBeUndefined();
    expect(b.closed).toBe(true);
    a.send({ type: 'interested' }); // dropped, not thrown
  });
});
