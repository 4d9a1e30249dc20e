// The outcomes of finished legs, written together: one SQLite transaction per turn of the event loop instead of one
// (or three) per hang-up, and never inside the ESL event that ended the leg (issue 13). A burst of hang-ups then costs
// one commit, and the event loop is free for the legs still being answered.
//
// Nothing is lost on a clean stop: `flush` writes what is queued at once (CallRunner.close calls it). After a crash
// the calls whose outcome was still queued are recovered as any other call this process did not store: from
// FreeSWITCH's CDR (cdr-route.ts) and the start-up recovery (recovery.ts).

interface OutcomeWriter {
  /** Runs `write` in one transaction with the others of its batch. */
  inTransaction(writes: () => void): void;
}

export class OutcomeQueue {
  private pending: { write: () => void; then: () => void }[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly writer: OutcomeWriter,
    private readonly onError: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /**
   * Queues a write (which catches its own failures: one bad outcome must not undo the batch); `then` runs after the
   * batch is committed, or failed.
   */
  add(write: () => void, then: () => void): void {
    this.pending.push({ write, then });
    // setImmediate, not the domain Clock: this is I/O batching, and it must run under a test's fake clock too.
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Writes everything queued, now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      this.writer.inTransaction(() => {
        for (const { write } of batch) write();
      });
    } catch (err) {
      // The commit itself failed (the database is gone or locked past busy_timeout): the CDR path still has them.
      this.onError(err);
    }
    for (const { then } of batch) then();
  }
}
