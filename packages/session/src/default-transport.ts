/**
 * The peer transport a session makes when the front-end gives none: TCP (with MSE/PE, the
 * `tcp` given), uTP (`@bt/utp` under the same peer shell), or both with happy eyeballs, by
 * `transportMode`. With uTP, its UDP socket (bound to the listen port's number) is the one the
 * session's DHT shares: datagrams that are not uTP go to `onOtherDatagram`.
 */
import type { PeerAddress } from '@bt/primitives';
import type { ExtensionRegistry, HandshakeExtensions } from '@bt/wire';
import type { Socket } from 'node:dgram';
import type { PeerTransport } from './interfaces.js';
import { DualTransport, type TransportMode } from './transport-policy.js';
import { UtpTransport } from './utp-transport.js';

export interface DefaultTransport {
  transport: PeerTransport;
  /** The uTP side's UDP socket once bound (undefined with TCP only, or before `listen`). */
  udpSocket: () => Promise<Socket | undefined>;
}

export function createDefaultTransport(options: {
  mode: TransportMode;
  /** The TCP side (the session's encrypted TCP transport). */
  tcp: PeerTransport;
  reserved: Partial<HandshakeExtensions>;
  extensions: ExtensionRegistry;
  /** Datagrams on the uTP socket that are not uTP (the DHT's). */
  onOtherDatagram?: (bytes: Uint8Array, from: PeerAddress) => void;
}): DefaultTransport {
  if (options.mode === 'tcp')
    return { transport: options.tcp, udpSocket: () => Promise.resolve(undefined) };
  const utp = new UtpTransport({
    reserved: options.reserved,
    extensions: options.extensions,
    ...(options.onOtherDatagram && { onOtherDatagram: options.onOtherDatagram }),
  });
  return {
    transport: new DualTransport({ tcp: options.tcp, utp, mode: options.mode }),
    udpSocket: () => utp.socket(),
  };
}
