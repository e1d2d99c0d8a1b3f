import { describe, expect, it } from 'vitest';
import { TrackerTiers } from './tracker-tiers.js';

const answer = (interval = 60, minInterval?: number) => ({
  interval,
  minInterval,
  complete: 3,
  incomplete: 4,
  peers: [{ host: '127.0.0.1', port: 1, family: 4 as const }],
});

describe('TrackerTiers', () => {
  it('announces started to one tracker per tier and drops duplicate URLs', () => {
    const tiers = new TrackerTiers(
      [
        ['a', 'b'],
        ['c', 'a'],
      ],
      { random: () => 0.99 },
    );
    expect(tiers.size).toBe(3);
    const due = tiers.due(0);
    expect(due).toHaveLength(2);
    expect(due.every((d) => d.event === 'started')).toBe(true);
  });

  it('shuffles within a tier', () => {
    const firsts = new Set<string>();
    for (let round = 0; round < 30; round++) {
      firsts.add(new TrackerTiers([['a', 'b', 'c', 'd']]).due(0)[0]!.url);
    }
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('moves on within a tier after a failure, backs off, and moves the answerer to the front', () => {
    const tiers = new TrackerTiers([['a', 'b']], { random: () => 0.99, retryBase: 10 });
    const [first] = tiers.due(0);
    tiers.announcing(first!.url, 0);
    expect(tiers.due(0)).toEqual([]);
    tiers.failed(first!.url, 'connection refused', 0);
    const [second] = tiers.due(0);
    expect(second!.url).not.toBe(first!.url);
    tiers.announcing(second!.url, 0);
    tiers.succeeded(second!.url, 'started', answer(60), 0);
    const status = tiers.status();
    expect(status[0]!.url).toBe(second!.url);
    expect(status[0]).toMatchObject({
      state: 'working',
      seeds: 3,
      leechers: 4,
      peers: 1,
      nextAnnounceAt: 60_000,
    });
    expect(status[1]).toMatchObject({
      state: 'error',
      message: 'connection refused',
      failures: 1,
      nextAnnounceAt: 10_000,
    });
    expect(tiers.due(59_999)).toEqual([]);
    expect(tiers.due(60_000)).toEqual([
      { url: second!.url, tier: 0, event: 'none', trackerId: undefined },
    ]);
  });

  it('doubles the backoff per failure up to the cap', () => {
    const tiers = new TrackerTiers([['a']], { retryBase: 10, retryMax: 35 });
    let now = 0;
    const delays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      tiers.announcing('a', now);
      tiers.failed('a', 'x', now);
      const next = tiers.status()[0]!.nextAnnounceAt!;
      delays.push(next - now);
      now = next;
    }
    expect(delays).toEqual([10_000, 20_000, 35_000, 35_000]);
  });

  it('respects min interval and sends completed and stopped', () => {
    const tiers = new TrackerTiers([['a']]);
    tiers.announcing('a', 0);
    tiers.succeeded('a', 'started', answer(30, 120), 0);
    expect(tiers.nextDue()).toBe(120_000);
    tiers.reannounce(10_000);
    expect(tiers.due(10_000)).toEqual([]);
    tiers.markCompleted(130_000);
    expect(tiers.due(130_000)[0]!.event).toBe('completed');
    tiers.announcing('a', 130_000);
    tiers.succeeded('a', 'completed', answer(30), 130_000);
    expect(tiers.due(200_000)[0]!.event).toBe('none');
    expect(tiers.stopTargets()).toEqual([
      { url: 'a', tier: 0, event: 'stopped', trackerId: undefined },
    ]);
  });

  it('skips disabled trackers', () => {
    const tiers = new TrackerTiers([['wss://x', 'a']], { random: () => 0 });
    tiers.disable('wss://x', 'unsupported');
    expect(tiers.due(0).map((d) => d.url)).toEqual(['a']);
  });
});
