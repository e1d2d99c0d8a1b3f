// Recovery after a burst of losses, on a virtual clock: a run of consecutive datagrams dropped
// (data, ACKs or both), or the link down for a while, costs about one retransmission timeout of
// the round-trip estimate (capped back-off) and a slow start, never a back-off to tens of
// seconds or a connection given up while the other side still answers.
import { describe, expect, it } from 'vitest';
import { Collector, SimulatedNetwork, equalBytes, pattern } from './simulated-link.js';

const SIZE = 8_000_000;
/** 10 MB/s each way, 5 ms one way (a 1,420-byte datagram every 0.14 ms). */
const LINK = { delay: 5, rate: 10_000 };

interface Burst {
  /** Consecutive datagrams dropped toward the receiver (data) and toward the sender (ACKs). */
  data?: number;
  acks?: number;
  /** Or the link down both ways (or one) for this long (ms). */
  downFor?: number;
  direction?: 'both' | 'data' | 'acks';
  /** Bursts, one per megabyte delivered. */
  times?: number;
}

function run(burst: Burst): {
  network: SimulatedNetwork;
  received: Collector;
  sender: Collector;
  done: boolean;
  downtime: number;
} {
  const received = new Collector();
  const network = new SimulatedNetwork(LINK, {
    b: { onConnection: (connection) => connection.open(received.handlers()) },
  });
  const connection = network.connect();
  const sender = new Collector();
  connection.open(sender.handlers());
  const data = pattern(SIZE);
  for (let offset = 0; offset < SIZE; offset += 65_536)
    connection.write(data.subarray(offset, Math.min(SIZE, offset + 65_536)));
  let bursts = 0;
  let downtime = 0;
  const done = network.run(() => {
    if (bursts < (burst.times ?? 0) && received.length >= 1_000_000 * (bursts + 1)) {
      bursts++;
      network.dropNext.b += burst.data ?? 0;
      network.dropNext.a += burst.acks ?? 0;
      if (burst.downFor !== undefined) {
        const direction = burst.direction ?? 'both';
        if (direction !== 'acks') network.dropUntil.b = network.now + burst.downFor;
        if (direction !== 'data') network.dropUntil.a = network.now + burst.downFor;
        downtime += burst.downFor;
      }
    }
    return received.length >= SIZE || sender.closed;
  }, 300_000);
  return { network, received, sender, done: done && received.length >= SIZE, downtime };
}

function expectComplete(result: ReturnType<typeof run>): void {
  expect(result.sender.error).toBeUndefined();
  expect(result.done).toBe(true);
  expect(equalBytes(result.received.bytes(), pattern(SIZE))).toBe(true);
}

describe('recovery after burst loss', () => {
  const clean = run({});

  it('the clean transfer, for scale, takes under 2 s of simulated time', () => {
    expectComplete(clean);
    expect(clean.network.now).toBeLessThan(2000);
  });

  it.each([
    ['200 data packets', { data: 200, times: 1 }],
    ['200 ACKs', { acks: 200, times: 1 }],
    ['200 packets each way', { data: 200, acks: 200, times: 1 }],
    ['700 data packets (about all in flight)', { data: 700, times: 1 }],
  ] as const)('%s: complete, at most a capped timeout per burst later', (_name, burst) => {
    const result = run(burst);
    expectComplete(result);
    // One timeout of the round-trip estimate (500 ms floor) and a slow start per burst, or less
    // when selective ACKs find the losses; never seconds of back-off.
    expect(result.network.now - clean.network.now).toBeLessThan(burst.times * 1500);
  });

  it.each([
    ['both ways for 2 s', { downFor: 2000, times: 1 }],
    ['both ways for 20 s', { downFor: 20_000, times: 1 }],
    ['data only for 20 s', { downFor: 20_000, direction: 'data', times: 1 }],
    ['ACKs only for 20 s', { downFor: 20_000, direction: 'acks', times: 1 }],
    ['both ways for 3 s, four times', { downFor: 3000, times: 4 }],
    // about 200 packets' time at 10 MB/s, again and again
    ['both ways for 30 ms, five times', { downFor: 30, times: 5 }],
    ['data only for 30 ms, five times', { downFor: 30, direction: 'data', times: 5 }],
  ] as const)('the link down %s: the transfer resumes within the back-off cap', (_name, burst) => {
    const result = run(burst);
    expectComplete(result);
    // The back-off is capped at 4 s: after the link is back, the next resend goes within it.
    expect(result.network.now - clean.network.now - result.downtime).toBeLessThan(
      burst.times * 5500,
    );
  });
});
