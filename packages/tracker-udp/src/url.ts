/** Reading a `udp://host:port/path?query` tracker URL: where to send, and what BEP 41 carries. */
import { isIPv4 } from '@bt/primitives';
import { UdpTrackerError } from './errors.js';

export interface UdpTrackerUrl {
  /** Host name or IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** 4 or 6 for an IP literal; undefined for a name that needs resolving. */
  family: 4 | 6 | undefined;
  /** BEP 41: the path and query to send as URL data; undefined when there is none worth sending. */
  urlData: string | undefined;
}

/** Parses a UDP tracker URL; throws `UdpTrackerError('invalid-url')`. */
export function parseUdpTrackerUrl(url: string): UdpTrackerUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new UdpTrackerError('invalid-url', `not a URL: ${JSON.stringify(url.slice(0, 200))}`, {
      url,
      cause: error,
    });
  }
  if (parsed.protocol !== 'udp:') {
    throw new UdpTrackerError(
      'invalid-url',
      `a UDP tracker URL starts with udp://, got ${parsed.protocol}//`,
      { url },
    );
  }
  const port = Number(parsed.port);
  if (!parsed.port || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UdpTrackerError(
      'invalid-url',
      `a UDP tracker URL needs a port (udp://host:port), got ${JSON.stringify(url)}`,
      { url },
    );
  }
  let host = parsed.hostname;
  if (!host) throw new UdpTrackerError('invalid-url', `no host in ${JSON.stringify(url)}`, { url });
  let family: 4 | 6 | undefined;
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    family = 6;
  } else if (isIPv4(host)) {
    family = 4;
  }
  const rest = `${parsed.pathname}${parsed.search}`;
  const urlData = rest === '' || rest === '/' ? undefined : rest;
  return { host, port, family, urlData };
}
