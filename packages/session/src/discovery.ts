/**
 * BEP 27: a private torrent gets its peers from its trackers only. The one predicate every
 * discovery path asks (the DHT, peer exchange, local service discovery, and `port` messages
 * feeding the DHT) before it learns or tells anything about a torrent.
 */

/** True when peers of this torrent may be found and announced outside its trackers. */
export function allowsPublicDiscovery(torrent: { readonly private?: boolean }): boolean {
  return torrent.private !== true;
}
