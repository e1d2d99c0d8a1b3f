// The Node shell on loopback: two sockets move bytes both ways, compared; a socket shared with
// another protocol (a bencoded DHT-like datagram) hands that datagram on and keeps uTP; close
// ends every connection.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@bt/test-support';
import type { PeerAddress } from '@bt/primitives';
import { UtpError, isUtpDatagram, type UtpConnection } from '../src/index.js';
import { createUtpSocket, type UtpSocket } from '../src/node.js';
import { Collector, equalBytes, pattern } from './simulated-link.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((each) => each.close()));
});

async function socket(options: Parameters<typeof createUtpSocket>[0] = {}): Promise<UtpSocket> {
  const created = await createUtpSocket({ host: '127.0.0.1', ...options });
  open.push(created);
  return created;
}

describe('uTP over loopback UDP', () => {
  it('moves 8 MiB one way and 1 MiB the other, bytes compared', async () => {
    const received = new Collector();
    const server = await socket({
      onConnection: (connection) => {
        connection.open(received.handlers());
        connection.write(pattern(1024 * 1024, 5));
      },
    });
    const client = await socket();
    const connection = client.connect(server.address());
    const back = new Collector();
    connection.open(back.handlers());
    const data = pattern(8 * 1024 * 1024);
    for (let offset = 0; offset < data.length; offset += 65_536)
      connection.write(data.subarray(offset, offset + 65_536));
    await waitFor(() => received.length === data.length && back.length === 1024 * 1024, {
      what: 'both transfers',
    });
    expect(equalBytes(received.bytes(), data)).toBe(true);
    expect(equalBytes(back.bytes(), pattern(1024 * 1024, 5))).toBe(true);
    expect(back.connected).toBe(true);
  });

  it('shares a socket: other datagrams are handed on, uTP still works', async () => {
    const others: { bytes: Uint8Array; from: PeerAddress }[] = [];
    const received = new Collector();
    const server = await socket({
      onConnection: (connection) => connection.open(received.handlers()),
      onOtherDatagram: (bytes, from) => others.push({ bytes: Uint8Array.from(bytes), from }),
    });
    // a socket owned by someone else, who passes us only what is uTP
    const shared: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => shared.bind(0, '127.0.0.1', () => resolve()));
    open.push({ close: () => new Promise<void>((resolve) => shared.close(() => resolve())) });
    const client = await socket({ socket: shared });
    let otherOnShared = 0;
    shared.on('message', (message, rinfo) => {
      const from = { host: rinfo.address, port: rinfo.port, family: 4 as const };
      if (isUtpDatagram(message)) client.receive(message, from);
      else otherOnShared++;
    });
    const krpc = new TextEncoder().encode(
      'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe',
    );
    shared.send(krpc, server.address().port, '127.0.0.1');
    const connection = client.connect(server.address());
    connection.open(new Collector().handlers());
    connection.write(pattern(300_000));
    await waitFor(() => received.length === 300_000 && others.length === 1, {
      what: 'the uTP bytes and the DHT datagram',
    });
    expect(equalBytes(received.bytes(), pattern(300_000))).toBe(true);
    expect(new TextDecoder().decode(others[0]!.bytes)).toMatch(/^d1:ad2:id/);
    expect(others[0]!.from.port).toBe(client.address().port);
    expect(otherOnShared).toBe(0);
    // closing the uTP shell leaves the shared socket open
    await client.close();
    expect(() => shared.address()).not.toThrow();
  });

  it('a dial to a port where nobody speaks uTP fails with a typed error; close ends connections', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
    open.push({ close: () => new Promise<void>((resolve) => silent.close(() => resolve())) });
    const client = await socket({ core: { maxSynAttempts: 1 } });
    const dead = client.connect({ host: '127.0.0.1', port: silent.address().port, family: 4 });
    const events = new Collector();
    dead.open(events.handlers());
    await waitFor(() => events.closed, { what: 'the SYN to time out' });
    expect(UtpError.isInstance(events.error) && events.error.code).toBe('connection-timeout');

    let accepted: UtpConnection | undefined;
    const server = await socket({ onConnection: (connection) => (accepted = connection) });
    const live = client.connect(server.address());
    const liveEvents = new Collector();
    live.open(liveEvents.handlers());
    live.write(pattern(10));
    await waitFor(() => accepted !== undefined, { what: 'the connection' });
    await client.close();
    expect(liveEvents.closed).toBe(true);
    expect(UtpError.isInstance(liveEvents.error) && liveEvents.error.code).toBe('closed');
  });
});
