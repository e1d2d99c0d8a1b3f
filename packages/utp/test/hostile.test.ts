// Hostile datagrams against the sans-IO core: junk, wrong connection ids, a SYN flood, a RESET
// storm, lies about windows and sequence numbers. Each is dropped or answered within a bound,
// nothing throws, memory stays bounded, and an honest connection beside them completes.
import type { PeerAddress } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { PacketType, type UtpConnection, type UtpPacket, encodePacket } from '../src/index.js';
import {
  A,
  B,
  Collector,
  SimulatedNetwork,
  equalBytes,
  establishedConnection,
  pattern,
  seeded,
} from './simulated-link.js';

const attacker = (port: number): PeerAddress => ({ host: '10.6.6.6', port, family: 4 });

function packet(fields: Partial<UtpPacket>): Uint8Array {
  return encodePacket({
    type: PacketType.state,
    connectionId: 0,
    timestamp: 0,
    timestampDifference: 0,
    windowSize: 0,
    seq: 0,
    ack: 0,
    payload: new Uint8Array(0),
    ...fields,
  });
}

/** An honest transfer a to b while `attack(network)` runs every virtual 10 ms. */
function underAttack(
  attack: (network: SimulatedNetwork, step: number) => void,
  size = 300_000,
): { network: SimulatedNetwork; received: Collector; accepted: UtpConnection[] } {
  const received = new Collector();
  const accepted: UtpConnection[] = [];
  const network = new SimulatedNetwork(
    { delay: 10 },
    {
      b: {
        maxHalfOpen: 8,
        maxConnections: 32,
        onConnection: (connection) => {
          accepted.push(connection);
          if (connection.remoteAddress.host === A.host) connection.open(received.handlers());
          else connection.open(new Collector().handlers());
        },
      },
    },
  );
  const sender = network.connect();
  sender.open(new Collector().handlers());
  sender.write(pattern(size));
  let step = 0;
  let next = 0;
  expect(
    network.run(() => {
      if (network.now >= next) {
        next = network.now + 10;
        attack(network, step++);
      }
      return received.length === size;
    }, 120_000),
  ).toBe(true);
  expect(equalBytes(received.bytes(), pattern(size))).toBe(true);
  return { network, received, accepted };
}

