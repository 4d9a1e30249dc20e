// The CONNECT deadline of every session still negotiating, on one timer. Every session gets the same time to send
// CONNECT and they open one after another, so the order they opened in is the order their deadlines fall in: a Map
// in opening order (session → deadline) and one timer for the one in front. A session that connects or ends leaves
// the line. Each session had a timer of its own (a Timeout, its handle, a cancel closure and the callback's
// closure); during a burst of thousands of connections those outlived the young generation's collections, which
// made V8 grow it further (issue 21: RSS per idle session).
import type { Clock, TimerHandle } from '../core/clock.js';

/** What the line asks of a session whose deadline passed. */
export interface Negotiating {
  /** Nothing (or no CONNECT) arrived in time: ERROR and close, which makes the session leave the line. */
  expire(): void;
}

export class ConnectDeadlines {
  private readonly waiting = new Map<Negotiating, number>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** A session opened now: it expires timeoutMs from now unless it leaves first. */
  join(session: Negotiating): void {
    this.waiting.set(session, this.clock.now() + this.timeoutMs);
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  /** Connected, or ended: the deadline no longer applies. */
  leave(session: Negotiating): void {
    if (!this.waiting.delete(session) || this.waiting.size > 0) return;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimer(ms, () => this.due());
  }

  private due(): void {
    this.timer = undefined;
    const now = this.clock.now();
    // Collected first: expiring a session removes it from the Map being walked.
    const expired: Negotiating[] = [];
    for (const [session, deadline] of this.waiting) {
      if (deadline > now) break;
      expired.push(session);
    }
    try {
      for (const session of expired) {
        // Whatever expire does, the session is out of the line afterwards.
        this.waiting.delete(session);
        session.expire();
      }
    } finally {
      const front = this.waiting.values().next();
      if (!front.done && this.timer === undefined) this.arm(Math.max(1, front.value - now));
    }
  }
}
