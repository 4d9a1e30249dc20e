// The outcomes of finished legs, written together: one transaction per turn of the event loop instead of one (or
// three) per hang-up, and never inside the ESL event that ended the leg (issue 13). A burst of hang-ups then costs
// one commit, and the event loop is free for the legs still being answered.
//
// Nothing is lost on a clean stop: `flush` writes what is queued at once (CallRunner.close awaits it). After a crash
// the calls whose outcome was still queued are recovered as any other call this process did not store: from
// FreeSWITCH's CDR (cdr-route.ts) and the start-up recovery (recovery.ts).
import type { CallOutcome } from '../db/repos/call-outcomes.js';

interface OutcomeWriter {
  /** Stores the batch in one transaction. */
  store(records: CallOutcome[]): Promise<{ callId: string; err: unknown }[]>;
}

interface Queued {
  record: CallOutcome;
  stored(): void;
  then(): void;
}

export class OutcomeQueue {
  private pending: Queued[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly writer: OutcomeWriter,
    /** A batch that could not be committed (no callId), or one outcome of it that could not be stored. */
    private readonly onError: (err: unknown, callId?: string) => void,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** Queues an outcome; `stored` runs once it is committed, `then` after the batch is committed, or failed. */
  add(record: CallOutcome, stored: () => void, then: () => void): void {
    this.pending.push({ record, stored, then });
    // setImmediate, not the domain Clock: this is I/O batching, and it must run under a test's fake clock too.
    this.scheduled ??= setImmediate(() => void this.flush());
  }

  /** Writes everything queued now, and waits for the writes already under way. */
  async flush(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      const write = this.write(batch);
      this.inFlight.add(write);
      void write.finally(() => this.inFlight.delete(write));
    }
    await Promise.all(this.inFlight);
  }

  private async write(batch: Queued[]): Promise<void> {
    let failed: Set<string> | undefined;
    try {
      const refused = await this.writer.store(batch.map((b) => b.record));
      for (const f of refused) this.onError(f.err, f.callId);
      failed = new Set(refused.map((f) => f.callId));
    } catch (err) {
      // The commit itself failed (the database is gone or locked past busy_timeout): the CDR path still has them.
      this.onError(err);
    }
    for (const b of batch) {
      if (failed && !failed.has(b.record.callId)) b.stored();
      b.then();
    }
  }
}
