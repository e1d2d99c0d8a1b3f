/**
 * Test helper: an HTTP tracker that records every announce's `event` and answers with no
 * peers, or with a given failure reason (bytes, so tests can send control characters).
 */
import { createServer, type Server } from 'node:http';
import { encode } from '@bt/bencode';

export interface RecordingTracker {
  url: string;
  /** `event` of every announce so far (`started`, `stopped`, `` for a regular one). */
  events: string[];
  /** Resolves once an announce with `event` arrives. */
  waitForEvent(event: string): Promise<void>;
  close(): Promise<void>;
}

export async function startRecordingTracker(
  options: { failureReason?: Uint8Array } = {},
): Promise<RecordingTracker> {
  const events: string[] = [];
  const waiters: { event: string; resolve: () => void }[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const event = url.searchParams.get('event') ?? '';
    events.push(event);
    for (const waiter of waiters.filter((each) => each.event === event)) waiter.resolve();
    const body = options.failureReason
      ? encode({ 'failure reason': options.failureReason })
      : encode({ interval: 1800, peers: new Uint8Array(0) });
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/announce`,
    events,
    waitForEvent(event) {
      if (events.includes(event)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ event, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
