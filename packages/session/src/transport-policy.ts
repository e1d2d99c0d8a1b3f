/**
 * Which transports carry our peer connections: TCP, uTP, or both. With both, a dial tries uTP
 * first and TCP a moment later (happy eyeballs), keeps whichever completes the BitTorrent
 * handshake first and closes the other; a uTP attempt that fails at once (a RESET, an ICMP
 * error) starts TCP at once. Both listen on the same port number, TCP and UDP.
 */
import type { PeerAddress } from '@bt/primitives';
import type { DialOptions, IncomingPeer, PeerTransport, PeerWire } from './interfaces.js';

/** `--transport` of the front-ends. */
export type TransportMode = 'tcp' | 'utp' | 'both';

export interface DualTransportOptions {
  tcp: PeerTransport;
  utp: PeerTransport & { owns(wire: unknown): boolean };
  mode: TransportMode;
  /** How long uTP has before TCP is tried too (ms). Default 500. */
  headStart?: number;
}

export class DualTransport implements PeerTransport {
  readonly #tcp: PeerTransport;
  readonly #utp: PeerTransport & { owns(wire: unknown): boolean };
  readonly #mode: TransportMode;
  readonly #headStart: number;

  constructor(options: DualTransportOptions) {
    this.#tcp = options.tcp;
    this.#utp = options.utp;
    this.#mode = options.mode;
    this.#headStart = options.headStart ?? 500;
  }

  describe(wire: PeerWire): { utp: boolean; encrypted?: boolean } {
    return { utp: this.#utp.owns(wire), ...this.#tcp.describe?.(wire) };
  }

  async listen(port: number, onPeer: (peer: IncomingPeer) => void, host?: string): Promise<number> {
    if (this.#mode === 'utp') return this.#utp.listen(port, onPeer, host);
    const bound = await this.#tcp.listen(port, onPeer, host);
    if (this.#mode === 'both') await this.#utp.listen(bound, onPeer, host);
    return bound;
  }

  dial(address: PeerAddress, options: DialOptions): Promise<PeerWire> {
    if (this.#mode === 'tcp') return this.#tcp.dial(address, options);
    if (this.#mode === 'utp') return this.#utp.dial(address, options);
    return this.#race(address, options);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#tcp.close(), this.#utp.close()]);
  }

  /** uTP first; TCP after the head start or as soon as uTP fails; the first handshake wins. */
  #race(address: PeerAddress, options: DialOptions): Promise<PeerWire> {
    const losers = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, losers.signal])
      : losers.signal;
    return new Promise<PeerWire>((resolve, reject) => {
      let winner: PeerWire | undefined;
      let failures = 0;
      let tcpStarted = false;
      let lastError: unknown;
      const settle = (wire: PeerWire): void => {
        if (winner) {
          wire.close();
          return;
        }
        winner = wire;
        clearTimeout(timer);
        losers.abort();
        resolve(wire);
      };
      const fail = (error: unknown): void => {
        lastError = error;
        failures++;
        if (!tcpStarted) startTcp();
        else if (failures === 2 && !winner)
          reject(lastError instanceof Error ? lastError : new Error(String(lastError)));
      };
      const startTcp = (): void => {
        if (tcpStarted || winner) return;
        tcpStarted = true;
        clearTimeout(timer);
        this.#tcp.dial(address, { ...options, signal }).then(settle, fail);
      };
      const timer = setTimeout(startTcp, this.#headStart);
      this.#utp.dial(address, { ...options, signal }).then(settle, fail);
    });
  }
}
