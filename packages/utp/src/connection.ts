/**
 * One uTP connection (BEP 29): the state machine (SYN, data, FIN, RESET), reliable in-order
 * delivery (duplicates dropped, out-of-order packets held within the receive window and
 * acknowledged selectively), retransmission on three duplicate ACKs, on selective ACKs (a packet
 * is lost once three sent after it arrived, a resent one again when three sent after its resend
 * arrived) and on timeouts, and LEDBAT congestion control.
 *
 * Recovery after a burst of losses follows libtorrent rather than a textbook TCP: the timeout is
 * the round-trip estimate (`rtt + 4 rtt_var`, at least 500 ms), doubling while nothing is
 * acknowledged but capped at a few seconds, so a link that comes back is used again within one
 * capped timeout; lost packets go out again under the congestion window; and a connection gives up
 * only after `maxRetransmissions` timeouts in a row during which the remote side sent nothing at
 * all (a peer that still answers is never given up on). It is a byte stream (the shape of
 * `@bt/wire`'s `ByteStream`) that never touches a socket: its `UtpCore` feeds it packets and
 * collects what it sends.
 */
import type { PeerAddress } from '@bt/primitives';
import { UtpError } from './errors.js';
import { Ledbat } from './ledbat.js';
import {
  HEADER_LENGTH,
  PacketType,
  SELECTIVE_ACK_EXTENSION,
  type UtpPacket,
  writeHeader,
} from './packet.js';

const SEQ_MASK = 0xffff;

/** `a - b` between 16-bit sequence numbers, as a signed distance. */
export function seqDistance(a: number, b: number): number {
  return (((a - b) & SEQ_MASK) << 16) >> 16;
}

/** Microseconds modulo 2^32 of a time in ms. */
export function microseconds(now: number): number {
  return Math.floor(now * 1000) >>> 0;
}

export type UtpConnectionState =
  /** We sent a SYN and wait for its ACK. */
  | 'syn-sent'
  /** We answered a SYN and wait for the initiator's first packet. */
  | 'syn-received'
  | 'connected'
  /** Ended (by either side, or failed). */
  | 'closed';

/** Where a connection delivers; the shape of `@bt/wire`'s `ByteStreamHandlers`. */
export interface UtpConnectionHandlers {
  /** In-order bytes; `chunk` is lent for the call only. */
  onData(chunk: Uint8Array): void;
  /** `bufferedBytes` fell back below the high-water mark. */
  onDrain(): void;
  /** The connection ended (`error` unless the remote side sent FIN after all its data). Once. */
  onClose(error?: Error): void;
  /** Optional: the handshake completed (outgoing connections). */
  onConnect?(): void;
}

/** Limits and tuning a connection gets from its core. */
export interface ConnectionSettings {
  /** Payload bytes per packet (the datagram is 20 bytes more, plus a selective ACK). */
  packetSize: number;
  /** Bytes we are ready to buffer (advertised as `wnd_size`). */
  receiveWindow: number;
  /** Largest congestion window (bytes). */
  maxWindow: number;
  /** LEDBAT's target queuing delay (µs). */
  targetDelay: number;
  /** `bufferedBytes` above which writers should wait for `onDrain`. */
  highWaterMark: number;
  /** Timeouts in a row, with nothing heard from the remote side meanwhile, before giving up. */
  maxRetransmissions: number;
  /** SYNs sent before an outgoing connection fails. */
  maxSynAttempts: number;
  /** A connection that hears nothing this long (ms) is closed. */
  idleTimeout: number;
}

/** What a connection needs from its core. */
export interface ConnectionHost {
  send(bytes: Uint8Array, to: PeerAddress): void;
  /** The connection has something to send on the next flush (written bytes, a pending ACK). */
  wantFlush(connection: UtpConnection): void;
  /** The connection ended: forget it. */
  remove(connection: UtpConnection): void;
}

