/**
 * `bt tracker`: a tracker for a private group or a local swarm. One swarm registry
 * (`SwarmRegistry`) behind an HTTP and a UDP endpoint, all from @bt/tracker-server, so peers
 * see each other whichever protocol they speak.
 */
import { parseInfoHash } from '@bt/primitives';
import { SwarmRegistry } from '@bt/tracker-server';
import { HttpTrackerServer, UdpTrackerServer } from '@bt/tracker-server/node';
import {
  booleanOption,
  type Command,
  ExitCode,
  integerOption,
  stringListOption,
  stringOption,
  UsageError,
} from '../command.js';

export const trackerCommand: Command = {
  name: 'tracker',
  summary: 'run a BitTorrent tracker (HTTP and UDP) until Ctrl-C',
  usage: 'bt tracker [--http-port N] [--udp-port M] [--host 127.0.0.1] [--allow INFOHASH]...',
  help: `Runs a tracker: an HTTP endpoint (BEP 3, 23, 7, 48) and a UDP endpoint (BEP 15) over one
in-memory swarm registry. Peers expire after twice the announce interval; numwant is capped;
torrents and peers are capped so a flood of announces cannot grow memory without bound.
Prints where it listens, then one status line per minute; Ctrl-C stops it cleanly (exit 130;
SIGTERM 143, SIGHUP 129).

Options:
  --http-port N       HTTP port (default 6969; 0 picks a free one); --no-http to leave it out
  --udp-port M        UDP port (default 6969; 0 picks a free one); --no-udp to leave it out
  --host ADDRESS      address to listen on (default 127.0.0.1; :: or 0.0.0.0 for every interface)
  --interval SECS     announce interval asked of clients (default 1800)
  --allow INFOHASH    serve only this torrent (40 hex digits); repeat for several
  --status-every SECS seconds between status lines (default 60)
  --json              status lines as JSON objects, one per line

Examples:
  bt tracker
  bt tracker --host 0.0.0.0 --http-port 8000 --udp-port 8000
  bt tracker --allow 0123456789abcdef0123456789abcdef01234567 --interval 300

Announce URLs: http://HOST:HTTP-PORT/announce and udp://HOST:UDP-PORT/announce.`,
  options: {
    'http-port': { type: 'string' },
    'udp-port': { type: 'string' },
    'no-http': { type: 'boolean' },
    'no-udp': { type: 'boolean' },
    host: { type: 'string' },
    interval: { type: 'string' },
    allow: { type: 'string', multiple: true },
    'status-every': { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: [0, 0],
  async run(context) {
    const host = stringOption(context, 'host') ?? '127.0.0.1';
    const withHttp = !booleanOption(context, 'no-http');
    const withUdp = !booleanOption(context, 'no-udp');
    if (!withHttp && !withUdp)
      throw new UsageError('--no-http and --no-udp together leave nothing to run');
    const httpPort = integerOption(context, 'http-port', { min: 0, max: 65535 }) ?? 6969;
    const udpPort = integerOption(context, 'udp-port', { min: 0, max: 65535 }) ?? 6969;
    const interval = integerOption(context, 'interval', { min: 10, max: 86_400 }) ?? 1800;
    const statusEvery = integerOption(context, 'status-every', { min: 1, max: 86_400 }) ?? 60;
    const json = booleanOption(context, 'json');
    const allow = stringListOption(context, 'allow').map((text) => {
      try {
        return parseInfoHash(text);
      } catch {
        throw new UsageError(
          `--allow takes an info-hash (40 hex digits), got ${JSON.stringify(text)}`,
        );
      }
    });

    const registry = new SwarmRegistry({
      interval,
      ...(allow.length > 0 ? { allowList: allow } : {}),
    });
    const http = withHttp ? new HttpTrackerServer({ registry }) : undefined;
    const udp = withUdp ? new UdpTrackerServer({ registry }) : undefined;
    try {
      const httpAddress = await http?.listen({ port: httpPort, host });
      const udpAddress = await udp?.listen(udpPort, host);
      const shown = host.includes(':') ? `[${host}]` : host;
      const urls = [
        ...(httpAddress ? [`http://${shown}:${httpAddress.port}/announce`] : []),
        ...(udpAddress ? [`udp://${shown}:${udpAddress.port}/announce`] : []),
      ];
      if (json)
        context.stdout.write(
          `${JSON.stringify({ event: 'tracker-started', time: new Date().toISOString(), announce: urls })}\n`,
        );
      else
        context.stdout.write(
          `tracker: listening at ${urls.join(' and ')}${allow.length > 0 ? ` (${allow.length} torrents allowed)` : ''}\n`,
        );

      const status = (): void => {
        const stats = registry.stats();
        const udpStats = udp?.stats();
        const line = {
          event: 'tracker-status' as const,
          time: new Date().toISOString(),
          torrents: stats.torrents,
          peers: stats.peers,
          seeders: stats.seeders,
          leechers: stats.leechers,
          http: http
            ? {
                announces: http.stats.announces,
                scrapes: http.stats.scrapes,
                failures: http.stats.failures,
              }
            : null,
          udp: udpStats
            ? { announces: udpStats.announces, scrapes: udpStats.scrapes, errors: udpStats.errors }
            : null,
        };
        if (json) {
          context.stdout.write(`${JSON.stringify(line)}\n`);
          return;
        }
        const parts = [
          `${line.time.slice(11, 19)} ${stats.torrents} torrents, ${stats.peers} peers (${stats.seeders} seeders, ${stats.leechers} leechers)`,
        ];
        if (line.http)
          parts.push(
            `http ${line.http.announces} announces, ${line.http.scrapes} scrapes, ${line.http.failures} refused`,
          );
        if (line.udp)
          parts.push(
            `udp ${line.udp.announces} announces, ${line.udp.scrapes} scrapes, ${line.udp.errors} errors`,
          );
        context.stdout.write(`${parts.join('; ')}\n`);
      };
      const timer = setInterval(status, statusEvery * 1000);
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve();
        else context.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      clearInterval(timer);
      status();
      context.stdout.write(
        json
          ? `${JSON.stringify({ event: 'tracker-stopped', time: new Date().toISOString() })}\n`
          : 'tracker: stopped\n',
      );
      return ExitCode.ok;
    } finally {
      await Promise.all([http?.close(), udp?.close()]);
    }
  },
};
