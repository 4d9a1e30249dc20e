// Carries out the lease rules for one instance (issue 20): every tick it heartbeats, reads the leases, plans
// (lease-rules.ts) and runs the plan against the store. Between ticks `mayDial` answers from the grant's local
// deadline alone, so an instance cut off from the database, or paused, stops dialling on time without any tick.
import type { Clock, TimerHandle } from '../core/clock.js';
import {
  checkTimings,
  grantOf,
  mayAct,
  planLeases,
  type Grant,
  type LeaseAction,
  type LeaseTimings,
  type LeaseView,
} from './lease-rules.js';
import { liveSince, planRebalance, type RebalanceTimings } from './lease-rebalance.js';
import type { LeaseStore } from './lease-store.js';

interface LeaseKeeperOptions {
  me: string;
  store: LeaseStore;
  /** Local time for the grants: production passes a monotonic clock (a wall clock can jump). */
  clock: Clock;
  timings: LeaseTimings;
  /** How often to tick (a fraction of renewAfterMs). */
  tickMs: number;
  /** Its calls in progress (lease-rules.ts InstanceRow.load), reported with each heartbeat. */
  load(): number;
  /** Where FreeSWITCH reaches this instance's socket (host:port), sent with each heartbeat. */
  socketAt?(): string;
  /** Whether a draining project has no call in progress any more. */
  drained(projectCode: string): boolean;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /**
   * A project taken is not dialled until `recovered` is called for its epoch (the take-over recovery settled what
   * the previous owner left: calls/takeover.ts). Off by default (the rules' tests).
   */
  recoverTakes?: boolean;
  /** Hands a project to an instance holding two fewer, to even out the load (lease-rebalance.ts); undefined: never. */
  rebalance?: RebalanceTimings;
}

export class LeaseKeeper {
  private readonly grants = new Map<string, Grant>();
  private draining = new Set<string>();
  private drainedWhen: ((projectCode: string) => boolean) | undefined;
  private stopping = false;
  /** Halted: no round runs any more and nothing is released (what a crash does; tests use it). */
  private halted = false;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  /** The first round only joins: instances started together then all count when the projects are shared out. */
  private joined = false;
  private lastView: LeaseView | undefined;
  /** Local time the last view was read at (lease age on /health). */
  private lastViewAt: number | undefined;
  private readonly listeners = new Set<(projectCode: string, owned: boolean) => void>();
  /** Projects taken whose recovery has not finished: project → epoch. */
  private readonly unrecovered = new Map<string, number>();
  private loadNow: (() => number) | undefined;
  /** Since when (database time) each live instance has been live without a break, by the views read. */
  private since: ReadonlyMap<string, number> = new Map();
  /** Local time of this instance's last hand-over to even out the load. */
  private lastHandOverAt: number | undefined;

  constructor(private readonly o: LeaseKeeperOptions) {
    checkTimings(o.timings);
  }

  /** Whether this instance may start a call (or write) for the project now. */
  mayDial(projectCode: string): boolean {
    if (this.draining.has(projectCode) || this.unrecovered.has(projectCode)) return false;
    return mayAct(this.grants.get(projectCode), this.o.clock.now());
  }

  /** The take-over recovery of the project at that epoch is over: it may be dialled. */
  recovered(projectCode: string, epoch: number): void {
    if (this.unrecovered.get(projectCode) === epoch) this.unrecovered.delete(projectCode);
  }

  /** The fencing epoch every write for the project carries, while this instance holds it. */
  epochOf(projectCode: string): number | undefined {
    return this.grants.get(projectCode)?.epoch;
  }

  owned(): string[] {
    return [...this.grants.keys()].sort();
  }

  /** The lease view of the last round (who owns what, by the database's clock), and when it was read. */
  lastRead(): { view: LeaseView; at: number } | undefined {
    return this.lastView && { view: this.lastView, at: this.lastViewAt! };
  }

  /** How long ago (local ms) the last lease view was read: grows while the database does not answer. */
  readAgeMs(): number | undefined {
    return this.lastViewAt === undefined ? undefined : this.o.clock.now() - this.lastViewAt;
  }

  /** The grants held, for /health: their epoch, how long since granted or renewed, and how long they still allow. */
  held(): { projectCode: string; epoch: number; ageMs: number; remainingMs: number }[] {
    const now = this.o.clock.now();
    return this.owned().map((p) => {
      const g = this.grants.get(p)!;
      return {
        projectCode: p,
        epoch: g.epoch,
        ageMs: now - (g.renewAt - this.o.timings.renewAfterMs),
        remainingMs: g.actUntil - now,
      };
    });
  }

