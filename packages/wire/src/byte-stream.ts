/**
 * The seam between the peer shell and whatever carries its bytes: a TCP socket (`@bt/wire/node`),
 * a uTP connection, an MSE/PE-encrypted stream over either, or two shells in memory. The shell
 * only needs chunks in, writes out, back-pressure, pause/resume, close and the remote address.
 */
import type { PeerAddress } from '@bt/primitives';

/** Where a byte stream delivers; set once with `ByteStream.open`. */
export interface ByteStreamHandlers {
  /**
   * The next bytes from the remote side. `chunk` is lent for the duration of the call only (a
   * transport may read every connection into one shared buffer): copy what must outlive it.
   */
  onData(chunk: Uint8Array): void;
  /** `bufferedBytes` fell back below the stream's high-water mark. */
  onDrain(): void;
  /** The stream ended, by either side (`error` when it failed). Called once. */
  onClose(error?: Error): void;
}

/** A connected, ordered, reliable byte stream to one remote party. */
export interface ByteStream {
  /** The remote party's address. */
  readonly remoteAddress: PeerAddress;
  /** True when the bytes travel encrypted (an MSE/PE stream once RC4 was agreed). Default false. */
  readonly encrypted?: boolean;
  /**
   * Bytes written but not yet handed to the network. Writers compare it with their own limit and
   * wait for `onDrain` when it is high.
   */
  readonly bufferedBytes: number;
  /** Starts delivering to `handlers` (bytes that arrived before are delivered first). Once. */
  open(handlers: ByteStreamHandlers): void;
  /**
   * Queues `bytes` to send. The stream keeps a reference until they are sent: the caller must not
   * change them afterwards. Writes made in one turn of the event loop may go out in one system
   * call (the stream batches them). A write to a closed stream is dropped.
   *
   * `onSent`, when given, is called at most once, when the stream no longer holds `bytes` (sent,
   * or dropped at close), so the writer may reuse their memory. A stream may never call it (the
   * writer then simply does not reuse them).
   */
  write(bytes: Uint8Array, onSent?: () => void): void;
  /** Stops delivering `onData` until `resume` (the remote side is slowed by flow control). */
  pause(): void;
  resume(): void;
  /** Ends the stream at once (unsent bytes are dropped); `onClose` follows with `error`. */
  close(error?: Error): void;
}
