/**
 * The peer transport a session makes when the front-end gives none: TCP (with MSE/PE, the
 * `tcp` given), uTP (`@bt/utp` under the same peer shell), or both with happy eyeballs, by
 * `transportMode`.
 */
import type { ExtensionRegistry, HandshakeExtensions } from '@bt/wire';
import type { PeerTransport } from './interfaces.js';
import { DualTransport, type TransportMode } from './transport-policy.js';
import { UtpTransport } from './utp-transport.js';

export function createDefaultTransport(options: {
  mode: TransportMode;
  /** The TCP side (the session's encrypted TCP transport). */
  tcp: PeerTransport;
  reserved: Partial<HandshakeExtensions>;
  extensions: ExtensionRegistry;
}): PeerTransport {
  if (options.mode === 'tcp') return options.tcp;
  const utp = new UtpTransport({ reserved: options.reserved, extensions: options.extensions });
  return new DualTransport({ tcp: options.tcp, utp, mode: options.mode });
}
