/**
 * The session's DHT node (BEP 5) on the UDP port uTP (BEP 29) listens on, as libtorrent does: one
 * socket, told apart by the first byte of each datagram (a uTP header against a bencoded `d`).
 * The uTP transport owns the socket and hands on what is not uTP; the node only sends on it.
 * Without a uTP socket (TCP only, or no listening port) the node binds the listen port's number
 * itself, or any port when that is taken.
 */
import type { Socket } from 'node:dgram';
import { createDht, isKrpcDatagram } from '@bt/dht/node';
import type { PeerAddress } from '@bt/primitives';

/** What the shared socket feeds: the node's `receive`. */
export interface DatagramReceiver {
  receive(bytes: Uint8Array, from: PeerAddress): void;
}

/** `onOtherDatagram` of the uTP transport: KRPC datagrams go to the node, once it runs. */
export function routeToDht(
  node: () => DatagramReceiver | undefined,
): (bytes: Uint8Array, from: PeerAddress) => void {
  return (bytes, from) => {
    if (!isKrpcDatagram(bytes)) return;
    // A plain view: the decoder's subarrays of a `Buffer` would each go through Buffer's own.
    node()?.receive(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), from);
  };
}

export interface StartDhtOptions {
  /** The uTP transport's bound socket, to share; undefined: a socket of the node's own. */
  socket: Socket | undefined;
  /** The listen port (its number is tried for a socket of the node's own). */
  port: number;
  host: string | undefined;
  bootstrap: readonly string[] | undefined;
  state: string | undefined;
}

export async function startDht(
  options: StartDhtOptions,
): Promise<Awaited<ReturnType<typeof createDht>>> {
  const base = { host: options.host, bootstrap: options.bootstrap, state: options.state };
  if (options.socket) return createDht({ ...base, socket: options.socket });
  try {
    return await createDht({ ...base, port: options.port });
  } catch {
    // the UDP port is taken (or we listen on none): any port serves the DHT
    return createDht({ ...base, port: 0 });
  }
}
