// The outcomes of finished legs, written together: one transaction per turn of the event loop instead of one (or
// three) per hang-up, and never inside the ESL event that ended the leg (issue 13). A burst of hang-ups then costs
// one commit, and the event loop is free for the legs still being answered.
//
// A turn writes at most OUTCOMES_PER_TURN of them and leaves the rest to the next turn (issue 21): one outcome costs
// ~0.3–0.5 ms of the main thread (its call log, number and verdict, then the dialer's bookkeeping), so the burst of
// hang-ups that follows a burst of answers was one turn of 50 ms and more, with every other leg's reply waiting.
//
// A lone outcome waits up to GATHER_MS for others to share its transaction (issue 21): hang-ups arrive one per turn
// at a campaign's pace (~110/s), so a batch per turn was a transaction (BEGIN, COMMIT) per outcome, more control
// statements than data ones. Each commit costs SQLite's WAL a write of the pages it touched: ~70 µs of CPU per
// outcome alone on a database file against ~38 µs in batches of four. A full share (OUTCOMES_PER_TURN) does not wait.
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

/** Outcomes written per turn of the event loop (about 4 ms of work): see the top of this file. */
export const OUTCOMES_PER_TURN = 10;
/** How long the first outcome of a batch waits for others (see the top of this file). */
export const GATHER_MS = 20;

export class OutcomeQueue {
  private pending: Queued[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private gathering: NodeJS.Timeout | undefined;
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
    if (this.pending.length >= OUTCOMES_PER_TURN) this.schedule();
    else this.gather();
  }

  /** Writes everything queued now, and waits for the writes already under way. */
  async flush(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    clearTimeout(this.gathering);
    this.gathering = undefined;
    this.writeNext(this.pending.length);
    await Promise.all(this.inFlight);
  }

  /** The batch is written GATHER_MS after its first outcome, unless it fills up before. */
  private gather(): void {
    if (this.scheduled) return;
    // A timer of Node's, not the domain Clock, for the same reason as below.
    this.gathering ??= setTimeout(() => {
      this.gathering = undefined;
      this.schedule();
    }, GATHER_MS);
  }

  private schedule(): void {
    clearTimeout(this.gathering);
    this.gathering = undefined;
    // setImmediate, not the domain Clock: this is I/O batching, and it must run under a test's fake clock too. An
    // immediate set from inside one runs at the next turn, after the I/O that came meanwhile.
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.writeNext(OUTCOMES_PER_TURN);
      if (this.pending.length > 0) this.schedule();
    });
  }

  /** Starts writing the oldest `max` queued outcomes, in one transaction. */
  private writeNext(max: number): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.length <= max ? this.pending : this.pending.splice(0, max);
    if (batch === this.pending) this.pending = [];
    const write = this.write(batch);
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
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
