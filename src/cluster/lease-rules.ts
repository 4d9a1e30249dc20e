// Who owns which project (issue 20), as pure rules: given the lease rows and instances as the database saw them
// (at the database's own now(), never a local clock), what this instance holds, and its local monotonic time, decide
// what to take, renew, drain, release, and where to stop dialling. The lease store (lease-store.ts) carries the
// actions out as compare-and-set statements; these rules only say what to ask for.
//
// Two clocks, never compared with each other: database time decides whether a lease has expired (every instance
// reads the same one), and each instance's local monotonic clock bounds how long it may act on a grant. A grant's
// local deadline is counted from when the granting statement was SENT, so a slow reply shortens it, never
// lengthens it; and it ends `stopMarginMs` before the lease can expire. A paused or partitioned owner therefore
// stops dialling before any other instance can take the project, and the fencing epoch (bumped on every take)
// refuses whatever it still tries to write afterwards.

export interface LeaseTimings {
  /** A grant or renewal lasts this long in database time (about 10 s). */
  ttlMs: number;
  /** The owner renews once this long has passed since the statement of its last grant was sent. */
  renewAfterMs: number;
  /** The owner stops acting this long before its lease could pass to another: a dial in flight and clock drift. */
  stopMarginMs: number;
  /** An instance is live while its last heartbeat is younger than this (database time). */
  instanceTtlMs: number;
  /**
   * An orphaned project goes to the least-loaded live instance; if that one has not taken it this long after it
   * became free, any live instance may (the compare-and-set lets one win).
   */
  takeoverGraceMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = {
  ttlMs: 10_000,
  renewAfterMs: 3_000,
  stopMarginMs: 2_000,
  instanceTtlMs: 10_000,
  takeoverGraceMs: 3_000,
};

/** One project's lease row. */
export interface LeaseRow {
  projectCode: string;
  /** null: never owned, or released. */
  owner: string | null;
  /** The fencing epoch of the latest grant (0: never granted). Every take increments it. */
  epoch: number;
  /** Database time; for a released row, when it was released. */
  expiresAt: number;
  /** The instance an operator asked to hand the project to, if any. */
  moveTo: string | null;
}

export interface InstanceRow {
  id: string;
  /** Database time of its last heartbeat. */
  seenAt: number;
  /**
   * Its calls in progress, as its last heartbeat reported them. The rules count its projects from the leases
   * themselves; between instances holding as many projects, the one with fewer calls is the less loaded.
   */
  load: number;
  /** Where FreeSWITCH's socket application reaches it (host:port), when the store records it. */
  socketAt?: string;
  /** Database time since when it has been live without a break, when the store records it (lease-store.ts). */
  liveSince?: number;
}

/** One read of the database: its now() and the rows, consistent with each other. */
export interface LeaseView {
  dbNow: number;
  leases: readonly LeaseRow[];
  instances: readonly InstanceRow[];
}

/** What a granting or renewing statement returned. */
export interface LeaseReply {
  epoch: number;
  expiresAt: number;
  dbNow: number;
}

/** A project this instance holds, in its own monotonic time. */
export interface Grant {
  projectCode: string;
  epoch: number;
  /** Acting (dialling, writing for the project) is allowed strictly before this. */
  actUntil: number;
  /** Renew from this time on. */
  renewAt: number;
}

export type LeaseAction =
  | { kind: 'take'; projectCode: string; fromEpoch: number }
  | { kind: 'renew'; projectCode: string; epoch: number }
  /** Start no new call for the project; release it once its calls are over (`drained`). */
  | { kind: 'drain'; projectCode: string; epoch: number; reason: 'moving' | 'stopping' }
  | { kind: 'release'; projectCode: string; epoch: number }
  /** Stop acting for the project at once and forget the grant (a renewal may still bring a new one). */
  | { kind: 'stopDialling'; projectCode: string; epoch: number; reason: 'expiring' | 'lost' };

interface PlanInput {
  me: string;
  view: LeaseView;
  grants: ReadonlyMap<string, Grant>;
  /** This instance's monotonic time, the clock its grants are in. */
  localNow: number;
  timings: LeaseTimings;
  /** Shutting down (SIGTERM): drain and release everything, take nothing. */
  stopping?: boolean;
  /** Projects whose drain is complete (no call in progress). */
  drained?: ReadonlySet<string>;
}

/** Timings that cannot keep the promise (a renewal due after the owner must stop) are a bug: refuse them. */
export function checkTimings(t: LeaseTimings): void {
  if (!(t.stopMarginMs > 0 && t.renewAfterMs > 0)) throw new Error('lease timings must be positive');
  if (t.renewAfterMs + t.stopMarginMs >= t.ttlMs)
    throw new Error(
      'a lease must be renewed before its owner has to stop: renewAfterMs + stopMarginMs < ttlMs',
    );
}

/** The grant a take or renew statement gave, sent at local time `sentAt`. */
export function grantOf(projectCode: string, reply: LeaseReply, sentAt: number, t: LeaseTimings): Grant {
  const remaining = reply.expiresAt - reply.dbNow;
  return {
    projectCode,
    epoch: reply.epoch,
    actUntil: sentAt + remaining - t.stopMarginMs,
    renewAt: sentAt + t.renewAfterMs,
  };
}

/** May this instance dial (or write) for the project right now? */
export function mayAct(grant: Grant | undefined, localNow: number): boolean {
  return grant !== undefined && localNow < grant.actUntil;
}

const isLive = (i: InstanceRow, view: LeaseView, t: LeaseTimings): boolean =>
  view.dbNow - i.seenAt < t.instanceTtlMs;

const isOrphan = (row: LeaseRow, dbNow: number): boolean => row.owner === null || dbNow >= row.expiresAt;

/** The least loaded: fewest projects, then fewest calls, then the first id (every instance picks the same). */
function leastLoaded(
  projects: ReadonlyMap<string, number>,
  calls: ReadonlyMap<string, number>,
): string | undefined {
  let best: string | undefined;
  for (const [id, n] of projects) {
    if (best === undefined) {
      best = id;
      continue;
    }
    const diff = n - projects.get(best)! || calls.get(id)! - calls.get(best)!;
    if (diff < 0 || (diff === 0 && id < best)) best = id;
  }
  return best;
}

/**
 * Who should take each orphaned project: its hand-over target if live, else the least-loaded live instance (its
 * unexpired leases, then its calls in progress), each assignment adding 1 to that instance's projects. Every instance
 * computes the same from the same view.
 */
function assignOrphans(view: LeaseView, live: InstanceRow[]): Map<string, string> {
  const projects = new Map(live.map((i) => [i.id, 0]));
  const calls = new Map(live.map((i) => [i.id, i.load]));
  // Counted from the view, not from each heartbeat: every instance then sees the same loads.
  for (const r of view.leases)
    if (r.owner !== null && !isOrphan(r, view.dbNow) && projects.has(r.owner))
      projects.set(r.owner, projects.get(r.owner)! + 1);
  const out = new Map<string, string>();
  const orphans = view.leases
    .filter((r) => isOrphan(r, view.dbNow))
    .sort((a, b) => a.projectCode.localeCompare(b.projectCode));
  for (const row of orphans) {
    const to = row.moveTo !== null && projects.has(row.moveTo) ? row.moveTo : leastLoaded(projects, calls);
    if (to === undefined) break;
    out.set(row.projectCode, to);
    projects.set(to, projects.get(to)! + 1);
  }
  return out;
}

/** What to do for a project this instance holds. */
function planHeld(
  input: PlanInput,
  grant: Grant,
  row: LeaseRow | undefined,
  live: Set<string>,
): LeaseAction[] {
  const { projectCode, epoch } = grant;
  if (!row || row.owner !== input.me || row.epoch !== epoch)
    return [{ kind: 'stopDialling', projectCode, epoch, reason: 'lost' }];
  const out: LeaseAction[] = [];
  if (!mayAct(grant, input.localNow))
    out.push({ kind: 'stopDialling', projectCode, epoch, reason: 'expiring' });
  const moving = row.moveTo !== null && row.moveTo !== input.me && live.has(row.moveTo);
  if (input.stopping || moving) {
    if (input.drained?.has(projectCode)) return [...out, { kind: 'release', projectCode, epoch }];
    out.push({ kind: 'drain', projectCode, epoch, reason: input.stopping ? 'stopping' : 'moving' });
  }
  if (input.localNow >= grant.renewAt || !mayAct(grant, input.localNow))
    out.push({ kind: 'renew', projectCode, epoch });
  return out;
}

export function planLeases(input: PlanInput): LeaseAction[] {
  const { me, view, grants, timings } = input;
  const live = view.instances.filter((i) => isLive(i, view, timings));
  const liveIds = new Set(live.map((i) => i.id));
  const rows = new Map(view.leases.map((r) => [r.projectCode, r]));
  const actions: LeaseAction[] = [];
  for (const grant of grants.values())
    actions.push(...planHeld(input, grant, rows.get(grant.projectCode), liveIds));
  // Taking needs this instance to be live in the database's eyes: one whose heartbeats do not land takes nothing.
  if (input.stopping || !liveIds.has(me)) return actions;
  const assigned = assignOrphans(view, live);
  for (const row of view.leases) {
    if (grants.has(row.projectCode) || !isOrphan(row, view.dbNow)) continue;
    // Past the grace, the chosen instance evidently cannot take it: whoever is live may.
    const overdue = view.dbNow - row.expiresAt >= timings.takeoverGraceMs;
    if (assigned.get(row.projectCode) === me || overdue)
      actions.push({ kind: 'take', projectCode: row.projectCode, fromEpoch: row.epoch });
  }
  return actions;
}
