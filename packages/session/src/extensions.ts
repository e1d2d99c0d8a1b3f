/**
 * BEP 10 extensions of the session (BEP 9 `ut_metadata` and BEP 11 `ut_pex` plug in here). Each
 * is registered by name with the wire's `ExtensionRegistry`, which assigns its id and writes
 * the `m` dictionary; `extendedHandshake` is the one place our handshake's other fields are
 * built, each extension adding its own (e.g. `metadata_size`).
 */
import type { ExtendedHandshake } from '@bt/wire';
import type { TorrentDescription } from './interfaces.js';

export interface TorrentExtension {
  /** The BEP 10 name, e.g. `ut_metadata`. */
  readonly name: string;
  /** Fields the extension adds to our handshake for this torrent. */
  handshake?(torrent: TorrentDescription): ExtensionHandshakeFields;
}

export interface ExtensionHandshakeFields {
  /** BEP 9: the size of the info dictionary. */
  metadataSize?: number;
}

export interface ExtendedHandshakeOptions {
  torrent: TorrentDescription;
  /** Our listening port (`p`). */
  port: number;
  /** How many requests we queue per peer (`reqq`). */
  requestQueueLength: number;
  extensions?: readonly TorrentExtension[];
}

/** Our client's name in handshakes (`v`). */
export const CLIENT_NAME = 'bt 0.1';

/**
 * Our BEP 10 handshake for a peer of `torrent`. `extensions` (`m`) is left to the wire, whose
 * registry knows the ids.
 */
export function extendedHandshake(options: ExtendedHandshakeOptions): ExtendedHandshake {
  let metadataSize: number | undefined;
  for (const extension of options.extensions ?? []) {
    const added = extension.handshake?.(options.torrent);
    if (added?.metadataSize !== undefined) metadataSize = added.metadataSize;
  }
  return {
    extensions: {},
    port: options.port > 0 ? options.port : undefined,
    client: CLIENT_NAME,
    requestQueueLength: options.requestQueueLength,
    yourIp: undefined,
    ipv4: undefined,
    ipv6: undefined,
    metadataSize,
    dictionary: new Map(),
  };
}
