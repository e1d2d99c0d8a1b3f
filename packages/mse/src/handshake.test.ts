import { describe, expect, it } from 'vitest';
import { MseProtocolError } from './errors.js';
import {
  MSE_INITIATOR_SYNC_WINDOW,
  MSE_RESPONDER_SYNC_WINDOW,
  MseHandshake,
  type CryptoMethod,
  type MseResult,
} from './handshake.js';
import { nodeMseCrypto } from './node.js';
import { selectMethod, type EncryptionPolicy } from './policy.js';
import { Rc4 } from './rc4.js';
import { sha1Parts as sha1 } from '@bt/hash';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const infoHash = (seed: number): Uint8Array =>
  Uint8Array.from({ length: 20 }, (_, k) => (k + seed) & 255);
const TORRENT = infoHash(1);
const OTHERS = [infoHash(50), infoHash(90)];

function responder(
  policy: EncryptionPolicy = 'prefer',
  hashes = [...OTHERS, TORRENT],
): MseHandshake {
  return new MseHandshake({
    role: 'responder',
    infoHashes: () => hashes,
    select: (offered) => selectMethod(policy, offered),
  });
}

function initiator(
  provide: CryptoMethod[] = ['rc4', 'plaintext'],
  ia = ascii('the BT handshake'),
): MseHandshake {
  return new MseHandshake({ role: 'initiator', infoHash: TORRENT, provide, initialPayload: ia });
}

