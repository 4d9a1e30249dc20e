// The legs we sent to our own outbound socket and have not seen arrive yet (issue 17.1). Every originate whose
// application is `socket(...)` is announced here first; when its leg connects, the runner claims it by cc_call_id.
// A claim succeeds once: a second leg carrying the same call id (a replayed or forged one) finds nothing, so it
// cannot settle a number or rewrite a call log that belongs to another call.
import type { Clock } from '../core/clock.js';

export interface ExpectedLeg {
  /** The node the originate went to: a leg proven with another node's token is not this one. */
  nodeId: number;
  /** cc_flow the originate set. */
  flow: string;
  /** cc_number_id, for a task's number. */
  numberId?: number;
}

interface Entry extends ExpectedLeg {
  expiresAt: number;
}

export class ExpectedLegs {
  /** Insertion order is (nearly) expiry order: every originate waits about as long. */
  private readonly legs = new Map<string, Entry>();

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** Announces a leg before its originate goes out; `withinMs` is how long it may take to connect (ringing included). */
  expect(callId: string, leg: ExpectedLeg, withinMs: number): void {
    const now = this.clock.now();
    this.sweep(now);
    this.legs.delete(callId);
    this.legs.set(callId, { ...leg, expiresAt: now + withinMs });
  }

  /** The originate failed: its leg will never connect. */
  forget(callId: string): void {
    this.legs.delete(callId);
  }

  /** The leg announced under `callId`, once; undefined when it never was, was claimed already or expired. */
  claim(callId: string): ExpectedLeg | undefined {
    const entry = this.legs.get(callId);
    if (!entry) return undefined;
    this.legs.delete(callId);
    if (entry.expiresAt < this.clock.now()) return undefined;
    return { nodeId: entry.nodeId, flow: entry.flow, numberId: entry.numberId };
  }

  get size(): number {
    return this.legs.size;
  }

  private sweep(now: number): void {
    for (const [callId, entry] of this.legs) {
      if (entry.expiresAt >= now) return;
      this.legs.delete(callId);
    }
  }
}