  /** Called after a round with each project gained (true) or lost (false); returns the unsubscribe. */
  onChange(listener: (projectCode: string, owned: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * `drained`: whether a project this instance hands over (moved or stopping) has no call left here; `load`: its
   * calls in progress (both known once the app is built).
   */
  start(drained?: (projectCode: string) => boolean, load?: () => number): void {
    if (drained) this.drainedWhen = drained;
    if (load) this.loadNow = load;
    const loop = () => {
      if (this.stopping || this.halted) return;
      this.timer = this.o.clock.setTimer(this.o.tickMs, () => void this.tick().finally(loop));
    };
    void this.tick().finally(loop);
  }

  /**
   * Drains and releases every project (a rolling restart hands them over at once, not at expiry), then stops. Waits
   * for calls in progress at most one lease: by then any grant left has lapsed anyway.
   */
  async stop(drained?: (projectCode: string) => boolean): Promise<void> {
    if (this.halted) return;
    this.stopping = true;
    // What the instance stopping knows of its calls (App.close): a project is handed over once none is left.
    if (drained) this.drainedWhen = drained;
    this.timer?.cancel();
    const { clock, timings, tickMs } = this.o;
    const until = clock.now() + timings.ttlMs;
    await this.running;
    // Out of the live instances first (a stopping round sends no heartbeat), or the others would leave what it
    // releases to it for a grace period.
    await this.o.store.leave(this.o.me).catch(() => undefined);
    await this.tick();
    while (this.grants.size > 0 && clock.now() < until) {
      await new Promise<void>((resolve) => clock.setTimer(tickMs, resolve));
      await this.tick();
    }
  }

  /**
   * Stops every round at once and releases nothing, as `kill -9` or a paused process would: the grants then lapse by
   * their local deadline here and by expiry in the database. `resume` lets rounds run again (a SIGCONT).
   */
  halt(): void {
    this.halted = true;
    this.timer?.cancel();
  }

  resume(): void {
    this.halted = false;
    this.start();
  }

  /** One round; concurrent calls share it. Store failures are logged: grants then lapse on their own. */
  tick(): Promise<void> {
    const before = new Map([...this.grants].map(([p, g]) => [p, g.epoch]));
    if (this.halted) return Promise.resolve();
    this.running ??= this.round()
      .finally(() => this.announce(before))
      .catch((err: Error) =>
        this.o.log.warn({ err: err.message }, 'lease round failed: grants lapse unless renewed'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const { store, me, timings, clock } = this.o;
    const load = (this.loadNow ?? this.o.load)();
    if (!this.stopping) await store.heartbeat(me, load, this.o.socketAt?.(), timings.instanceTtlMs);
    if (!this.joined && !this.stopping) return void (this.joined = true);
    const view = await store.view();
    this.lastView = view;
    this.lastViewAt = clock.now();
    this.since = liveSince(this.since, view, timings);
    const isDrained = this.drainedWhen ?? this.o.drained;
    const drained = new Set([...this.grants.keys()].filter((p) => isDrained(p)));
    const plan = planLeases({
      me,
      view,
      grants: this.grants,
      localNow: clock.now(),
      timings,
      stopping: this.stopping,
      drained,
    });
    // Stopping comes first and synchronously: nothing below may delay it.
    for (const a of plan) if (a.kind === 'stopDialling') this.grants.delete(a.projectCode);
    this.draining = new Set(plan.filter((a) => a.kind === 'drain').map((a) => a.projectCode));
    for (const a of plan) await this.carryOut(a);
    if (!this.stopping) await this.evenOut(view, drained);
  }

  /** Hands one project to an instance holding two fewer, when the rules say so (lease-rebalance.ts). */
  private async evenOut(view: LeaseView, quiet: ReadonlySet<string>): Promise<void> {
    const { store, me, timings, clock, rebalance } = this.o;
    if (!rebalance) return;
    const held = new Map(
      [...this.grants.values()]
        .filter((g) => this.mayDial(g.projectCode))
        .map((g) => [g.projectCode, g.epoch]),
    );
    const localNow = clock.now();
    const since = this.since;
    const lastHandOverAt = this.lastHandOverAt;
    const h = planRebalance({ me, view, timings, rebalance, since, held, quiet, localNow, lastHandOverAt });
    if (!h || !(await store.handOver(h.projectCode, me, h.epoch, h.to, h.moveToWas))) return;
    this.lastHandOverAt = localNow;
    this.o.log.info({ project: h.projectCode, to: h.to }, 'project handed over to even out the load');
  }

  /** Tells the listeners what the round changed (a new epoch of a project held before is a loss and a gain). */
  private announce(before: Map<string, number>): void {
    const tell = (p: string, owned: boolean) => {
      for (const l of this.listeners)
        try {
          l(p, owned);
        } catch (err) {
          this.o.log.warn({ err: (err as Error).message, project: p }, 'an ownership listener failed');
        }
    };
    for (const [p, epoch] of before) if (this.grants.get(p)?.epoch !== epoch) tell(p, false);
    for (const [p, g] of this.grants) if (before.get(p) !== g.epoch) tell(p, true);
  }

  private async carryOut(a: LeaseAction): Promise<void> {
    const { store, me, timings, clock } = this.o;
    const sentAt = clock.now();
    if (a.kind === 'take' || a.kind === 'renew') {
      const reply =
        a.kind === 'take'
          ? await store.take(a.projectCode, me, a.fromEpoch, timings.ttlMs)
          : await store.renew(a.projectCode, me, a.epoch, timings.ttlMs);
      if (reply) this.grants.set(a.projectCode, grantOf(a.projectCode, reply, sentAt, timings));
      else if (a.kind === 'renew') this.grants.delete(a.projectCode);
      if (reply && a.kind === 'take') {
        if (this.o.recoverTakes) this.unrecovered.set(a.projectCode, reply.epoch);
        this.o.log.info({ project: a.projectCode, epoch: reply.epoch }, 'project taken');
      }
    } else if (a.kind === 'release') {
      this.grants.delete(a.projectCode);
      this.draining.delete(a.projectCode);
      await store.release(a.projectCode, me, a.epoch);
    }
  }
}