describe('hostile datagrams', () => {
  it('junk is dropped and counted; nothing is sent back', () => {
    const random = seeded(5);
    let answers = 0;
    let sent = 0;
    const { network } = underAttack((network) => {
      for (let i = 0; i < 50; i++) {
        const junk = Uint8Array.from({ length: Math.floor(random() * 100) }, () =>
          Math.floor(random() * 256),
        );
        junk[0] = 0x72; // an unknown type with version 2: never uTP
        sent++;
        answers += network.b.receive(junk, attacker(1), network.now).length;
      }
    });
    expect(answers).toBe(0);
    expect(sent).toBeGreaterThan(100);
    expect(network.b.stats().invalidPackets).toBe(sent);
  });

  it('packets for unknown connection ids get at most 16 RESETs per tick, and RESETs none', () => {
    let resets = 0;
    let ticks = 0;
    const { network } = underAttack((network, step) => {
      ticks++;
      for (let i = 0; i < 100; i++) {
        const type = i % 2 === 0 ? PacketType.data : PacketType.reset;
        const bytes = packet({
          type,
          connectionId: (step * 100 + i) & 0xffff,
          payload: type === PacketType.data ? new Uint8Array([1]) : new Uint8Array(0),
        });
        resets += network.b.receive(bytes, attacker(2), network.now).length;
      }
    });
    expect(resets).toBeLessThanOrEqual(16 * (ticks + 1));
    expect(network.b.stats().unknownPackets).toBeGreaterThan(1000);
  });

  it('a SYN flood from one host fills at most its share of half-open slots, which time out', () => {
    const { network, accepted } = underAttack((network, step) => {
      for (let i = 0; i < 50; i++)
        network.b.receive(
          packet({ type: PacketType.syn, connectionId: i, seq: 1 }),
          attacker(10_000 + step),
          network.now,
        );
    });
    expect(network.b.stats().refusedSyns).toBeGreaterThan(100);
    expect(accepted.length).toBeLessThan(40);
    expect(network.b.stats().halfOpen).toBeLessThanOrEqual(4);
    // the half-open ones end within their 10 s
    network.run(() => network.b.stats().halfOpen === 0, 30_000);
    expect(network.b.stats().halfOpen).toBe(0);
  });

  it('a RESET storm with guessed ids touches only what it guesses', () => {
    let guessed = 0;
    const { network } = underAttack((network, step) => {
      for (let i = 0; i < 100; i++) {
        guessed++;
        network.b.receive(
          packet({ type: PacketType.reset, connectionId: (step * 100 + i) & 0xffff }),
          attacker(3),
          network.now,
        );
      }
    });
    expect(guessed).toBeGreaterThan(1000);
    expect(network.b.stats().unknownPackets).toBeGreaterThan(1000);
  });

  it('a peer that claims a 4 GiB window gets no more in flight than our congestion window allows', () => {
    const network = new SimulatedNetwork({ delay: 10 }, { a: { maxWindow: 256 * 1024 } });
    const liar = network.connect();
    liar.open(new Collector().handlers());
    network.run(() => false, 10);
    // b never answers as uTP would: we answer the SYN by hand with a huge window and then ACK nothing
    const syn = { receiveId: liar.receiveId };
    network.a.receive(
      packet({
        type: PacketType.state,
        connectionId: syn.receiveId,
        windowSize: 0xffffffff,
        seq: 100,
        ack: 1,
      }),
      B,
      network.now,
    );
    expect(liar.state).toBe('connected');
    liar.write(pattern(10_000_000));
    const out = network.a.flush(network.now);
    const bytes = out.reduce((sum, datagram) => sum + datagram.bytes.length - 20, 0);
    expect(bytes).toBeLessThanOrEqual(4 * 1400);
    expect(liar.stats.inFlight).toBeLessThanOrEqual(256 * 1024);
  });

  it('sequence numbers far outside the window, and ACKs of packets never sent, are ignored', () => {
    const { network, sender, accepted, received } = establishedConnection();
    const id = accepted.receiveId;
    for (let seq = 0; seq < 65536; seq += 7) {
      network.b.receive(
        packet({
          type: PacketType.data,
          connectionId: id,
          seq,
          ack: (seq * 31) & 0xffff,
          payload: new Uint8Array(1400),
        }),
        A,
        network.now,
      );
    }
    // at most the receive window (1 MiB) of junk is held; nothing past it was delivered out of order
    expect(received.length).toBeLessThanOrEqual(1000 + 1400);
    sender.write(pattern(5000, 3));
    network.run(() => sender.closed || received.length >= 6000, 60_000);
  });

  it('a sender that ignores our window while we do not read is cut off at twice the window', () => {
    let accepted: UtpConnection | undefined;
    const network = new SimulatedNetwork(
      { delay: 10 },
      {
        b: {
          receiveWindow: 16 * 1024,
          onConnection: (connection) => {
            accepted = connection;
          },
        },
      },
    );
    const sender = network.connect();
    sender.open(new Collector().handlers());
    sender.write(pattern(100));
    network.run(() => accepted !== undefined && accepted.state === 'connected', 5000);
    // the first packet is in; now in-order packets past the window, never read
    const id = accepted!.receiveId;
    const ackOfSender = 0;
    let seq = 3;
    for (let i = 0; i < 1000; i++) {
      network.b.receive(
        packet({
          type: PacketType.data,
          connectionId: id,
          seq: seq++,
          ack: ackOfSender,
          payload: new Uint8Array(1400),
        }),
        A,
        network.now,
      );
    }
    const collector = new Collector();
    accepted!.open(collector.handlers());
    expect(collector.length).toBeLessThanOrEqual(2 * 16 * 1024 + 2 * 1400);
  });
});
