import { describe, expect, it } from 'vitest';
import { MseProtocolError } from './errors.js';
import { MseStream, type ByteStream, type ByteStreamHandlers } from './mse-stream.js';
import { selectMethod, type EncryptionPolicy } from './policy.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const TORRENT = Uint8Array.from({ length: 20 }, (_, k) => k + 1);

/** Deliveries of every pipe, run in order and never re-entrantly (as a socket would). */
const deliveries: (() => void)[] = [];
let delivering = false;
function schedule(...delivery: (() => void)[]): void {
  deliveries.push(...delivery);
  if (delivering) return;
  delivering = true;
  while (deliveries.length > 0) deliveries.shift()!();
  delivering = false;
}

/** One end of an in-memory pipe; what it writes is delivered to its partner, in chunks of `cut`. */
class MemoryEnd implements ByteStream {
  readonly remoteAddress = { host: '127.0.0.1', port: 1, family: 4 as const };
  readonly bufferedBytes = 0;
  partner!: MemoryEnd;
  handlers: ByteStreamHandlers | undefined;
  wire: Uint8Array[] = [];
  closed: Error | undefined | 'clean';
  constructor(readonly cut: number) {}
  open(handlers: ByteStreamHandlers): void {
    this.handlers = handlers;
  }
  write(bytes: Uint8Array, onSent?: () => void): void {
    if (this.closed) return;
    this.wire.push(bytes.slice());
    onSent?.();
    const chunks: (() => void)[] = [];
    for (let at = 0; at < bytes.length; at += this.cut) {
      const chunk = bytes.slice(at, at + this.cut);
      chunks.push(() => this.partner.handlers?.onData(chunk));
    }
    schedule(...chunks);
  }
  pause(): void {}
  resume(): void {}
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = error ?? 'clean';
    this.handlers?.onClose(error);
    this.partner.close();
  }
}

function pipe(cut = 1 << 20): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd(cut);
  const b = new MemoryEnd(cut);
  a.partner = b;
  b.partner = a;
  return [a, b];
}

function collect(stream: MseStream): { data: number[]; closed: { error?: Error } | undefined } {
  const state: { data: number[]; closed: { error?: Error } | undefined } = {
    data: [],
    closed: undefined,
  };
  stream.open({
    onData: (chunk) => state.data.push(...chunk),
    onDrain: () => undefined,
    onClose: (error) => (state.closed = { error }),
  });
  return state;
}

function accept(inner: ByteStream, policy: EncryptionPolicy = 'prefer'): MseStream {
  return MseStream.accept(inner, {
    infoHashes: () => [TORRENT],
    select: (offered) => selectMethod(policy, offered),
    plaintext: policy !== 'require',
  });
}

describe('MseStream', () => {
  for (const cut of [1 << 20, 3]) {
    it(`carries bytes both ways under RC4, the first write in IA (cut ${cut})`, () => {
      const [left, right] = pipe(cut);
      const server = accept(right);
      const client = MseStream.initiate(left, { infoHash: TORRENT, provide: ['rc4', 'plaintext'] });
      const fromServer = collect(client);
      const fromClient = collect(server);
      client.write(ascii('hello ')); // before the handshake: rides in IA
      client.write(ascii('world'));
      // Nothing has arrived yet: the responder waits for Ya, which went out at construction.
      expect(client.encrypted).toBe(true);
      expect(server.encrypted).toBe(true);
      expect(server.infoHash).toEqual(TORRENT);
      server.write(ascii('reply'));
      expect(String.fromCharCode(...fromClient.data)).toBe('hello world');
      expect(String.fromCharCode(...fromServer.data)).toBe('reply');
      // Nothing in the clear on the wire.
      const sent = Buffer.concat(left.wire).toString('latin1');
      expect(sent.includes('hello')).toBe(false);
    });
  }

  it('passes a plain BitTorrent handshake through on the same port', () => {
    const [left, right] = pipe(5);
    const server = accept(right);
    const got = collect(server);
    const handshake = Uint8Array.from([19, ...ascii('BitTorrent protocol'), ...new Uint8Array(48)]);
    left.open({ onData: () => undefined, onDrain: () => undefined, onClose: () => undefined });
    left.write(handshake);
    expect(server.method).toBe('none');
    expect(server.encrypted).toBe(false);
    expect(got.data).toEqual([...handshake]);
  });

  it('refuses a plain handshake under require, with a typed error', () => {
    const [left, right] = pipe();
    const server = accept(right, 'require');
    const got = collect(server);
    left.open({ onData: () => undefined, onDrain: () => undefined, onClose: () => undefined });
    left.write(Uint8Array.from([19, ...ascii('BitTorrent protocol')]));
    expect(MseProtocolError.isInstance(got.closed?.error)).toBe(true);
    expect((got.closed?.error as MseProtocolError).code).toBe('plaintext-refused');
    expect(right.closed).toBeTruthy();
  });

  it('closes with a typed error on junk, and drops what was queued', () => {
    const [left, right] = pipe();
    const server = accept(right);
    const got = collect(server);
    let sent = false;
    server.write(ascii('never'), () => (sent = true));
    left.open({ onData: () => undefined, onDrain: () => undefined, onClose: () => undefined });
    left.write(new Uint8Array(2000).fill(7));
    expect((got.closed?.error as MseProtocolError).code).toBe('sync-not-found');
    expect(sent).toBe(true);
    expect(server.bufferedBytes).toBe(0);
  });

  it('plaintext selected: the payload runs in the clear after an encrypted handshake', () => {
    const [left, right] = pipe();
    const server = accept(right, 'allow');
    const client = MseStream.initiate(left, { infoHash: TORRENT, provide: ['rc4', 'plaintext'] });
    const fromClient = collect(server);
    collect(client);
    client.write(ascii('in IA'));
    expect(client.method).toBe('plaintext');
    client.write(ascii(' then clear'));
    expect(String.fromCharCode(...fromClient.data)).toBe('in IA then clear');
    expect(Buffer.concat(left.wire).toString('latin1').endsWith(' then clear')).toBe(true);
  });
});
