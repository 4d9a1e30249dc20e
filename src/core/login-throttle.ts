// Failed logins slow down whoever keeps failing (issue #12: 200 wrong Basic passwords took 195 ms). Each login
// name and each client address counts its recent failures; past a few free ones it is locked out for a while that
// doubles with each further failure, up to a ceiling. A success clears the login's count and the address's. Pure
// apart from the injected clock; the map is bounded so a spray of addresses cannot grow it without end.
import type { Clock } from './clock.js';

export interface ThrottlePolicy {
  /** Failures allowed before the first lockout. */
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  /** A record with no failure for this long is forgotten. */
  forgetAfterMs: number;
  /** Most records kept (oldest forgotten first). */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseLockMs: 1_000,
  maxLockMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxEntries: 100_000,
};

interface Record_ {
  failures: number;
  lastAt: number;
}

export class LoginThrottle {
  private readonly records = new Map<string, Record_>();
  readonly counters = { failures: 0, refusedWhileLocked: 0 };
  constructor(
    private readonly clock: Clock,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
  ) {}

  /** Milliseconds before `login` from `address` may try again; 0 when it may try now. */
  lockedFor(login: string, address: string): number {
    const now = this.clock.now();
    const wait = Math.max(this.waitOf(`l:${login}`, now), this.waitOf(`a:${address}`, now));
    if (wait > 0) this.counters.refusedWhileLocked++;
    return wait;
  }

  failed(login: string, address: string): void {
    this.counters.failures++;
    const now = this.clock.now();
    for (const key of [`l:${login}`, `a:${address}`]) {
      const r = this.live(key, now);
      this.records.delete(key); // re-inserted last: the map stays in last-failure order
      this.records.set(key, { failures: (r?.failures ?? 0) + 1, lastAt: now });
    }
    while (this.records.size > this.policy.maxEntries) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }

  succeeded(login: string, address: string): void {
    this.records.delete(`l:${login}`);
    this.records.delete(`a:${address}`);
  }

  private live(key: string, now: number): Record_ | undefined {
    const r = this.records.get(key);
    if (r && now - r.lastAt > this.policy.forgetAfterMs) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }

  private waitOf(key: string, now: number): number {
    const r = this.live(key, now);
    if (!r || r.failures < this.policy.freeFailures) return 0;
    const lock = Math.min(
      this.policy.maxLockMs,
      this.policy.baseLockMs * 2 ** (r.failures - this.policy.freeFailures),
    );
    return Math.max(0, r.lastAt + lock - now);
  }
}
