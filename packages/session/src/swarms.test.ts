import { describe, expect, it } from 'vitest';
import { swarmInfoHashes } from './swarms.js';

const v1 = new Uint8Array(20).fill(1);
const v2 = Uint8Array.from({ length: 32 }, (_, i) => i + 100);

describe('swarmInfoHashes', () => {
  it('puts a hybrid torrent in both swarms, its own hash first and the v2 one truncated', () => {
    const hashes = swarmInfoHashes({ infoHash: v1, version: 'hybrid', v2: { infoHash: v2 } });
    expect(hashes).toEqual([v1, v2.subarray(0, 20)]);
  });

  it('keeps v1 and v2-only torrents in one swarm', () => {
    expect(swarmInfoHashes({ infoHash: v1, version: 'v1' })).toEqual([v1]);
    const truncated = v2.subarray(0, 20);
    expect(swarmInfoHashes({ infoHash: truncated, version: 'v2', v2: { infoHash: v2 } })).toEqual([
      truncated,
    ]);
    // a description without the v2 hash (built by hand) stays in its one swarm
    expect(swarmInfoHashes({ infoHash: v1, version: 'hybrid', v2: {} })).toEqual([v1]);
  });
});
