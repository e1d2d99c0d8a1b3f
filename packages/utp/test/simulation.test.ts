// The sans-IO core over a simulated link on a virtual clock: every byte arrives, in order, through
// loss, reordering, duplication and delay; LEDBAT holds the queuing delay near its target and
// yields to a competing flow; timeouts back off and end connections nobody answers.
import { describe, expect, it } from 'vitest';
import { PacketType, UtpError, encodePacket, type UtpConnection } from '../src/index.js';
import {
  B,
  Collector,
  type LinkOptions,
  SimulatedNetwork,
  equalBytes,
  establishedConnection,
  pattern,
} from './simulated-link.js';

interface Transfer {
  network: SimulatedNetwork;
  sender: UtpConnection;
  received: Collector;
  echo: Collector;
  done: boolean;
}

/** a sends `size` bytes to b and b sends `back` bytes to a, in writes of `writeSize`. */
function transfer(
  link: LinkOptions,
  size: number,
  options: { seed?: number; back?: number; writeSize?: number; limit?: number } = {},
): Transfer {
  const received = new Collector();
  const echo = new Collector();
  const back = options.back ?? 0;
  const network = new SimulatedNetwork(link, {
    seed: options.seed ?? 1,
    b: {
      onConnection: (connection) => {
        connection.open(received.handlers());
        if (back > 0) connection.write(pattern(back, 99));
      },
    },
  });
  const sender = network.connect();
  sender.open(echo.handlers());
  const data = pattern(size);
  const writeSize = options.writeSize ?? 16 * 1024 + 13;
  for (let offset = 0; offset < size; offset += writeSize)
    sender.write(data.subarray(offset, Math.min(size, offset + writeSize)));
  const done = network.run(
    () => received.length >= size && echo.length >= back,
    options.limit ?? 600_000,
  );
  return { network, sender, received, echo, done };
}

function expectDelivered(result: Transfer, size: number, back = 0): void {
  expect(result.done).toBe(true);
  expect(result.received.length).toBe(size);
  expect(equalBytes(result.received.bytes(), pattern(size))).toBe(true);
  expect(result.received.error).toBeUndefined();
  if (back > 0) expect(equalBytes(result.echo.bytes(), pattern(back, 99))).toBe(true);
}

