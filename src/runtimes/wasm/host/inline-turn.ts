// How many tasks run inline per event-loop turn: a burst of short tasks yields to I/O between groups, so the first
// group's answers leave while the rest of the burst is still being run, instead of all at once at its end.

/**
 * Inline runs per turn. A burst of 64 run in one turn left the client idle until all 64 answers went out together,
 * then the daemon idle while the client answered them (lock-step); groups of 16 let the two overlap (issue 12:
 * +33 % req/s at 64 in flight; groups of 4 cost more in extra turns than they won).
 */
export const INLINE_PER_TURN = 16;

export class InlineTurn {
  private ran = 0;
  private armed = false;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly perTurn = INLINE_PER_TURN) {}

  /** undefined: run now. A promise: this turn is full; it resolves in a later turn, in arrival order. */
  slot(): Promise<void> | undefined {
    if (!this.armed) {
      this.armed = true;
      setImmediate(() => this.nextTurn());
    }
    if (this.ran < this.perTurn && this.waiting.length === 0) {
      this.ran++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Tasks waiting for a later turn (for tests). */
  queued(): number {
    return this.waiting.length;
  }

  private nextTurn(): void {
    this.armed = false;
    const go = this.waiting.splice(0, this.perTurn);
    this.ran = go.length;
    if (go.length > 0) {
      this.armed = true;
      setImmediate(() => this.nextTurn());
    }
    for (const resolve of go) resolve();
  }
}
