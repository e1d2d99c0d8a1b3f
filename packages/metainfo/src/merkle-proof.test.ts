import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileRootFromPieceLayer, nextPowerOfTwo } from './merkle.js';
import { answerHashRequest, pieceLayerHeight, verifyHashAnswer } from './merkle-proof.js';
import { sha256 } from '@bt/hash';

function layerOf(count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * 32);
  for (let i = 0; i < count; i++) out.set(sha256(new Uint8Array([seed, i & 255, i >> 8])), i * 32);
  return out;
}

describe('BEP 52 hash requests', () => {
  it('every answer for the piece layer proves itself against the root (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 700 }),
        fc.constantFrom(16384, 65536, 1 << 20),
        fc.integer({ min: 0, max: 10 }),
        fc.nat(),
        (count, pieceLength, log2Length, pick) => {
          const layer = layerOf(count, count & 255);
          const root = fileRootFromPieceLayer(layer, pieceLength);
          const width = nextPowerOfTwo(count);
          const length = 2 ** log2Length;
          const index = (pick % Math.max(1, Math.ceil(width / length))) * length;
          const request = {
            baseLayer: pieceLayerHeight(pieceLength),
            index,
            length,
            proofLayers: Math.log2(width),
          };
          const answer = answerHashRequest(layer, pieceLength, request);
          expect(answer).toBeDefined();
          const proven = verifyHashAnswer(root, count, request, answer!);
          expect(proven).toBeDefined();
          // the run is the layer's hashes (padding beyond the layer's end)
          const inLayer = Math.min(proven!.length, layer.length - index * 32);
          if (inLayer > 0) {
            expect(proven!.subarray(0, inLayer)).toEqual(
              layer.subarray(index * 32, index * 32 + inLayer),
            );
          }
          // one flipped bit anywhere fails the proof
          const bad = new Uint8Array(answer!);
          bad[pick % bad.length]! ^= 1;
          expect(verifyHashAnswer(root, count, request, bad)).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects what the piece layer cannot answer', () => {
    const layer = layerOf(10, 1);
    const base = { baseLayer: pieceLayerHeight(65536), index: 0, length: 4, proofLayers: 4 };
    expect(answerHashRequest(layer, 65536, { ...base, baseLayer: 0 })).toBeUndefined();
    expect(answerHashRequest(layer, 65536, { ...base, length: 3 })).toBeUndefined();
    expect(answerHashRequest(layer, 65536, { ...base, index: 2 })).toBeUndefined();
    expect(answerHashRequest(layer, 65536, { ...base, index: 16 })).toBeUndefined();
    // the whole layer in one request: truncated to the padded width (16), no uncles needed
    const whole = answerHashRequest(layer, 65536, { ...base, length: 512 });
    expect(whole!.length).toBe(16 * 32);
  });
});
