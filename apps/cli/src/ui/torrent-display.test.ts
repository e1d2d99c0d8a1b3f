/**
 * Why a download gets nothing, in words: the stall reason reads trackers only from tracker rows
 * (`[DHT]`, `[Peer Exchange]`, `[Local Peer Discovery]` and web seeds are other sources), and a
 * magnet without peers says what it lacks.
 */
import type { SourceStatus, TorrentStats } from '@bt/session';
import { describe, expect, it } from 'vitest';
import { stallReason } from './torrent-display.js';

function stats(overrides: Partial<TorrentStats>, sources: SourceStatus[]): TorrentStats {
  return {
    infoHash: '00'.repeat(20),
    name: 'payload.bin',
    state: 'downloading',
    progress: 0,
    totalBytes: 1000,
    verifiedBytes: 0,
    wantedBytes: 1000,
    wantedVerifiedBytes: 0,
    downloaded: 0,
    uploaded: 0,
    downloadRate: 0,
    uploadRate: 0,
    eta: Number.POSITIVE_INFINITY,
    ratio: 0,
    piecesHave: 0,
    pieceCount: 1,
    peers: 0,
    seeds: 0,
    availability: 0,
    hashFailures: 0,
    banned: 0,
    wastedBytes: 0,
    sources,
    ...overrides,
  };
}

const dht: SourceStatus = { source: '[DHT]', state: 'error', message: 'no nodes' };
const pex: SourceStatus = { source: '[Peer Exchange]', state: 'idle', seeds: 0, peers: 0 };
const lpd: SourceStatus = { source: '[Local Peer Discovery]', state: 'error', message: 'EPERM' };

describe('stallReason: discovery and web-seed rows are not trackers', () => {
  it('names the failing tracker, not a failing [DHT] or [Local Peer Discovery] row', () => {
    const tracker: SourceStatus = {
      source: 'http://tracker.invalid/announce',
      state: 'error',
      message: 'ECONNREFUSED',
    };
    expect(stallReason(stats({}, [dht, tracker, lpd, pex]))).toBe(
      'no peers: every tracker failed: http://tracker.invalid/announce: ECONNREFUSED',
    );
  });

  it('without a tracker, failing discovery rows do not read as trackers', () => {
    expect(stallReason(stats({}, [dht, lpd, pex]))).toBe(
      'no peers: the torrent lists no tracker and no --peer was given',
    );
  });

  it('a working [DHT] row means peers are still being looked for', () => {
    expect(stallReason(stats({}, [{ source: '[DHT]', state: 'working', peers: 0 }, pex]))).toBe(
      'looking for peers',
    );
  });

  it('names a failing web seed as a web seed, not as a tracker', () => {
    const seed: SourceStatus = {
      source: 'http://127.0.0.1:9/files/',
      state: 'error',
      message: 'HTTP 404',
      downloadRate: 0,
    };
    expect(stallReason(stats({}, [seed, pex]))).toBe(
      'no data: every web seed failed: http://127.0.0.1:9/files/: HTTP 404',
    );
  });

  it('a magnet fetching its metadata from connected peers is not stalled; with none it says why', () => {
    expect(stallReason(stats({ state: 'metadata', peers: 2 }, [dht]))).toBeUndefined();
    expect(stallReason(stats({ state: 'metadata' }, [dht, lpd]))).toBe(
      'no peers: the magnet names no tracker and no peer (x.pe), and no other source found one',
    );
  });
});
