/**
 * Serialises hold/unhold. JsSIP's hold() and unhold() return false, doing nothing, while a re-INVITE (ours or
 * the other side's) is in progress, so "hold then unhold at once" would silently drop the unhold. Requests queue
 * here and each waits until the session can re-offer; a request that is already satisfied succeeds at once.
 */
export interface Reofferable {
  isEnded(): boolean;
  isEstablished(): boolean;
  isReadyToReOffer(): boolean;
  isLocalHold(): boolean;
  /** Starts the re-INVITE; false when JsSIP refused to start it. `done` runs when it succeeded. */
  hold(done: () => void): boolean;
  unhold(done: () => void): boolean;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const browserTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Pending {
  wantHold: boolean;
  resolve: (ok: boolean) => void;
  retries: number;
}

export class HoldQueue {
  private readonly pending: Pending[] = [];
  private inFlight = false;
  private retryTimer: unknown = null;

  constructor(
    private readonly session: Reofferable,
    private readonly timers: Timers = browserTimers,
    private readonly retryMs = 100,
    /** A re-INVITE that never becomes possible (e.g. a stuck remote transaction) gives up after this long. */
    private readonly maxWaitMs = 10_000,
  ) {}

  /** Resolves true once the session is in the wanted state, false if the session ended or never allowed it. */
  request(wantHold: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      this.pending.push({ wantHold, resolve, retries: 0 });
      this.pump();
    });
  }

  /** The session ended: everything still queued fails. */
  cancel(): void {
    if (this.retryTimer !== null) this.timers.clear(this.retryTimer);
    this.retryTimer = null;
    this.inFlight = false;
    for (const p of this.pending.splice(0)) p.resolve(false);
  }

  private pump(): void {
    while (!this.inFlight && this.retryTimer === null && this.pending.length > 0) {
      const head = this.pending[0];
      if (this.session.isEnded()) {
        this.cancel();
        return;
      }
      if (this.session.isLocalHold() === head.wantHold) {
        this.finishHead(true);
        continue;
      }
      const started =
        this.session.isEstablished() &&
        this.session.isReadyToReOffer() &&
        (head.wantHold ? this.session.hold(() => this.onDone()) : this.session.unhold(() => this.onDone()));
      if (started) {
        this.inFlight = true;
        return;
      }
      if ((head.retries + 1) * this.retryMs > this.maxWaitMs) {
        this.finishHead(false);
        continue;
      }
      head.retries += 1;
      this.retryTimer = this.timers.set(() => {
        this.retryTimer = null;
        this.pump();
      }, this.retryMs);
    }
  }

  private onDone(): void {
    if (!this.inFlight) return;
    this.inFlight = false;
    this.finishHead(true);
    this.pump();
  }

  private finishHead(ok: boolean): void {
    this.pending.shift()?.resolve(ok);
  }
}
