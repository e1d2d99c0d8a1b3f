/**
 * @bt/primitives/node: what Node programs of every layer share about addresses. `literalLookup`
 * is the `lookup` of a UDP socket that sends to IP literals (the DHT, uTP, UDP trackers): it
 * answers them at once instead of through `dns.lookup` a tick later.
 */
export { literalFamily, literalLookup } from './node/literal-lookup.js';
