import { type PeerAddress, parseIPv4 } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { DhtCore } from './dht-core.js';
import { decodeKrpc, encodeKrpc } from './krpc.js';
import { isValidNodeIdForAddress, nodeIdForIp } from './node-id.js';

/** Answers every query the core sent, from the address it went to, with `ip` set to `seen`. */
function answerAll(core: DhtCore, seen: PeerAddress, now: number, out = core.takeOutgoing()): void {
  for (const datagram of out) {
    const query = decodeKrpc(datagram.bytes);
    if (query.kind !== 'query') continue;
    const id = nodeIdForIp(
      parseIPv4(datagram.to.host),
      new Uint8Array(20).fill(datagram.to.port & 0xff),
    );
    const reply = encodeKrpc({
      kind: 'response',
      transactionId: query.transactionId,
      id,
      ip: seen,
    });
    core.receive(reply, datagram.to, now);
  }
}

describe('DhtCore', () => {
  it('BEP 42: takes an id valid for the external address once enough responders agree', () => {
    const routers: PeerAddress[] = [1, 2, 3, 4, 5].map((n) => ({
      host: `203.0.113.${n}`,
      port: 6881,
      family: 4,
    }));
    const core = new DhtCore({ now: 0, bootstrap: routers, id: undefined });
    const before = Uint8Array.from(core.id);
    const external: PeerAddress = { host: '198.51.100.77', port: 6881, family: 4 };
    expect(isValidNodeIdForAddress(before, external)).toBe(false);
    answerAll(core, external, 1, core.tick(0));
    expect(core.stats(1).externalAddress).toEqual(external);
    expect(isValidNodeIdForAddress(core.id, external)).toBe(true);
    // The table was kept across the change of id.
    expect(core.table()!.size).toBeGreaterThan(0);
  });

  it('keeps a given id, and a local external address changes nothing', () => {
    const routers: PeerAddress[] = [1, 2, 3, 4, 5].map((n) => ({
      host: `203.0.113.${n}`,
      port: 6881,
      family: 4,
    }));
    const fixed = new Uint8Array(20).fill(9);
    const core = new DhtCore({ now: 0, bootstrap: routers, id: fixed });
    answerAll(core, { host: '198.51.100.77', port: 1, family: 4 }, 1, core.tick(0));
    expect(core.id).toEqual(fixed);
    const other = new DhtCore({ now: 0, bootstrap: routers });
    const id = Uint8Array.from(other.id);
    answerAll(other, { host: '192.168.1.5', port: 1, family: 4 }, 1, other.tick(0));
    expect(other.id).toEqual(id);
  });

  it('saves and reloads its id and table', () => {
    const routers: PeerAddress[] = [1, 2, 3].map((n) => ({
      host: `10.0.0.${n}`,
      port: 6881,
      family: 4,
    }));
    const core = new DhtCore({ now: 0, bootstrap: routers });
    answerAll(core, { host: '10.9.9.9', port: 1, family: 4 }, 1, core.tick(0));
    const state = core.saveState();
    const again = new DhtCore({ now: 0, state });
    expect(again.id).toEqual(core.id);
    // The saved nodes are where it starts: its first tick asks them.
    const asked = again
      .tick(0)
      .map((datagram) => datagram.to.host)
      .sort();
    expect(asked).toEqual(routers.map((router) => router.host).sort());
    expect(() => new DhtCore({ now: 0, state: Uint8Array.of(1, 2, 3) })).toThrow(
      expect.objectContaining({ code: 'invalid-state' }),
    );
  });

  it('pings questionable nodes and refreshes buckets idle for 15 minutes', () => {
    const routers: PeerAddress[] = [1, 2, 3].map((n) => ({
      host: `10.0.0.${n}`,
      port: 6881,
      family: 4,
    }));
    const core = new DhtCore({ now: 0, bootstrap: routers });
    answerAll(core, { host: '10.9.9.9', port: 1, family: 4 }, 1, core.tick(0));
    expect(core.table()!.stats(1).good).toBe(3);
    // Nothing to do a minute later: everyone is good, no bucket is idle.
    const early = core.tick(60_000).map((datagram) => decodeKrpc(datagram.bytes));
    expect(early).toEqual([]);
    const later = 15 * 60_000 + 10_000;
    expect(core.table()!.stats(later).questionable).toBe(3);
    const methods = core.tick(later).map((datagram) => {
      const message = decodeKrpc(datagram.bytes);
      return message.kind === 'query' ? message.method : message.kind;
    });
    expect(methods).toContain('ping');
    expect(methods).toContain('find_node');
  });
});
