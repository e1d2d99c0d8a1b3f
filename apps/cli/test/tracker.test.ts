import { HttpTrackerClient } from '@bt/tracker-http/node';
import { UdpTrackerClient } from '@bt/tracker-udp/node';
import { freePort, freeUdpPort, waitForPort } from '@bt/test-support';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const request = (n: number, left: number) => ({
  infoHash: new Uint8Array(20).fill(9),
  peerId: new Uint8Array(20).fill(n),
  port: 7000 + n,
  uploaded: 0,
  downloaded: 0,
  left,
  event: 'started' as const,
});

describe('bt tracker', () => {
  it('serves HTTP and UDP peers from one swarm, prints status lines, stops cleanly on abort', async () => {
    const httpPort = await freePort();
    const udpPort = await freeUdpPort();
    const controller = new AbortController();
    const running = runCli(
      [
        'tracker',
        '--http-port',
        String(httpPort),
        '--udp-port',
        String(udpPort),
        '--status-every',
        '1',
      ],
      { signal: controller.signal },
    );
    await waitForPort(httpPort);
    const http = new HttpTrackerClient();
    const udp = new UdpTrackerClient({ retransmitBase: 1, maxRetransmits: 2 });
    try {
      await http.announce(`http://127.0.0.1:${httpPort}/announce`, request(1, 0));
      const viaUdp = await udp.announce(`udp://127.0.0.1:${udpPort}/announce`, request(2, 10));
      expect(viaUdp.peers).toEqual([{ host: '127.0.0.1', port: 7001, family: 4 }]);
      const viaHttp = await http.announce(`http://127.0.0.1:${httpPort}/announce`, request(3, 10));
      expect(viaHttp).toMatchObject({ complete: 1, incomplete: 2 });
    } finally {
      await http.close();
      await udp.close();
      controller.abort();
    }
    const result = await running;
    // stopped by a signal: 130, as for Ctrl-C
    expect(result.code, result.stderr).toBe(130);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      `tracker: listening at http://127.0.0.1:${httpPort}/announce and udp://127.0.0.1:${udpPort}/announce`,
    );
    expect(lines.at(-2)).toMatch(
      /1 torrents, 3 peers \(1 seeders, 2 leechers\); http 2 announces, 0 scrapes, 0 refused; udp 1 announces/,
    );
    expect(lines.at(-1)).toBe('tracker: stopped');
  });

  it('--json status lines and an allow-list', async () => {
    const httpPort = await freePort();
    const controller = new AbortController();
    const running = runCli(
      [
        'tracker',
        '--http-port',
        String(httpPort),
        '--no-udp',
        '--json',
        '--allow',
        '09'.repeat(20),
      ],
      { signal: controller.signal },
    );
    await waitForPort(httpPort);
    const http = new HttpTrackerClient();
    try {
      await http.announce(`http://127.0.0.1:${httpPort}/announce`, request(1, 0));
      await expect(
        http.announce(`http://127.0.0.1:${httpPort}/announce`, {
          ...request(2, 0),
          infoHash: new Uint8Array(20),
        }),
      ).rejects.toMatchObject({ code: 'failure-reason' });
    } finally {
      await http.close();
      controller.abort();
    }
    const result = await running;
    expect(result.code).toBe(130);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({
      event: 'tracker-started',
      announce: [`http://127.0.0.1:${httpPort}/announce`],
    });
    expect(events.at(-2)).toMatchObject({
      event: 'tracker-status',
      torrents: 1,
      peers: 1,
      http: { announces: 1, failures: 1 },
      udp: null,
    });
    expect(events.at(-1)).toMatchObject({ event: 'tracker-stopped' });
    for (const event of events) expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('refuses a port in use with exit 3 and bad options with exit 2', async () => {
    const httpPort = await freePort();
    const controller = new AbortController();
    const first = runCli(['tracker', '--http-port', String(httpPort), '--no-udp'], {
      signal: controller.signal,
    });
    await waitForPort(httpPort);
    const second = await runCli(['tracker', '--http-port', String(httpPort), '--no-udp']);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/EADDRINUSE|in use/);
    controller.abort();
    expect((await first).code).toBe(130);
    expect((await runCli(['tracker', '--no-http', '--no-udp'])).code).toBe(2);
    expect((await runCli(['tracker', '--allow', 'nothex'])).code).toBe(2);
  });
});