describe('reliable, ordered delivery', () => {
  it('a clean link delivers every byte, both ways at once', () => {
    const result = transfer({ delay: 5 }, 2_000_000, { back: 500_000 });
    expectDelivered(result, 2_000_000, 500_000);
    expect(result.echo.connected).toBe(true);
  });

  it.each([
    ['1% loss', { delay: 25, loss: 0.01 }],
    ['5% loss', { delay: 25, loss: 0.05 }],
    ['reordering (jitter 20 ms)', { delay: 10, jitter: 20 }],
    ['duplicates (10%)', { delay: 10, duplicate: 0.1 }],
    [
      '50 ms delay, 1% loss, reordering and duplicates',
      { delay: 50, jitter: 10, loss: 0.01, duplicate: 0.02 },
    ],
  ] as const)('%s: every byte arrives in order', (_name, link) => {
    for (const seed of [1, 2, 3]) {
      const result = transfer(link, 1_000_000, { seed, back: 100_000 });
      expectDelivered(result, 1_000_000, 100_000);
    }
  });

  it('a lossy link needs retransmissions, and they are bounded', () => {
    const clean = transfer({ delay: 25 }, 1_000_000);
    const lossy = transfer({ delay: 25, loss: 0.05 }, 1_000_000);
    expectDelivered(lossy, 1_000_000);
    expect(lossy.network.sent).toBeGreaterThan(clean.network.sent);
    expect(lossy.network.sent).toBeLessThan(clean.network.sent * 1.5);
  });

  it('a reader that pauses stops the sender at its receive window, and resumes it', () => {
    const received = new Collector();
    let accepted: UtpConnection | undefined;
    const network = new SimulatedNetwork(
      { delay: 5 },
      {
        b: {
          receiveWindow: 64 * 1024,
          onConnection: (connection) => {
            accepted = connection;
            connection.open(received.handlers());
            connection.pause();
          },
        },
      },
    );
    const sender = network.connect();
    sender.open(new Collector().handlers());
    sender.write(pattern(1_000_000));
    network.run(() => false, 5_000);
    // Paused: nothing delivered, and the sender stopped near the window it was told.
    expect(received.length).toBe(0);
    expect(sender.bufferedBytes).toBeGreaterThan(1_000_000 - 128 * 1024);
    expect(sender.stats.inFlight).toBeLessThanOrEqual(64 * 1024);
    accepted!.resume();
    expect(network.run(() => received.length === 1_000_000)).toBe(true);
    expect(equalBytes(received.bytes(), pattern(1_000_000))).toBe(true);
  });

  it('FIN ends the reader cleanly after the data before it', () => {
    const received = new Collector();
    const network = new SimulatedNetwork(
      { delay: 10, jitter: 5, loss: 0.02 },
      { b: { onConnection: (connection) => connection.open(received.handlers()) } },
    );
    const sender = network.connect();
    sender.open(new Collector().handlers());
    sender.write(pattern(50_000));
    expect(network.run(() => received.length === 50_000)).toBe(true);
    sender.close();
    expect(network.run(() => received.closed)).toBe(true);
    expect(received.error).toBeUndefined();
    expect(network.a.connectionCount).toBe(0);
    expect(network.b.connectionCount).toBe(0);
  });

  it('a RESET ends the connection with connection-reset', () => {
    const received = new Collector();
    const network = new SimulatedNetwork(
      { delay: 10 },
      { b: { onConnection: (connection) => connection.open(received.handlers()) } },
    );
    const sender = network.connect();
    const events = new Collector();
    sender.open(events.handlers());
    sender.write(pattern(1000));
    expect(network.run(() => received.length === 1000)).toBe(true);
    const reset = encodePacket({
      type: PacketType.reset,
      connectionId: sender.receiveId,
      timestamp: 0,
      timestampDifference: 0,
      windowSize: 0,
      seq: 0,
      ack: 0,
      payload: new Uint8Array(0),
    });
    network.a.receive(reset, B, network.now);
    expect(events.closed).toBe(true);
    expect(UtpError.isInstance(events.error) && events.error.code).toBe('connection-reset');
    expect(network.a.connectionCount).toBe(0);
  });
});