interface OutgoingPacket {
  seq: number;
  bytes: Uint8Array;
  /** Payload bytes (0 for SYN and FIN). */
  length: number;
  sentAt: number;
  /** The connection's transmission counter when it was last sent (orders sends, resends included). */
  sendOrder: number;
  transmissions: number;
  /** Counted in `inFlight`; false while waiting to be resent after a timeout. */
  inFlight: boolean;
  /** Waiting in the resend queue. */
  queued?: boolean;
}

/** Most packets unacknowledged at once, and the farthest out-of-order packet we hold. */
const MAX_OUTSTANDING = 4096;
const MAX_REORDER = 4096;
/** Bytes of a selective ACK we send at most (1,024 packets past the gap). */
const MAX_SACK_BYTES = 128;
const INITIAL_TIMEOUT_MS = 1000;
const MIN_TIMEOUT_MS = 500;
/** SYN timeouts double up to this. */
const MAX_TIMEOUT_MS = 30_000;
/**
 * Data timeouts double while nothing is acknowledged, but not past this (unless the round trip
 * itself is longer): a link back after a burst of losses or a flood is used again within it.
 */
const MAX_BACKOFF_MS = 4_000;
/** Packets sent after one that must arrive before it counts as lost (BEP 29: three). */
const REORDER_THRESHOLD = 3;
/** How long an accepted connection waits for the initiator's first packet after our ACK. */
const SYN_RECEIVED_TIMEOUT_MS = 10_000;

export class UtpConnection {
  readonly remoteAddress: PeerAddress;
  /** The id packets to us carry. */
  readonly receiveId: number;
  /** The id packets from us carry. */
  readonly sendId: number;
  readonly incoming: boolean;
  #state: UtpConnectionState;
  readonly #host: ConnectionHost;
  readonly #settings: ConnectionSettings;
  #handlers: UtpConnectionHandlers | undefined;

  // Sending
  /** Sequence number of our next packet. */
  #seq: number;
  /** The last of our packets acknowledged cumulatively. */
  #acked: number;
  readonly #outstanding = new Map<number, OutgoingPacket>();
  /** Payload bytes sent and not acknowledged. */
  #inFlight = 0;
  /** Packets to resend (after a timeout), oldest first. */
  #resend: number[] = [];
  /** Written bytes not yet in a packet. */
  #queue: Uint8Array[] = [];
  #queueCallbacks: ((() => void) | undefined)[] = [];
  #queueOffset = 0;
  #queuedBytes = 0;
  #needDrain = false;
  readonly #ledbat: Ledbat;
  #remoteWindow: number;
  #duplicateAcks = 0;
  /** No further window cut until this packet is acknowledged (one cut per round trip). */
  #recoverySeq: number | undefined;
  #rtt = 0;
  #rttVariance = 0;
  /** The timeout of the round-trip estimate (ms), before back-off. */
  #rto = INITIAL_TIMEOUT_MS;
  /** Timeouts since something was last acknowledged: the back-off exponent. */
  #backoff = 0;
  /** When the oldest outstanding packet times out (ms); undefined with nothing outstanding. */
  #timeoutAt: number | undefined;
  /** Timeouts in a row with nothing at all heard from the remote side. */
  #timeouts = 0;
  /** Transmissions so far, and the latest (by that count) of our packets known to have arrived. */
  #sendCounter = 0;
  #arrivedOrder = 0;
  #synAttempts = 0;
  #finSent = false;
  #established = false;

  // Receiving
  /** The last packet received in order. */
  #ack = 0;
  /** Out-of-order packets: payloads, or `FIN_MARK` for the FIN. */
  readonly #reorder = new Map<number, Uint8Array | null>();
  #reorderBytes = 0;
  /** Delivered in order but not read (paused or not open yet). */
  #unread: Uint8Array[] = [];
  #unreadBytes = 0;
  #paused = false;
  /** The remote's FIN, once seen. */
  #eofSeq: number | undefined;
  /** The delay of the remote's last packet, echoed as `timestamp_difference`. */
  #replyMicro = 0;
  #ackPending = false;
  #lastReceivedAt: number;
  #closeError: Error | undefined;
  #closeReported = false;

