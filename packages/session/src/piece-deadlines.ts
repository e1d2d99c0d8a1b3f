/**
 * Piece deadlines, libtorrent's `set_piece_deadline` model: a piece with a deadline is wanted
 * by a time (a reader of a stream waits on it), so it is picked before rarest-first, from the
 * fastest peers, and its blocks may be asked of two peers at once once the time has come (as
 * in endgame). Each owner (a reader, the ends of a streamed file, a front-end) keeps its own
 * set; a piece's deadline is the earliest any owner gives it, and an owner that goes away
 * takes its deadlines with it. Pure: times are the caller's clock, in milliseconds.
 */

/** An owner's handle: its deadlines live until `release`. */
export type DeadlineOwner = number;

export interface UrgentPiece {
  piece: number;
  deadline: number;
}

export class PieceDeadlines {
  private readonly owners = new Map<DeadlineOwner, Map<number, number>>();
  private nextOwner = 1;
  /** Pieces by their earliest deadline; rebuilt lazily after a change. */
  private sorted: UrgentPiece[] | undefined = [];

  /** A new owner, with no deadline yet. */
  owner(): DeadlineOwner {
    const id = this.nextOwner++;
    this.owners.set(id, new Map());
    return id;
  }

  /** Sets (or moves) the deadline of one piece for `owner`. */
  set(owner: DeadlineOwner, piece: number, deadline: number): void {
    const pieces = this.owners.get(owner);
    if (!pieces || pieces.get(piece) === deadline) return;
    pieces.set(piece, deadline);
    this.sorted = undefined;
  }

  /** Replaces every deadline of `owner` (a reader that moved on). */
  replace(owner: DeadlineOwner, entries: Iterable<UrgentPiece>): void {
    const pieces = this.owners.get(owner);
    if (!pieces) return;
    pieces.clear();
    for (const { piece, deadline } of entries) pieces.set(piece, deadline);
    this.sorted = undefined;
  }

  /** Drops one piece's deadline of `owner`. */
  clear(owner: DeadlineOwner, piece: number): void {
    if (this.owners.get(owner)?.delete(piece)) this.sorted = undefined;
  }

  /** The owner is gone: its deadlines no longer count. */
  release(owner: DeadlineOwner): void {
    if (this.owners.delete(owner)) this.sorted = undefined;
  }

  /** Owners with at least one deadline. */
  get active(): boolean {
    for (const pieces of this.owners.values()) if (pieces.size > 0) return true;
    return false;
  }

  /** Owners alive (readers of streams, ends of files). */
  get ownerCount(): number {
    return this.owners.size;
  }

  /** The earliest deadline of `piece`, if it has one. */
  deadlineOf(piece: number): number | undefined {
    let earliest: number | undefined;
    for (const pieces of this.owners.values()) {
      const deadline = pieces.get(piece);
      if (deadline !== undefined && (earliest === undefined || deadline < earliest))
        earliest = deadline;
    }
    return earliest;
  }

  /** Pieces with a deadline that `done` does not rule out, earliest first (ties: lower piece). */
  urgent(done: (piece: number) => boolean): UrgentPiece[] {
    if (!this.sorted) {
      const earliest = new Map<number, number>();
      for (const pieces of this.owners.values()) {
        for (const [piece, deadline] of pieces) {
          const known = earliest.get(piece);
          if (known === undefined || deadline < known) earliest.set(piece, deadline);
        }
      }
      this.sorted = [...earliest].map(([piece, deadline]) => ({ piece, deadline }));
      this.sorted.sort((a, b) => a.deadline - b.deadline || a.piece - b.piece);
    }
    return this.sorted.filter(({ piece }) => !done(piece));
  }
}
