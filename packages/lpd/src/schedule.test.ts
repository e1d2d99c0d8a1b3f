import { fromHex } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { AnnounceLimiter } from './limiter.js';
import { AnnounceSchedule } from './schedule.js';

const hash = (n: number): Uint8Array => fromHex(n.toString(16).padStart(40, '0'));
const MINUTE = 60_000;

describe('AnnounceSchedule', () => {
  it('announces a swarm at once, then every 5 minutes', () => {
    const schedule = new AnnounceSchedule();
    schedule.add(hash(1), 0);
    expect(schedule.due(0)).toEqual([hash(1)]);
    expect(schedule.due(4 * MINUTE)).toEqual([]);
    expect(schedule.nextAnnounceAt(hash(1))).toBe(5 * MINUTE);
    expect(schedule.due(5 * MINUTE)).toEqual([hash(1)]);
  });

  it('sends at most one announce a minute, sharing it among the swarms due', () => {
    const schedule = new AnnounceSchedule();
    schedule.add(hash(1), 0);
    expect(schedule.due(0)).toEqual([hash(1)]);
    schedule.add(hash(2), 1000);
    schedule.add(hash(3), 2000);
    expect(schedule.due(2000)).toEqual([]);
    expect(schedule.nextAnnounceAt(hash(2))).toBe(MINUTE);
    expect(schedule.nextDueAt()).toBe(MINUTE);
    expect(schedule.due(MINUTE)).toEqual([hash(2), hash(3)]);
    expect(schedule.due(MINUTE + 1)).toEqual([]);
  });

  it('takes the longest-waiting first when more are due than fit', () => {
    const schedule = new AnnounceSchedule({ maxPerAnnounce: 2 });
    for (let i = 1; i <= 5; i++) schedule.add(hash(i), i);
    expect(schedule.due(10)).toEqual([hash(1), hash(2)]);
    expect(schedule.due(10 + MINUTE)).toEqual([hash(3), hash(4)]);
    expect(schedule.due(10 + 2 * MINUTE)).toEqual([hash(5)]);
  });

  it('forgets removed swarms', () => {
    const schedule = new AnnounceSchedule();
    schedule.add(hash(1), 0);
    schedule.remove(hash(1));
    expect(schedule.due(0)).toEqual([]);
    expect(schedule.size).toBe(0);
    expect(schedule.nextDueAt()).toBeUndefined();
  });
});

describe('AnnounceLimiter', () => {
  it('lets a sender burst, then one announce per refill period', () => {
    const limiter = new AnnounceLimiter({ perSenderBurst: 2, perSenderRefillMs: 1000 });
    expect(limiter.allow('10.0.0.1', 0)).toBe(true);
    expect(limiter.allow('10.0.0.1', 0)).toBe(true);
    expect(limiter.allow('10.0.0.1', 0)).toBe(false);
    expect(limiter.allow('10.0.0.2', 0)).toBe(true);
    expect(limiter.allow('10.0.0.1', 1000)).toBe(true);
    expect(limiter.allow('10.0.0.1', 1000)).toBe(false);
    expect(limiter.refused).toBe(2);
  });

  it("a flooding sender does not use up the others' share", () => {
    const limiter = new AnnounceLimiter({ perSenderBurst: 2, totalBurst: 5 });
    for (let i = 0; i < 1000; i++) limiter.allow('10.0.0.66', 0);
    expect(limiter.allow('10.0.0.1', 0)).toBe(true);
  });

  it('bounds all senders together, and the senders it remembers', () => {
    const limiter = new AnnounceLimiter({ totalBurst: 10, totalRefillMs: 1000, maxSenders: 4 });
    let allowed = 0;
    for (let i = 0; i < 1000; i++) if (limiter.allow(`10.0.${i >> 8}.${i & 0xff}`, 0)) allowed++;
    expect(allowed).toBe(10);
    expect(limiter.refused).toBe(990);
    expect(limiter.allow('192.0.2.1', 1000)).toBe(true);
  });
});