  /** @internal made by `UtpCore`. */
  constructor(options: {
    host: ConnectionHost;
    settings: ConnectionSettings;
    remoteAddress: PeerAddress;
    receiveId: number;
    sendId: number;
    incoming: boolean;
    /** Our first sequence number. */
    seq: number;
    now: number;
  }) {
    this.#host = options.host;
    this.#settings = options.settings;
    this.remoteAddress = options.remoteAddress;
    this.receiveId = options.receiveId;
    this.sendId = options.sendId;
    this.incoming = options.incoming;
    this.#state = options.incoming ? 'syn-received' : 'syn-sent';
    this.#seq = options.seq & SEQ_MASK;
    this.#acked = (options.seq - 1) & SEQ_MASK;
    this.#lastReceivedAt = options.now;
    this.#ledbat = new Ledbat({
      minWindow: options.settings.packetSize,
      maxWindow: options.settings.maxWindow,
      initialWindow: 4 * options.settings.packetSize,
      targetDelay: options.settings.targetDelay,
    });
    this.#remoteWindow = options.settings.packetSize;
  }

  get state(): UtpConnectionState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** The handshake completed once (our SYN was answered, or the initiator followed its SYN). */
  get established(): boolean {
    return this.#established;
  }

  /** Written bytes not yet handed to the network. */
  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  /** Figures for tests, benches and stats. */
  get stats(): {
    window: number;
    inFlight: number;
    rtt: number;
    timeout: number;
    ourDelay: number;
    remoteWindow: number;
    outstanding: number;
  } {
    return {
      window: this.#ledbat.window,
      inFlight: this.#inFlight,
      rtt: this.#rtt,
      timeout: this.#timeout(),
      ourDelay: this.#ledbat.ourDelay,
      remoteWindow: this.#remoteWindow,
      outstanding: this.#outstanding.size,
    };
  }

  // The byte stream ---------------------------------------------------------------------------

  /** Starts delivering to `handlers` (bytes that arrived before are delivered first). Once. */
  open(handlers: UtpConnectionHandlers): void {
    if (this.#handlers) throw new UtpError('invalid-argument', 'the connection is already open');
    this.#handlers = handlers;
    if (!this.#paused) this.#deliverUnread();
    if (this.#state === 'closed' && this.#unread.length === 0) this.#reportClose();
  }

  /**
   * Queues bytes to send; they are packed into packets as the windows allow. The connection
   * keeps a reference until they are packed (`onSent` then, at most once). Dropped once closed.
   */
  write(bytes: Uint8Array, onSent?: () => void): void {
    if (this.#state === 'closed' || this.#finSent) return;
    if (bytes.length === 0) {
      onSent?.();
      return;
    }
    this.#queue.push(bytes);
    this.#queueCallbacks.push(onSent);
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes >= this.#settings.highWaterMark) this.#needDrain = true;
    this.#host.wantFlush(this);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#handlers) this.#deliverUnread();
    // The window opened again: tell the sender.
    this.#ackPending = true;
    this.#host.wantFlush(this);
    if (this.#state === 'closed' && this.#unread.length === 0) this.#reportClose();
  }

  /** Ends the connection at once: unsent bytes are dropped, the remote side gets a FIN. */
  close(error?: Error): void {
    if (this.#state === 'closed') return;
    if (this.#state !== 'syn-sent') this.#sendFin(undefined);
    this.#end(error ?? new UtpError('closed', 'the connection was closed'), true);
  }

  // Driven by the core ------------------------------------------------------------------------

  /** @internal answers the SYN that made this incoming connection. */
  accept(syn: UtpPacket, now: number): void {
    this.#ack = syn.seq;
    this.#remoteWindow = syn.windowSize;
    if (syn.timestamp !== 0) this.#replyMicro = (microseconds(now) - syn.timestamp) >>> 0;
    this.#sendState(now);
  }

  /** @internal sends the SYN of an outgoing connection. */
  start(now: number): void {
    this.#sendSyn(now);
  }

  /** @internal a packet for this connection (matched by address and id). */
  handle(packet: UtpPacket, now: number): void {
    if (this.#state === 'closed') return;
    this.#lastReceivedAt = now;
    // The remote side answers: whatever it says, the connection is alive.
    this.#timeouts = 0;
    if (packet.timestamp !== 0) this.#replyMicro = (microseconds(now) - packet.timestamp) >>> 0;
    if (packet.type === PacketType.reset) {
      this.#end(
        this.#state === 'syn-sent'
          ? new UtpError('connection-refused', 'the remote side refused the connection')
          : new UtpError('connection-reset', 'the remote side reset the connection'),
        false,
      );
      return;
    }
    if (packet.type === PacketType.syn) {
      // A resent SYN: our ACK was lost.
      if (this.incoming && packet.seq === this.#ack) this.#sendState(now);
      return;
    }
    this.#remoteWindow = packet.windowSize;
    if (this.#state === 'syn-sent') {
      if (packet.type !== PacketType.state) return;
      // BEP 29: the ACK of our SYN carries the sequence number of the remote's first packet.
      this.#ack = (packet.seq - 1) & SEQ_MASK;
      this.#state = 'connected';
      this.#established = true;
      this.#handleAck(packet, now);
      this.#handlers?.onConnect?.();
    } else {
      if (this.#state === 'syn-received') {
        this.#state = 'connected';
        this.#established = true;
      }
      this.#handleAck(packet, now);
    }
    if (this.#state !== 'connected') return;
    if (packet.type === PacketType.data || packet.type === PacketType.fin) {
      this.#handleIncoming(packet, now);
      if (this.#state !== 'connected') return;
    }
    this.#sendData(now);
  }

  /** @internal timeouts; called every few tens of ms. */
  tick(now: number): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'syn-received' && now - this.#lastReceivedAt >= SYN_RECEIVED_TIMEOUT_MS) {
      this.#end(new UtpError('connection-timeout', 'the initiator never followed its SYN'), true);
      return;
    }
    if (now - this.#lastReceivedAt >= this.#settings.idleTimeout) {
      this.#end(new UtpError('connection-timeout', 'nothing heard from the remote side'), true);
      return;
    }
    if (this.#timeoutAt !== undefined && now >= this.#timeoutAt) this.#onTimeout(now);
    else if (
      this.#timeoutAt === undefined &&
      this.#queuedBytes > 0 &&
      this.#state === 'connected' &&
      this.#outstanding.size === 0 &&
      now - this.#lastReceivedAt >= this.#timeout()
    ) {
      // A zero window with nothing in flight: probe with one packet (BEP 29 timeouts).
      this.#remoteWindow = Math.max(this.#remoteWindow, this.#settings.packetSize);
      this.#sendData(now);
    }
  }

  /** @internal what the core sends on its flush: new data, then a pending ACK. */
  flush(now: number): void {
    if (this.#state === 'connected') this.#sendData(now);
    if (this.#ackPending && this.#state !== 'closed' && this.#state !== 'syn-sent')
      this.#sendState(now);
  }

  // Receiving ---------------------------------------------------------------------------------

  #handleIncoming(packet: UtpPacket, now: number): void {
    const distance = seqDistance(packet.seq, this.#ack);
    this.#ackPending = true;
    this.#host.wantFlush(this);
    if (distance <= 0) return; // a duplicate: the ACK tells the sender again
    if (distance > MAX_REORDER) return; // past anything we would have allowed
    if (this.#eofSeq !== undefined && seqDistance(packet.seq, this.#eofSeq) > 0) return;
    const isFin = packet.type === PacketType.fin;
    if (isFin) this.#eofSeq = packet.seq;
    if (distance === 1) {
      // A sender that ignores our window while we are not reading: drop, it will resend.
      if (this.#unreadBytes > 2 * this.#settings.receiveWindow) return;
      this.#ack = packet.seq;
      if (!isFin) this.#deliver(packet.payload);
      // What waited for this packet follows it.
      while (!isFin && this.#reorder.size > 0) {
        const next = (this.#ack + 1) & SEQ_MASK;
        const held = this.#reorder.get(next);
        if (held === undefined) break;
        this.#reorder.delete(next);
        this.#ack = next;
        if (held === null) break;
        this.#reorderBytes -= held.length;
        this.#deliver(held);
        if (this.#state === 'closed') return;
      }
      if (this.#eofSeq !== undefined && this.#ack === this.#eofSeq) {
        this.#sendState(now);
        this.#end(undefined, false);
      }
      return;
    }
    if (this.#reorder.has(packet.seq)) return;
    if (
      !isFin &&
      this.#reorderBytes + this.#unreadBytes + packet.payload.length > this.#settings.receiveWindow
    )
      return; // beyond the window we advertised
    this.#reorder.set(packet.seq, isFin ? null : packet.payload);
    if (!isFin) this.#reorderBytes += packet.payload.length;
  }

  #deliver(payload: Uint8Array): void {
    if (this.#handlers && !this.#paused && this.#unread.length === 0) {
      this.#handlers.onData(payload);
    } else {
      this.#unread.push(payload);
      this.#unreadBytes += payload.length;
    }
  }

  #deliverUnread(): void {
    while (this.#unread.length > 0 && !this.#paused && this.#handlers) {
      const chunk = this.#unread.shift()!;
      this.#unreadBytes -= chunk.length;
      this.#handlers.onData(chunk);
    }
  }

  /** BEP 29 `wnd_size`: what is left of our receive buffer. */
  #window(): number {
    return Math.max(0, this.#settings.receiveWindow - this.#unreadBytes - this.#reorderBytes);
  }

  // Acknowledgements --------------------------------------------------------------------------

  #handleAck(packet: UtpPacket, now: number): void {
    const newly = seqDistance(packet.ack, this.#acked);
    const sent = seqDistance((this.#seq - 1) & SEQ_MASK, this.#acked);
    if (newly < 0 || newly > sent) return; // an old ACK, or one for packets never sent
    let ackedBytes = 0;
    for (let i = 1; i <= newly; i++) {
      const seq = (this.#acked + i) & SEQ_MASK;
      const acked = this.#outstanding.get(seq);
      if (acked) ackedBytes += this.#acknowledge(acked, now);
    }
    this.#acked = packet.ack;
    let sacked = 0;
    if (packet.selectiveAck)
      sacked = this.#handleSelectiveAck(packet.ack, packet.selectiveAck, now);
    ackedBytes += this.#sackedBytes;
    this.#sackedBytes = 0;
    if (
      newly === 0 &&
      sacked === 0 &&
      packet.type === PacketType.state &&
      this.#outstanding.size > 0
    ) {
      // BEP 29: three duplicate ACKs mean `ack_nr + 1` was lost.
      if (++this.#duplicateAcks === 3) this.#lostAfter(packet.ack);
    } else if (newly > 0) {
      this.#duplicateAcks = 0;
    }
    if (ackedBytes > 0 || newly > 0) {
      this.#backoff = 0;
      if (ackedBytes > 0) this.#ledbat.onAck(ackedBytes, packet.timestampDifference, now);
      this.#timeoutAt = this.#outstanding.size > 0 ? now + this.#timeout() : undefined;
    }
    if (this.#recoverySeq !== undefined && !this.#outstanding.has(this.#recoverySeq))
      this.#recoverySeq = undefined;
  }

  #sackedBytes = 0;

  /**
   * Marks what the bitmask acknowledges, then every packet in flight before the last one it
   * acknowledges that was sent at least three transmissions before a packet known to have arrived
   * is lost: a packet lost for the first time has three later ones acknowledged (BEP 29), and a
   * resent packet lost again is found the same way, without waiting for a timeout.
   */
  #handleSelectiveAck(ack: number, mask: Uint8Array, now: number): number {
    let count = 0;
    let lastSacked = -1;
    const bits = mask.length * 8;
    for (let i = 0; i < bits; i++) {
      if ((mask[i >> 3]! & (1 << (i & 7))) === 0) continue;
      const seq = (ack + 2 + i) & SEQ_MASK;
      count++;
      lastSacked = i;
      const packet = this.#outstanding.get(seq);
      if (packet) this.#sackedBytes += this.#acknowledge(packet, now);
    }
    if (count === 0) return 0;
    const arrived = this.#arrivedOrder;
    for (let i = -1; i < lastSacked; i++) {
      const packet = this.#outstanding.get((ack + 2 + i) & SEQ_MASK);
      if (packet?.inFlight && packet.sendOrder + REORDER_THRESHOLD <= arrived) this.#lost(packet);
    }
    return count;
  }

  /** Forgets an acknowledged packet; returns its payload bytes, and samples the round trip. */
  #acknowledge(packet: OutgoingPacket, now: number): number {
    this.#outstanding.delete(packet.seq);
    if (packet.inFlight) this.#inFlight -= packet.length;
    if (packet.sendOrder > this.#arrivedOrder) this.#arrivedOrder = packet.sendOrder;
    if (packet.transmissions === 1) {
      // BEP 29: only packets sent once give a round-trip sample.
      const sample = now - packet.sentAt;
      if (this.#rtt === 0) {
        this.#rtt = sample;
        this.#rttVariance = sample / 2;
      } else {
        const delta = this.#rtt - sample;
        this.#rttVariance += (Math.abs(delta) - this.#rttVariance) / 4;
        this.#rtt += (sample - this.#rtt) / 8;
      }
      this.#rto = Math.max(this.#rtt + this.#rttVariance * 4, MIN_TIMEOUT_MS);
    }
    return packet.length;
  }

  /** The timeout now (ms): the round-trip estimate's, backed off while nothing is acknowledged. */
  #timeout(): number {
    if (this.#state === 'syn-sent')
      return Math.min(INITIAL_TIMEOUT_MS * 2 ** Math.max(0, this.#synAttempts - 1), MAX_TIMEOUT_MS);
    if (this.#backoff === 0) return this.#rto;
    return Math.max(this.#rto, Math.min(this.#rto * 2 ** this.#backoff, MAX_BACKOFF_MS));
  }

  /**
   * A packet is lost: it leaves the flight and is queued to go out again under the congestion
   * window (first in the send that follows the ACK), which halves once per round trip.
   */
  #lost(packet: OutgoingPacket): void {
    if (this.#recoverySeq === undefined) {
      this.#ledbat.onLoss();
      this.#recoverySeq = (this.#seq - 1) & SEQ_MASK;
    }
    packet.inFlight = false;
    this.#inFlight -= packet.length;
    if (!packet.queued) {
      packet.queued = true;
      this.#resend.push(packet.seq);
    }
  }

  /** BEP 29 fast retransmit: three duplicate ACKs mean the packet after `ack` was lost. */
  #lostAfter(ack: number): void {
    const packet = this.#outstanding.get((ack + 1) & SEQ_MASK);
    if (packet?.inFlight) this.#lost(packet);
  }

  #onTimeout(now: number): void {
    if (this.#state === 'syn-sent') {
      if (this.#synAttempts >= this.#settings.maxSynAttempts) {
        this.#end(new UtpError('connection-timeout', 'the SYN was never answered'), false);
        return;
      }
      this.#sendSyn(now);
      return;
    }
    if (++this.#timeouts > this.#settings.maxRetransmissions) {
      this.#end(new UtpError('connection-timeout', 'the remote side stopped answering'), true);
      return;
    }
    // BEP 29: one packet's window; everything outstanding is sent again as the window allows.
    this.#ledbat.onTimeout();
    this.#recoverySeq = undefined;
    this.#duplicateAcks = 0;
    this.#backoff++;
    for (const seq of this.#resend) {
      const queued = this.#outstanding.get(seq);
      if (queued) queued.queued = false;
    }
    this.#resend = [];
    for (let i = 1; ; i++) {
      const seq = (this.#acked + i) & SEQ_MASK;
      if (seqDistance(seq, this.#seq) >= 0) break;
      const packet = this.#outstanding.get(seq);
      if (!packet) continue;
      if (packet.inFlight) this.#inFlight -= packet.length;
      packet.inFlight = false;
      packet.queued = true;
      this.#resend.push(seq);
    }
    const oldest = this.#resend.shift();
    if (oldest !== undefined) {
      const packet = this.#outstanding.get(oldest)!;
      packet.queued = false;
      this.#transmit(packet, now);
    }
    this.#timeoutAt = now + this.#timeout();
    this.#sendData(now);
  }

  // Sending -----------------------------------------------------------------------------------

  #sendSyn(now: number): void {
    this.#synAttempts++;
    let packet = this.#outstanding.get(this.#seq);
    if (!packet) {
      // BEP 29: the SYN carries the id we receive on, and sequence number 1 here (random is fine).
      packet = {
        seq: this.#seq,
        bytes: new Uint8Array(HEADER_LENGTH),
        length: 0,
        sentAt: now,
        sendOrder: 0,
        transmissions: 0,
        inFlight: false,
      };
      this.#outstanding.set(this.#seq, packet);
      this.#seq = (this.#seq + 1) & SEQ_MASK;
    }
    packet.sentAt = now;
    packet.transmissions++;
    writeHeader(packet.bytes, {
      type: PacketType.syn,
      connectionId: this.receiveId,
      timestamp: microseconds(now),
      timestampDifference: 0,
      windowSize: this.#window(),
      seq: packet.seq,
      ack: 0,
    });
    this.#host.send(packet.bytes, this.remoteAddress);
    this.#timeoutAt = now + this.#timeout();
  }

  /** An ACK without data (with a selective ACK when packets are missing). */
  #sendState(now: number): void {
    this.#ackPending = false;
    const sack = this.#reorder.size > 0 ? this.#selectiveAck() : undefined;
    const bytes = new Uint8Array(HEADER_LENGTH + (sack ? 2 + sack.length : 0));
    this.#writeHeader(bytes, PacketType.state, this.#seq, now, sack ? SELECTIVE_ACK_EXTENSION : 0);
    if (sack) {
      bytes[HEADER_LENGTH] = 0;
      bytes[HEADER_LENGTH + 1] = sack.length;
      bytes.set(sack, HEADER_LENGTH + 2);
    }
    this.#host.send(bytes, this.remoteAddress);
  }

  #selectiveAck(): Uint8Array {
    let farthest = 0;
    for (const seq of this.#reorder.keys()) {
      const bit = seqDistance(seq, this.#ack) - 2;
      if (bit > farthest) farthest = bit;
    }
    const length = Math.min(MAX_SACK_BYTES, (Math.floor(farthest / 32) + 1) * 4);
    const mask = new Uint8Array(length);
    for (const seq of this.#reorder.keys()) {
      const bit = seqDistance(seq, this.#ack) - 2;
      if (bit >= 0 && bit < length * 8) mask[bit >> 3]! |= 1 << (bit & 7);
    }
    return mask;
  }

  #writeHeader(bytes: Uint8Array, type: PacketType, seq: number, now: number, extension = 0): void {
    writeHeader(
      bytes,
      {
        type,
        connectionId: this.sendId,
        timestamp: microseconds(now),
        timestampDifference: this.#replyMicro,
        windowSize: this.#window(),
        seq,
        ack: this.#ack,
      },
      extension,
    );
  }

  /** Sends (again) a packet already numbered, with a fresh header. */
  #transmit(packet: OutgoingPacket, now: number): void {
    const type = packet.length === 0 ? PacketType.fin : PacketType.data;
    this.#writeHeader(packet.bytes, type, packet.seq, now);
    packet.sentAt = now;
    packet.sendOrder = ++this.#sendCounter;
    packet.transmissions++;
    if (!packet.inFlight) {
      packet.inFlight = true;
      this.#inFlight += packet.length;
    }
    if (this.#reorder.size === 0) this.#ackPending = false;
    this.#timeoutAt ??= now + this.#timeout();
    this.#host.send(packet.bytes, this.remoteAddress);
  }

  /** Sends what the windows allow: packets waiting to be resent, then new ones. */
  #sendData(now: number): void {
    if (this.#state !== 'connected') return;
    const window = Math.min(this.#ledbat.window, this.#remoteWindow);
    while (this.#resend.length > 0) {
      const packet = this.#outstanding.get(this.#resend[0]!);
      if (!packet) {
        this.#resend.shift();
        continue;
      }
      if (this.#inFlight > 0 && this.#inFlight + packet.length > window) return;
      this.#resend.shift();
      packet.queued = false;
      this.#transmit(packet, now);
    }
    const packetSize = this.#settings.packetSize;
    while (this.#queuedBytes > 0 && this.#outstanding.size < MAX_OUTSTANDING) {
      const length = Math.min(packetSize, this.#queuedBytes);
      // BEP 29 lets a window smaller than a packet send one packet at a time.
      if (this.#inFlight + length > window && (this.#inFlight > 0 || this.#remoteWindow < length))
        break;
      const bytes = new Uint8Array(HEADER_LENGTH + length);
      this.#take(bytes, HEADER_LENGTH, length);
      const packet: OutgoingPacket = {
        seq: this.#seq,
        bytes,
        length,
        sentAt: now,
        sendOrder: 0,
        transmissions: 0,
        inFlight: false,
      };
      this.#outstanding.set(packet.seq, packet);
      this.#seq = (this.#seq + 1) & SEQ_MASK;
      this.#transmit(packet, now);
    }
    if (this.#needDrain && this.#queuedBytes < this.#settings.highWaterMark) {
      this.#needDrain = false;
      this.#handlers?.onDrain();
    }
  }

  /** Copies `length` queued bytes into `target` at `offset`. */
  #take(target: Uint8Array, offset: number, length: number): void {
    let remaining = length;
    while (remaining > 0) {
      const chunk = this.#queue[0]!;
      const available = chunk.length - this.#queueOffset;
      const count = Math.min(available, remaining);
      target.set(
        count === chunk.length
          ? chunk
          : chunk.subarray(this.#queueOffset, this.#queueOffset + count),
        offset,
      );
      offset += count;
      remaining -= count;
      if (count === available) {
        this.#queue.shift();
        this.#queueCallbacks.shift()?.();
        this.#queueOffset = 0;
      } else {
        this.#queueOffset += count;
      }
    }
    this.#queuedBytes -= length;
  }

  #sendFin(now: number | undefined): void {
    if (this.#finSent) return;
    this.#finSent = true;
    const at = now ?? this.#lastSentClock();
    const bytes = new Uint8Array(HEADER_LENGTH);
    this.#writeHeader(bytes, PacketType.fin, this.#seq, at);
    this.#seq = (this.#seq + 1) & SEQ_MASK;
    this.#host.send(bytes, this.remoteAddress);
  }

  /** A timestamp for a packet sent outside a driven call (close): the last time we heard. */
  #lastSentClock(): number {
    return this.#lastReceivedAt;
  }

  // Ending ------------------------------------------------------------------------------------

  #end(error: Error | undefined, sendReset: boolean): void {
    if (this.#state === 'closed') return;
    if (sendReset && !this.#finSent && this.#state !== 'syn-sent') {
      const bytes = new Uint8Array(HEADER_LENGTH);
      this.#writeHeader(bytes, PacketType.reset, this.#seq, this.#lastReceivedAt);
      this.#host.send(bytes, this.remoteAddress);
    }
    this.#state = 'closed';
    this.#closeError = error;
    this.#timeoutAt = undefined;
    this.#outstanding.clear();
    this.#resend = [];
    this.#reorder.clear();
    this.#reorderBytes = 0;
    this.#inFlight = 0;
    const callbacks = this.#queueCallbacks;
    this.#queue = [];
    this.#queueCallbacks = [];
    this.#queuedBytes = 0;
    for (const callback of callbacks) callback?.();
    this.#host.remove(this);
    // A clean end waits until what was delivered is read.
    if (error !== undefined) {
      this.#unread = [];
      this.#unreadBytes = 0;
    }
    if (this.#unread.length === 0) this.#reportClose();
  }

  #reportClose(): void {
    if (this.#closeReported || !this.#handlers) return;
    this.#closeReported = true;
    this.#handlers.onClose(this.#closeError);
  }
}