function join(chunks: Uint8Array[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
}

/** Runs both sides to the end, cutting every flight into pieces of `cut` bytes. */
function run(a: MseHandshake, b: MseHandshake, cut = Infinity): { a: MseResult; b: MseResult } {
  let resultA: MseResult | undefined;
  let resultB: MseResult | undefined;
  for (let round = 0; round < 10 && !(resultA && resultB); round++) {
    const toB = join(a.takeOutput());
    for (let at = 0; at < toB.length; at += Math.min(cut, toB.length))
      resultB = b.receive(toB.subarray(at, at + cut)) ?? resultB;
    const toA = join(b.takeOutput());
    for (let at = 0; at < toA.length; at += Math.min(cut, toA.length))
      resultA = a.receive(toA.subarray(at, at + cut)) ?? resultA;
  }
  if (!resultA || !resultB) throw new Error('the handshake did not finish');
  return { a: resultA, b: resultB };
}

describe('MseHandshake: both sides', () => {
  for (const cut of [Infinity, 1, 7, 100]) {
    it(`agrees on RC4, routes by req2 and carries IA (flights cut every ${cut} bytes)`, () => {
      const { a, b } = run(initiator(), responder(), cut);
      expect(a.method).toBe('rc4');
      expect(b.method).toBe('rc4');
      expect(b.infoHash).toEqual(TORRENT);
      expect(b.payload).toEqual(ascii('the BT handshake'));
      // The payload ciphers pair up both ways.
      const message = ascii('piece data');
      expect(b.decrypt!.process(a.encrypt!.process(message.slice()))).toEqual(message);
      expect(a.decrypt!.process(b.encrypt!.process(message.slice()))).toEqual(message);
    });
  }

  it('payload that follows the handshake in the same flight is decrypted into the result', () => {
    const a = initiator();
    const b = responder();
    b.receive(join(a.takeOutput()));
    a.receive(join(b.takeOutput()));
    const step3 = join(a.takeOutput());
    const resultB = b.receive(step3)!;
    const step4 = join(b.takeOutput());
    const after = resultB.encrypt!.process(ascii('bitfield'));
    const resultA = a.receive(Uint8Array.from([...step4, ...after]))!;
    expect(resultA.payload).toEqual(ascii('bitfield'));
  });

  it('plaintext when the responder picks it (allow), offered by a prefer initiator', () => {
    const { a, b } = run(initiator(), responder('allow'));
    expect(a.method).toBe('plaintext');
    expect(b.method).toBe('plaintext');
    expect(a.encrypt).toBeUndefined();
    expect(b.decrypt).toBeUndefined();
    expect(b.payload).toEqual(ascii('the BT handshake')); // IA is always encrypted in flight
  });

  it('a require responder refuses a plaintext-only offer', () => {
    expect(() => run(initiator(['plaintext']), responder('require'))).toThrowError(
      expect.objectContaining({ code: 'no-common-method' }),
    );
  });

  it('the pure and OpenSSL primitives interoperate', () => {
    const a = new MseHandshake({
      role: 'initiator',
      infoHash: TORRENT,
      provide: ['rc4'],
      crypto: nodeMseCrypto,
    });
    const { b } = run(a, responder());
    expect(b.method).toBe('rc4');
  });

  it('the IA may be set until the key arrives, not after', () => {
    const a = initiator(['rc4'], new Uint8Array(0));
    expect(a.setInitialPayload(ascii('late'))).toBe(true);
    const b = responder();
    b.receive(join(a.takeOutput()));
    a.receive(join(b.takeOutput()));
    expect(a.setInitialPayload(ascii('too late'))).toBe(false);
    expect(b.receive(join(a.takeOutput()))!.payload).toEqual(ascii('late'));
  });
});

describe('MseHandshake: hostile peers', () => {
  const expectCode = (action: () => unknown, code: string): MseProtocolError => {
    try {
      action();
    } catch (error) {
      expect(MseProtocolError.isInstance(error)).toBe(true);
      expect((error as MseProtocolError).code).toBe(code);
      return error as MseProtocolError;
    }
    throw new Error(`expected ${code}`);
  };

  it('junk instead of a key and pad: dropped within 96 + 532 bytes', () => {
    const b = responder();
    const junk = Uint8Array.from({ length: 10_000 }, (_, k) => (k * 7 + 3) & 255);
    const error = expectCode(() => {
      for (let at = 0; at < junk.length; at += 50) b.receive(junk.subarray(at, at + 50));
    }, 'sync-not-found');
    expect(b.bytesReceived).toBeLessThanOrEqual(96 + MSE_RESPONDER_SYNC_WINDOW + 50);
    expect(error.offset).toBe(96);
  });

  it('a pad that never ends (initiator side): dropped within 96 + 520 bytes', () => {
    const a = initiator();
    const b = responder();
    b.receive(join(a.takeOutput()));
    const yb = join(b.takeOutput()).subarray(0, 96); // the key, then an endless pad
    a.receive(yb);
    let sent = 0;
    expectCode(() => {
      for (;;) {
        a.receive(new Uint8Array(64).fill(0xaa));
        sent += 64;
        if (sent > 1_000_000) throw new Error('never dropped');
      }
    }, 'sync-not-found');
    expect(sent).toBeLessThanOrEqual(MSE_INITIATOR_SYNC_WINDOW + 64);
  });

  it('a public key of 0 or 1 is refused', () => {
    expectCode(() => responder().receive(new Uint8Array(96)), 'invalid-public-key');
    const one = new Uint8Array(96);
    one[95] = 1;
    expectCode(() => responder().receive(one), 'invalid-public-key');
  });

  /** A genuine initiator's step 3, for a test to corrupt before the responder reads it. */
  function forgedStep3() {
    const a = initiator();
    const b = responder();
    b.receive(join(a.takeOutput()));
    a.receive(join(b.takeOutput()).subarray(0, 96));
    return { b, step3: join(a.takeOutput()) };
  }

  it('a VC that is not zeros is refused', () => {
    const { b, step3 } = forgedStep3();
    // Flip a bit of the encrypted VC (it follows req1 and req2, 40 bytes).
    step3[40]! ^= 0x01;
    expectCode(() => b.receive(step3), 'invalid-vc');
  });

  it('req2 for a torrent we do not have is refused, before anything is decrypted', () => {
    const a = initiator();
    const b = responder('prefer', OTHERS);
    b.receive(join(a.takeOutput()));
    a.receive(join(b.takeOutput()));
    expectCode(() => b.receive(join(a.takeOutput())), 'unknown-info-hash');
  });

  it('a PadC longer than 512 is refused', () => {
    const { b, step3 } = forgedStep3();
    // len(PadC) is at 40 + 8 + 4; the ciphertext XORs cleanly because we know the plaintext (0).
    step3[52]! ^= 0x04; // 1024
    expectCode(() => b.receive(step3), 'invalid-pad-length');
  });

  it('a crypto_select we did not offer is refused', () => {
    // A Diffie-Hellman whose secret the test knows, so it can speak as the responder.
    const secret = new Uint8Array(96).fill(9);
    const key = new Uint8Array(96);
    key[95] = 2;
    const a = new MseHandshake({
      role: 'initiator',
      infoHash: TORRENT,
      provide: ['rc4'],
      crypto: { diffieHellman: () => ({ publicKey: key, computeSecret: () => secret }) },
    });
    a.takeOutput();
    a.receive(key); // Yb, no PadB
    const keyB = new Rc4(sha1([ascii('keyB'), secret, TORRENT]));
    const step4 = new Uint8Array(14);
    step4[11] = 0x01; // crypto_select: plaintext, which was not offered
    expectCode(() => a.receive(keyB.process(step4)), 'no-common-method');
  });

  it('a VC found but a PadD over 512 is refused', () => {
    const secret = new Uint8Array(96).fill(3);
    const key = new Uint8Array(96);
    key[95] = 2;
    const a = new MseHandshake({
      role: 'initiator',
      infoHash: TORRENT,
      provide: ['rc4'],
      crypto: { diffieHellman: () => ({ publicKey: key, computeSecret: () => secret }) },
    });
    a.receive(key);
    const keyB = new Rc4(sha1([ascii('keyB'), secret, TORRENT]));
    const step4 = new Uint8Array(14);
    step4[11] = 0x02;
    step4[12] = 0x08; // len(PadD) 2048
    expectCode(() => a.receive(keyB.process(step4)), 'invalid-pad-length');
  });

  it('one large chunk of junk is refused at once, and the handshake stays dead', () => {
    const b = responder();
    const chunk = new Uint8Array(64 * 1024).fill(0x55);
    chunk[95] = 2; // a valid key (value 0x5555...57 is in range anyway)
    expectCode(() => b.receive(chunk), 'sync-not-found');
  });
});
