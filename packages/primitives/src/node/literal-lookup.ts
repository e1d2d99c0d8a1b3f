/**
 * A UDP socket's address lookup (Node only). Every datagram the DHT, uTP or a UDP tracker sends
 * goes to an IP literal: Node's default `dns.lookup` answers those a tick later, one deferred
 * callback per datagram; this answers them at once. Names still go through `dns.lookup`.
 */
import { type LookupOneOptions, lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';

/**
 * 4 for a dotted quad, 6 for an IPv6 literal, 0 for a name. A character scan, cheaper than
 * `net.isIP`'s regular expressions on every send: digits and dots only is checked as a dotted
 * quad by hand; a colon (never in a name) goes to `isIP`.
 */
export function literalFamily(hostname: string): 0 | 4 | 6 {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < hostname.length; i++) {
    const code = hostname.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      // No leading zeros, at most 255, as isIP has it.
      if ((digits === 1 && value === 0) || digits === 3) return fallback(hostname);
      value = value * 10 + (code - 0x30);
      digits++;
      if (value > 255) return fallback(hostname);
    } else if (code === 0x2e && digits > 0 && parts < 3) {
      parts++;
      digits = 0;
      value = 0;
    } else {
      return fallback(hostname);
    }
  }
  return parts === 3 && digits > 0 ? 4 : fallback(hostname);
}

function fallback(hostname: string): 0 | 4 | 6 {
  return isIP(hostname) as 0 | 4 | 6;
}

export function literalLookup(
  hostname: string,
  options: number | LookupOneOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = literalFamily(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(
    hostname,
    typeof options === 'number' ? { family: options } : options,
    (error, address, resolvedFamily) => callback(error, address, resolvedFamily),
  );
}
