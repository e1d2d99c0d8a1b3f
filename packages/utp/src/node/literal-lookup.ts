/**
 * The socket's address lookup: every datagram goes to an IP literal, which Node's default
 * `dns.lookup` answers a tick later (one deferred callback per datagram); this answers at once.
 */
import { type LookupOneOptions, lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';

export function literalLookup(
  hostname: string,
  options: number | LookupOneOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
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
