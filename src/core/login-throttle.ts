// Failed logins slow down whoever keeps failing (issue #12: 200 wrong Basic passwords took 195 ms) without letting
// one client lock others out (issue #17: five wrong passwords for a login that does not exist, sent from the
// address agent B also used, refused B's right password). Two counts, two different answers:
// - per account (login name): past a few free failures the account is locked for a while that doubles with each
//   further failure, up to a ceiling. Only someone guessing THAT account's password can lock it; a success clears it.
// - per client address: past a few free failures every attempt from the address waits before it is checked (a
//   tarpit), longer with more failures, capped. A delay never refuses: the right password of an account nobody
//   attacked still gets in from that address, a little later. Waiting before the check (not only before a
//   failure's answer) keeps a client from learning "wrong" from the delay and giving up early. A success does not
//   clear the address's count: an attacker holding one valid login could otherwise reset its own tarpit.
// Pure apart from the injected clock; the map is bounded so a spray of logins and addresses cannot grow it.
import type { Clock } from './clock.js';

export interface ThrottlePolicy {
  /** Failures of one account allowed before the first lockout. */
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  /** Failures from one address before its attempts are delayed. */
  freeAddressFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A record with no failure for this long is forgotten. */
  forgetAfterMs: number;
  /** Most records kept (oldest forgotten first). */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseLockMs: 1_000,
  maxLockMs: 5 * 60_000,
  freeAddressFailures: 10,
  baseDelayMs: 250,
  maxDelayMs: 3_000,
  forgetAfterMs: 15 * 60_000,
  maxEntries: 100_000,
};

interface Record_ {
  failures: number;
  lastAt: number;
}

/** What a login attempt must do before its credentials are checked. */
interface LoginGate {
  /** > 0: the account is locked; refuse without checking, and say to retry after this many milliseconds. */
  lockedMs: number;
  /** Milliseconds to wait before checking (the address's tarpit); never a refusal. */
  delayMs: number;
}

export class LoginThrottle {
  private readonly records = new Map<string, Record_>();
  readonly counters = { failures: 0, refusedWhileLocked: 0, delayed: 0 };
  constructor(
    private readonly clock: Clock,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
  ) {}

  /** The gate for one attempt of `login` from `address` (login undefined: no account named, e.g. a certificate). */
  gate(login: string | undefined, address: string): LoginGate {
    const now = this.clock.now();
    const lockedMs = login === undefined ? 0 : this.lockOf(`l:${login}`, now);
    if (lockedMs > 0) {
      this.counters.refusedWhileLocked++;
      return { lockedMs, delayMs: 0 };
    }
    const delayMs = this.delayOf(`a:${address}`, now);
    if (delayMs > 0) this.counters.delayed++;
    return { lockedMs: 0, delayMs };
  }

  /** Milliseconds the account stays locked (0: not locked); no tarpit, no counting. */
  accountLockMs(login: string): number {
    return this.lockOf(`l:${login}`, this.clock.now());
  }

  failed(login: string | undefined, address: string): void {
    this.counters.failures++;
    const now = this.clock.now();
    if (login !== undefined) this.bump(`l:${login}`, now);
    this.bump(`a:${address}`, now);
    while (this.records.size > this.policy.maxEntries) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }

  /** The account's right password: its count is cleared (the address's is not, see above). */
  succeeded(login: string): void {
    this.records.delete(`l:${login}`);
  }

  private bump(key: string, now: number): void {
    const r = this.live(key, now);
    this.records.delete(key); // re-inserted last: the map stays in last-failure order
    this.records.set(key, { failures: (r?.failures ?? 0) + 1, lastAt: now });
  }

  private live(key: string, now: number): Record_ | undefined {
    const r = this.records.get(key);
    if (r && now - r.lastAt > this.policy.forgetAfterMs) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }

  private lockOf(key: string, now: number): number {
    const r = this.live(key, now);
    const p = this.policy;
    if (!r || r.failures < p.freeFailures) return 0;
    const lock = Math.min(p.maxLockMs, p.baseLockMs * 2 ** (r.failures - p.freeFailures));
    return Math.max(0, r.lastAt + lock - now);
  }

  private delayOf(key: string, now: number): number {
    const r = this.live(key, now);
    const p = this.policy;
    if (!r || r.failures < p.freeAddressFailures) return 0;
    // Exponent bounded so 2 ** n stays finite whatever the count.
    return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.min(30, r.failures - p.freeAddressFailures));
  }
}

/** "try again in N s" for a lock of `ms` milliseconds (whole seconds, at least 1): the same words everywhere. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
