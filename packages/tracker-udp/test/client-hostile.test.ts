/**
 * The client against trackers that misbehave: silence, foreign transaction ids, truncated,
 * oversized and mislabelled replies, error packets, replies from the wrong address. Each ends
 * in a typed `UdpTrackerError`, on a shrunk BEP 15 retransmission schedule.
 */
import { createSocket } from 'node:dgram';
import { type AnnounceRequest, generatePeerId, randomBytes } from '@bt/primitives';
import { waitFor } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnnounceRequestPacket,
  decodeRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  UdpTrackerError,
} from '../src/index.js';
import { UdpTrackerClient } from '../src/node.js';
import { type FakeTracker, startFakeTracker } from './fake-tracker.js';

const request = (): AnnounceRequest => ({
  infoHash: randomBytes(20),
  peerId: generatePeerId(),
  port: 6881,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  event: 'started',
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function fake(
  handle: Parameters<typeof startFakeTracker>[0],
  host?: string,
): Promise<FakeTracker> {
  const tracker = await startFakeTracker(handle, host);
  cleanups.push(() => tracker.close());
  return tracker;
}

function client(options: ConstructorParameters<typeof UdpTrackerClient>[0] = {}): UdpTrackerClient {
  // Replies here come at once: a slow schedule keeps a busy machine from adding retransmissions.
  const created = new UdpTrackerClient({ retransmitBase: 2, maxRetransmits: 2, ...options });
  cleanups.push(() => created.close());
  return created;
}

async function failure(promise: Promise<unknown>): Promise<UdpTrackerError> {
  try {
    await promise;
  } catch (error) {
    if (UdpTrackerError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a UdpTrackerError');
}

/** BEP 15's schedule shrunk to 20 ms, 40 ms, 80 ms...: for the tests that wait for a timeout. */
const shrunk = (maxRetransmits: number) => ({ retransmitBase: 0.02, maxRetransmits });

const connectionId = Uint8Array.from([9, 9, 9, 9, 1, 2, 3, 4]);

/** Answers connects properly; hands announces and scrapes to `onAction`. */
function connecting(
  onAction: (packet: ReturnType<typeof decodeRequest>, reply: (bytes: Uint8Array) => void) => void,
) {
  return (
    message: Uint8Array,
    remote: Parameters<FakeTracker['reply']>[1],
    tracker: FakeTracker,
  ) => {
    const packet = decodeRequest(message);
    const reply = (bytes: Uint8Array) => tracker.reply(bytes, remote);
    if (packet.action === 'connect')
      reply(encodeConnectResponse({ transactionId: packet.transactionId, connectionId }));
    else onAction(packet, reply);
  };
}

/** Answers every announce with an empty swarm and a 5 s interval. */
function answerEmptySwarm(
  packet: ReturnType<typeof decodeRequest>,
  reply: (bytes: Uint8Array) => void,
): void {
  reply(
    encodeAnnounceResponse(
      { transactionId: packet.transactionId, interval: 5, leechers: 0, seeders: 0, peers: [] },
      4,
    ),
  );
}

describe('client against hostile trackers', () => {
  it('gives up with timeout after the last retransmission to a silent tracker', async () => {
    const tracker = await fake(() => undefined);
    const error = await failure(client(shrunk(3)).announce(tracker.url, request()));
    expect(error.code).toBe('timeout');
    expect(error.url).toBe(tracker.url);
    // the last copy left before the final wait began; its arrival is read when the loop gets to it
    await waitFor(() => tracker.received.length >= 4, { intervalMs: 5, what: 'the fourth copy' });
    expect(tracker.received).toHaveLength(4); // the first send and three retransmissions
    expect(tracker.received.every((packet) => decodeRequest(packet).action === 'connect')).toBe(
      true,
    );
  });

  it('resends the same datagram, so a late reply to an earlier copy still counts', async () => {
    const tracker = await fake(() => undefined);
    await failure(client(shrunk(1)).announce(tracker.url, request()));
    await waitFor(() => tracker.received.length >= 2, { intervalMs: 5, what: 'the second copy' });
    expect(tracker.received).toHaveLength(2);
    expect(tracker.received[1]).toEqual(tracker.received[0]);
  });

  it('reports transaction-mismatch when the tracker only answers with foreign transaction ids', async () => {
    const tracker = await fake((message, remote, self) => {
      const packet = decodeRequest(message);
      self.reply(
        encodeConnectResponse({ transactionId: (packet.transactionId + 1) >>> 0, connectionId }),
        remote,
      );
    });
    // The verdict comes at the last timeout, so that timeout must leave time to read the replies
    // on a loaded machine (a shrunk schedule could end before the first reply is read).
    const error = await failure(
      client({ retransmitBase: 1, maxRetransmits: 1 }).announce(tracker.url, request()),
    );
    expect(error.code).toBe('transaction-mismatch');
  });

  it('ignores a reply with our transaction id from another address', async () => {
    const spoofer = createSocket('udp4');
    await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => spoofer.close(() => resolve())));
    const tracker = await fake((message, remote) => {
      const packet = decodeRequest(message);
      spoofer.send(
        encodeConnectResponse({ transactionId: packet.transactionId, connectionId }),
        remote.port,
        remote.address,
      );
    });
    const error = await failure(client(shrunk(2)).announce(tracker.url, request()));
    expect(error.code).toBe('timeout');
  });

  it('rejects truncated replies as malformed-response', async () => {
    const tracker = await fake((message, remote, self) => {
      const packet = decodeRequest(message);
      self.reply(
        encodeConnectResponse({ transactionId: packet.transactionId, connectionId }).subarray(
          0,
          12,
        ),
        remote,
      );
    });
    const error = await failure(client().announce(tracker.url, request()));
    expect(error.code).toBe('malformed-response');
    expect(error.offset).toBe(12);
  });

  it('rejects an oversized announce reply whose peers do not divide into 6 bytes', async () => {
    const tracker = await fake(
      connecting((packet, reply) => {
        const bytes = new Uint8Array(60_001);
        bytes.set(
          encodeAnnounceResponse(
            {
              transactionId: packet.transactionId,
              interval: 1,
              leechers: 0,
              seeders: 0,
              peers: [],
            },
            4,
          ),
        );
        reply(bytes);
      }),
    );
    const error = await failure(client().announce(tracker.url, request()));
    expect(error.code).toBe('malformed-response');
  });

  it('accepts a large well-formed reply (10,000 peers)', async () => {
    const tracker = await fake(
      connecting((packet, reply) => {
        const bytes = new Uint8Array(20 + 60_000).fill(7);
        bytes.set(
          encodeAnnounceResponse(
            {
              transactionId: packet.transactionId,
              interval: 1,
              leechers: 2,
              seeders: 3,
              peers: [],
            },
            4,
          ),
        );
        reply(bytes);
      }),
    );
    const result = await client().announce(tracker.url, request());
    expect(result.peers).toHaveLength(10_000);
    expect(result.peers[0]).toEqual({ host: '7.7.7.7', port: 0x0707, family: 4 });
  });

  it('rejects a reply with the wrong action', async () => {
    const tracker = await fake(
      connecting((packet, reply) =>
        reply(encodeScrapeResponse({ transactionId: packet.transactionId, entries: [] })),
      ),
    );
    const error = await failure(client().announce(tracker.url, request()));
    expect(error.code).toBe('malformed-response');
  });

  it("surfaces an error packet as tracker-error with the tracker's words, then reconnects", async () => {
    let announces = 0;
    const tracker = await fake(
      connecting((packet, reply) => {
        announces++;
        if (announces === 1)
          reply(
            encodeErrorResponse({
              transactionId: packet.transactionId,
              message: 'unregistered torrent',
            }),
          );
        else
          reply(
            encodeAnnounceResponse(
              {
                transactionId: packet.transactionId,
                interval: 5,
                leechers: 0,
                seeders: 1,
                peers: [],
              },
              4,
            ),
          );
      }),
    );
    const udp = client();
    const error = await failure(udp.announce(tracker.url, request()));
    expect(error).toMatchObject({ code: 'tracker-error', trackerMessage: 'unregistered torrent' });
    expect(await udp.announce(tracker.url, request())).toMatchObject({ interval: 5, complete: 1 });
    const connects = tracker.received.filter((bytes) => decodeRequest(bytes).action === 'connect');
    expect(connects).toHaveLength(2);
  });

  it('reuses a connection id within its minute and connects again once it expired', async () => {
    const tracker = await fake(connecting(answerEmptySwarm));
    const connects = () =>
      tracker.received.filter((bytes) => decodeRequest(bytes).action === 'connect').length;
    const fresh = client();
    await Promise.all([
      fresh.announce(tracker.url, request()),
      fresh.announce(tracker.url, request()),
    ]);
    await fresh.announce(tracker.url, request());
    expect(connects()).toBe(1);
    const announces = tracker.received.filter(
      (bytes) => decodeRequest(bytes).action === 'announce',
    );
    expect(
      announces.every(
        (bytes) =>
          (decodeRequest(bytes) as AnnounceRequestPacket).connectionId.join() ===
          connectionId.join(),
      ),
    ).toBe(true);

    const shortLived = client({ connectionIdLifetime: 0 });
    await shortLived.announce(tracker.url, request());
    await shortLived.announce(tracker.url, request());
    expect(connects()).toBe(3);
  });

  it('sends the URL path and query as BEP 41 URL data', async () => {
    const tracker = await fake(connecting(answerEmptySwarm));
    await client().announce(
      `udp://127.0.0.1:${tracker.port}/announce/key?passkey=abc&x=%20`,
      request(),
    );
    const announce = decodeRequest(tracker.received.at(-1)!) as AnnounceRequestPacket;
    expect(announce.urlData).toBe('/announce/key?passkey=abc&x=%20');
  });

  it('fails with aborted when the signal fires, and the client carries on', async () => {
    let answer = false;
    const tracker = await fake(
      connecting((packet, reply) => {
        if (answer)
          reply(
            encodeAnnounceResponse(
              {
                transactionId: packet.transactionId,
                interval: 5,
                leechers: 0,
                seeders: 0,
                peers: [],
              },
              4,
            ),
          );
      }),
    );
    const udp = client({ retransmitBase: 10 });
    const controller = new AbortController();
    const pending = udp.announce(tracker.url, request(), { signal: controller.signal });
    // Abort once the announce (after the connect) has reached the tracker.
    while (!tracker.received.some((bytes) => decodeRequest(bytes).action === 'announce')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    controller.abort(new Error('user gave up'));
    const error = await failure(pending);
    expect(error.code).toBe('aborted');
    expect((error.cause as Error).message).toBe('user gave up');
    expect(
      await failure(udp.announce(tracker.url, request(), { signal: AbortSignal.abort() })),
    ).toMatchObject({ code: 'aborted' });
    answer = true;
    expect(await udp.announce(tracker.url, request())).toMatchObject({ interval: 5 });
  });

  it('fails requests in flight with closed, and refuses new ones', async () => {
    const tracker = await fake(() => undefined);
    const udp = new UdpTrackerClient({ retransmitBase: 10 });
    const pending = udp.announce(tracker.url, request());
    while (tracker.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await udp.close();
    expect((await failure(pending)).code).toBe('closed');
    expect((await failure(udp.announce(tracker.url, request()))).code).toBe('closed');
  });

  it('refuses bad URLs and bad requests before sending anything', async () => {
    const udp = client();
    expect((await failure(udp.announce('http://127.0.0.1:1/announce', request()))).code).toBe(
      'invalid-url',
    );
    expect((await failure(udp.announce('udp://127.0.0.1/announce', request()))).code).toBe(
      'invalid-url',
    );
    const tracker = await fake(() => undefined);
    expect(
      (await failure(udp.announce(tracker.url, { ...request(), infoHash: new Uint8Array(5) })))
        .code,
    ).toBe('invalid-request');
    expect((await failure(udp.scrape(tracker.url, []))).code).toBe('invalid-request');
    expect(tracker.received).toHaveLength(0);
    expect((await failure(udp.announce('udp://no-such-host.invalid:6969', request()))).code).toBe(
      'dns-failed',
    );
  });

  it('rejects a scrape reply listing more torrents than asked', async () => {
    const tracker = await fake(
      connecting((packet, reply) =>
        reply(
          encodeScrapeResponse({
            transactionId: packet.transactionId,
            entries: [
              { seeders: 1, completed: 1, leechers: 1 },
              { seeders: 1, completed: 1, leechers: 1 },
            ],
          }),
        ),
      ),
    );
    expect((await failure(client().scrape(tracker.url, [randomBytes(20)]))).code).toBe(
      'malformed-response',
    );
  });
});
