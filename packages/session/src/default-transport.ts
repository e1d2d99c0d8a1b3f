/**
 * The peer transport a session makes when the front-end gives none: TCP (with MSE/PE, the
 * `tcp` given), uTP (`@bt/utp` under the same peer shell), or both with happy eyeballs, by
 * `transportMode`. uTP runs MSE/PE under the same policies as TCP (`EncryptedTransport`). With uTP, its UDP socket (bound to the listen port's number) is the one the
 * session's DHT shares: datagrams that are not uTP go to `onOtherDatagram`.
 */
import type { PeerAddress } from '@bt/primitives';
import type { ExtensionRegistry, HandshakeExtensions } from '@bt/wire';
import type { Socket } from 'node:dgram';
import { EncryptedTransport, type EncryptionPolicy } from './encrypted-transport.js';
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
  /** The policy of dials that name none, and the torrents incoming MSE handshakes may name. */
  encryption: EncryptionPolicy;
  torrents: () => Iterable<{ infoHash: Uint8Array; encryption: EncryptionPolicy }>;
  /** Datagrams on the uTP socket that are not uTP (the DHT's). */
  onOtherDatagram?: (bytes: Uint8Array, from: PeerAddress) => void;
}): DefaultTransport {
  if (options.mode === 'tcp')
    return { transport: options.tcp, udpSocket: () => Promise.resolve(undefined) };
  const encrypted = new EncryptedTransport({
    inner: (wrapIncoming) =>
      new UtpTransport({
        reserved: options.reserved,
        extensions: options.extensions,
        wrapIncoming,
        ...(options.onOtherDatagram && { onOtherDatagram: options.onOtherDatagram }),
      }),
    encryption: options.encryption,
    torrents: options.torrents,
  });
  const utp = encrypted.inner;
  return {
    transport: new DualTransport({
      tcp: options.tcp,
      utp: {
        dial: (address, dialOptions) => encrypted.dial(address, dialOptions),
        listen: (port, onPeer, host) => encrypted.listen(port, onPeer, host),
        close: () => encrypted.close(),
        owns: (wire) => utp.owns(wire),
      },
      mode: options.mode,
    }),
    udpSocket: () => utp.socket(),
  };
}
