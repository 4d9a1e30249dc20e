// Shared capacity (issue 20): a gateway's lines and a node's sessions and calls per second are limits of the whole
// cluster, not of each instance. Each instance claims a share of every limit it dials under, in a ledger in the
// shared store (src/db/pg/capacity.ts): a claim is granted only as far as the other instances' unexpired claims leave
// room, so the claims never add up to more than the limit, and an instance starts calls only within its own claim,
// while that claim is valid by its local clock (ending a margin before the database lets it pass to another, as the
// lease grants do). A killed instance's claims expire; a stopping one deletes them.
//
// The share an instance asks for: what it uses now, or its fair part of the limit, whichever is more. What it uses is
// read when the claim is computed, not when the dialer last asked (calls started since then would otherwise be given
// back to the others while still up), and while a renewal is in flight the instance starts calls only within what it
// asked for, so a shrinking claim is never overrun between the ask and the grant. The fair part
// is the limit over the instances that dial under it (an unexpired claim of theirs, granted or not), not over every
// live instance: an instance that never dials through a gateway must not keep a part of its lines idle (with three
// instances and two dialling through a gateway of 3 lines, each had 1 and the third line was never used). A newcomer
// gets what is free at once and the rest as the others renew with the smaller fair part: never more than the limit,
// at the price of a few seconds' imbalance.
import type { Clock, TimerHandle } from '../core/clock.js';

export interface CapacityStore {
  /**
   * Sets this instance's claim to `want(claimants)`, cut to what the others' unexpired claims leave below `limit`;
   * `claimants` counts this instance and every other with an unexpired claim on the resource (one of 0 too: it asks
   * and is not granted), read under the same lock.
   */
  claim(
    resource: string,
    instanceId: string,
    want: (claimants: number) => number,
    limit: number,
    ttlMs: number,
  ): Promise<{ granted: number; expiresAt: number; dbNow: number }>;
  /** Deletes every claim of the instance (it is stopping). */
  leave(instanceId: string): Promise<void>;
}

interface LedgerOptions {
  me: string;
  store: CapacityStore;
  /** Local monotonic time, as the lease keeper's. */
  clock: Clock;
  ttlMs: number;
  /** Use of a claim stops this long before it could pass to another instance. */
  marginMs: number;
  /** How often claims are renewed. */
  tickMs: number;
  log: { warn(obj: object, msg: string): void };
}

interface Claim {
  amount: number;
  validUntil: number;
}

interface Demand {
  limit: number;
  /** What the instance uses of the resource now (read at every renewal). */
  inUse: () => number;
  askedAt: number;
}

/** A resource nobody asked about for this long is given back (claim 0). */
const IDLE_MS = 10_000;

export class CapacityLedger {
  private readonly claims = new Map<string, Claim>();
  private readonly demand = new Map<string, Demand>();
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: LedgerOptions) {}

  /**
   * How much of the resource this instance may use in all (its valid claim, at most the limit); 0 until a claim is
   * granted. Records the demand: the next renewal claims for it (a resource asked for the first time at once), with
   * what `inUse` says then.
   */
  allowance(resource: string, limit: number, inUse: () => number): number {
    const now = this.o.clock.now();
    const known = this.demand.has(resource);
    this.demand.set(resource, { limit, inUse, askedAt: now });
    if (!known) void this.renew();
    const c = this.claims.get(resource);
    return c && now < c.validUntil ? Math.min(c.amount, limit) : 0;
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.timer = this.o.clock.setTimer(this.o.tickMs, () => void this.renew().finally(loop));
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
    this.claims.clear();
    await this.o.store.leave(this.o.me).catch(() => undefined);
  }

  /** Renews every claim in demand; concurrent calls share one round. */
  renew(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.round()
      .catch((err: Error) => this.o.log.warn({ err: err.message }, 'capacity claims not renewed: they lapse'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const { clock, store, me, ttlMs, marginMs } = this.o;
    for (const [resource, d] of [...this.demand]) {
      const idle = clock.now() - d.askedAt > IDLE_MS;
      if (idle) this.demand.delete(resource);
      const want = (claimants: number) => {
        const asked = idle
          ? 0
          : Math.min(d.limit, Math.max(d.inUse(), Math.ceil(d.limit / Math.max(1, claimants))));
        // Until the grant is back, no more than asked: the grant is at most that (the others' claims left room for
        // the old claim), and calls started above it meanwhile could be granted to another instance too.
        const held = this.claims.get(resource);
        if (held) held.amount = Math.min(held.amount, asked);
        return asked;
      };
      const sentAt = clock.now();
      const r = await store.claim(resource, me, want, d.limit, ttlMs);
      // Counted from when the statement was sent: a slow reply shortens the claim, never lengthens it.
      this.claims.set(resource, {
        amount: r.granted,
        validUntil: sentAt + (r.expiresAt - r.dbNow) - marginMs,
      });
    }
  }
}
