// LeaseKeepers of several instances over one in-memory lease store (test/support/lease-store.ts) on an injected
// clock, database time 7 minutes ahead of it (the rules never compare the two), for the component tests of ownership
// (cluster-leases) and of rebalancing (cluster-rebalance). The invariant is checked at every step of `run`: at no
// instant may two instances dial for the same project.
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import type { RebalanceTimings } from '../../src/cluster/lease-rebalance.js';
import { DEFAULT_LEASE_TIMINGS as T } from '../../src/cluster/lease-rules.js';
import { FakeClock } from '../../src/core/clock.js';
import { MemoryLeaseStore } from './lease-store.js';

export const SKEW_MS = 7 * 60_000;
export const silent = { warn: () => undefined, info: () => undefined };

interface Options {
  /** Given to every keeper (none: keepers never hand over to even out the load). */
  rebalance?: RebalanceTimings;
}

export function cluster(ids: string[], projects: string[], o: Options = {}) {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore(() => clock.now() + SKEW_MS);
  for (const p of projects) store.addProject(p);
  /** Projects with a call in progress, per instance: a drain waits for them. */
  const busy = new Map<string, Set<string>>();
  /** Calls in progress each instance reports in its heartbeats. */
  const calls = new Map<string, number>();
  const keepers = new Map<string, LeaseKeeper>();
  /** A keeper for `id` (a new instance, or one started again): it runs from the next step of `run` on. */
  const add = (id: string) => {
    if (!busy.has(id)) busy.set(id, new Set());
    const k: LeaseKeeper = new LeaseKeeper({
      me: id,
      store: store.for(id),
      clock,
      timings: T,
      tickMs: 1000,
      load: () => calls.get(id) ?? 0,
      drained: (p) => !busy.get(id)!.has(p),
      log: silent,
      rebalance: o.rebalance,
    });
    keepers.set(id, k);
    frozen.delete(id);
    return k;
  };
  /** Instances that run no round (killed or paused); their mayDial is still checked: a paused one may resume. */
  const frozen = new Set<string>();
  for (const id of ids) add(id);
  const dialers = (p: string) => [...keepers].filter(([, k]) => k.mayDial(p)).map(([id]) => id);
  let violations: string[] = [];
  const check = () => {
    for (const p of store.rows.keys())
      if (dialers(p).length > 1)
        violations.push(`${p} dialled by ${dialers(p).join(' and ')} at ${clock.now()}`);
  };
  return {
    clock,
    store,
    busy,
    calls,
    frozen,
    add,
    k: (id: string) => keepers.get(id)!,
    owner: (p: string) => store.rows.get(p)!.owner,
    /** How many projects each instance owns in the store, by id. */
    counts: (...of: string[]) =>
      of.map((id) => [...store.rows.values()].filter((r) => r.owner === id).length),
    dialers,
    violations: () => violations,
    resetViolations: () => (violations = []),
    /** Lets `ms` pass in steps, each live instance running a round per step; the invariant is checked throughout. */
    async run(ms: number, stepMs = 500) {
      for (let passed = 0; passed < ms; passed += stepMs) {
        clock.advance(stepMs);
        check();
        for (const [id, k] of keepers) if (!frozen.has(id)) await k.tick();
        check();
      }
    },
  };
}