describe('timeouts back off', () => {
  it('a SYN nobody answers is sent 3 times, 1 s then 2 s then 4 s apart, then fails', () => {
    const network = new SimulatedNetwork({ delay: 10 });
    network.blackhole = 'b';
    const times: number[] = [];
    network.onDatagram = () => times.push(network.now);
    const connection = network.connect();
    const events = new Collector();
    connection.open(events.handlers());
    expect(network.run(() => events.closed)).toBe(true);
    expect(UtpError.isInstance(events.error) && events.error.code).toBe('connection-timeout');
    expect(times.length).toBe(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(2000);
    expect(network.now - times[2]!).toBeGreaterThanOrEqual(4000);
  });

  it('unacknowledged data is resent with the timeout doubling up to 4 s; the connection fails after 10 timeouts with the remote side silent', () => {
    const received = new Collector();
    const network = new SimulatedNetwork(
      { delay: 10 },
      { b: { onConnection: (connection) => connection.open(received.handlers()) } },
    );
    const sender = network.connect();
    const events = new Collector();
    sender.open(events.handlers());
    sender.write(pattern(100));
    expect(network.run(() => received.length === 100)).toBe(true);
    network.blackhole = 'b';
    const resends: number[] = [];
    network.onDatagram = (to, bytes) => {
      if (to === 'b' && bytes[0]! >> 4 === PacketType.data) resends.push(network.now);
    };
    sender.write(pattern(100));
    expect(network.run(() => events.closed)).toBe(true);
    expect(UtpError.isInstance(events.error) && events.error.code).toBe('connection-timeout');
    // the first send and ten resends
    expect(resends.length).toBe(11);
    const gaps = resends.slice(1).map((at, i) => at - resends[i]!);
    // 500 ms (the floor of the round-trip estimate's timeout), doubling up to the 4 s cap
    expect(gaps[0]!).toBeGreaterThanOrEqual(500);
    expect(gaps[0]!).toBeLessThan(600);
    for (let i = 1; i < gaps.length; i++) {
      expect(gaps[i]!).toBeGreaterThanOrEqual(Math.min(gaps[i - 1]! * 1.9, 4000));
      expect(gaps[i]!).toBeLessThanOrEqual(4020);
    }
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(4000);
  });

  it('a peer that still answers is never given up on: our data lost for 2 minutes, then delivered', () => {
    const { network, sender, accepted, received, echo } = establishedConnection();
    // Every data packet toward b is lost; b keeps sending to a (a trickle), and its ACKs pass.
    network.drop = (to, bytes) => to === 'b' && bytes[0]! >> 4 === PacketType.data;
    sender.write(pattern(50_000, 3));
    const trickle = pattern(100, 5);
    const until = network.now + 120_000;
    network.run(() => {
      if (accepted.bufferedBytes === 0) accepted.write(trickle);
      return network.now >= until;
    });
    expect(sender.closed).toBe(false);
    expect(received.length).toBe(1000);
    expect(echo.length).toBeGreaterThan(0);
    network.drop = undefined;
    expect(network.run(() => received.length === 51_000 || sender.closed, 10_000)).toBe(true);
    expect(equalBytes(received.bytes().subarray(1000), pattern(50_000, 3))).toBe(true);
  });
});

describe('LEDBAT', () => {
  /** a sends without end over a bottleneck; queuing delay samples after the first 10 s. */
  function saturate(targetDelay: number): SimulatedNetwork {
    const network = new SimulatedNetwork(
      { delay: 25, rate: 1000 }, // 1 MB/s bottleneck, 25 ms each way, a deep buffer
      {
        a: { targetDelay },
        b: { onConnection: (connection) => connection.open(new Collector().handlers()) },
      },
    );
    const sender = network.connect();
    sender.open(new Collector().handlers());
    const chunk = pattern(64 * 1024);
    network.run(() => {
      while (sender.bufferedBytes < 1024 * 1024) sender.write(chunk);
      return network.now > 30_000;
    });
    return network;
  }

  function meanDelay(network: SimulatedNetwork, from: number, to = Infinity): number {
    const samples = network.queueDelays.filter((sample) => sample.at >= from && sample.at < to);
    return samples.reduce((sum, sample) => sum + sample.delay, 0) / samples.length;
  }

  it('holds the queuing delay near the 100 ms target on a saturated bottleneck', () => {
    const network = saturate(100_000);
    const delay = meanDelay(network, 10_000);
    expect(delay).toBeGreaterThan(50);
    expect(delay).toBeLessThan(150);
    // and it uses the link: ~1 MB/s over the last 20 s
    const bytes = network.queueDelays.filter((sample) => sample.at >= 10_000).length * 1420;
    expect(bytes / 20_000).toBeGreaterThan(800);
  });

  it('a smaller target gives a smaller queue (the delay drives the window)', () => {
    expect(meanDelay(saturate(25_000), 10_000)).toBeLessThan(
      meanDelay(saturate(100_000), 10_000) / 2,
    );
  });

  it('backs off when a competing flow fills the bottleneck', () => {
    const received = new Collector();
    const network = new SimulatedNetwork(
      { delay: 25, rate: 1000 },
      { b: { onConnection: (connection) => connection.open(received.handlers()) } },
    );
    const sender = network.connect();
    sender.open(new Collector().handlers());
    const chunk = pattern(64 * 1024);
    const fill = (): void => {
      while (sender.bufferedBytes < 1024 * 1024) sender.write(chunk);
    };
    network.run(() => (fill(), network.now > 15_000));
    const alone = received.length;
    // a flow that does not back off takes 90% of the link
    network.compete(900);
    network.run(() => (fill(), network.now > 30_000));
    const shared = received.length - alone;
    const sharedDelay = network.queueDelays
      .filter((sample) => sample.at >= 20_000 && sample.at < 30_000)
      .reduce((sum, sample, _i, all) => sum + sample.delay / all.length, 0);
    network.compete(0);
    network.run(() => (fill(), network.now > 45_000));
    const after = received.length - alone - shared;
    expect(alone / 15_000).toBeGreaterThan(800); // ~1 MB/s alone
    expect(shared / 15_000).toBeLessThan(250); // yields: at most about the 10% left
    expect(sharedDelay).toBeLessThan(200); // without letting the queue grow past its target
    expect(after / 15_000).toBeGreaterThan(700); // and takes the link back
  });
});
