// Spreading projects again when an instance joins or comes back (issue 20), as pure rules beside the lease rules
// (lease-rules.ts). Orphans already go to the least-loaded instance, but nothing moved a project that had an owner:
// after a rolling restart the instance restarted last owned nothing. Here an instance holding two projects more than
// another hands ONE of them over, through the path an operator's move takes (the lease row's move_to: drain, release,
// the named instance takes it). The spread this reaches is the fair one: every instance within one project of every
// other, so none holds more than ceil(projects / live instances).
//
// Hysteresis, so projects do not ping-pong: the receiver must have been live for `settleMs` of database time without
// a break (a newcomer settles first; one that flickers gets nothing); only an instance holding the most projects
// gives, at most one project per `intervalMs` of its own clock, none while a move of its is in progress or a project
// is orphaned (the counts are in flux); moves under way count for their receiver already. Each move takes the giver
// from n to n-1 and the receiver from at most n-2 to at most n-1: the spread narrows with every move, and the rule
// never asks for the move back.
import type { InstanceRow, LeaseRow, LeaseTimings, LeaseView } from './lease-rules.js';

export interface RebalanceTimings {
  /** A receiver must have been live this long without a break (database time). */
  settleMs: number;
  /** An instance hands over at most one project this often (its local monotonic clock). */
  intervalMs: number;
}

/** About ten heartbeats, and one lease. */
export const DEFAULT_REBALANCE: RebalanceTimings = { settleMs: 10_000, intervalMs: 10_000 };

/** Ask the owner to hand the project over, if its row is still as the view showed it (a compare-and-set). */
interface HandOver {
  kind: 'handOver';
  projectCode: string;
  epoch: number;
  to: string;
  /** move_to as read: a stale target (an instance no longer live) is replaced, a live one never. */
  moveToWas: string | null;
}

const isLive = (i: InstanceRow, view: LeaseView, t: LeaseTimings): boolean =>
  view.dbNow - i.seenAt < t.instanceTtlMs;

const isHeld = (r: LeaseRow, dbNow: number): boolean => r.owner !== null && dbNow < r.expiresAt;

/**
 * Since when (database time) each live instance has been live without a break, from the previous answer and a new
 * view. An instance missing from the view, or seen not live, starts again from the view it is next seen live in.
 */
export function liveSince(
  prev: ReadonlyMap<string, number>,
  view: LeaseView,
  t: LeaseTimings,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of view.instances) if (isLive(i, view, t)) out.set(i.id, prev.get(i.id) ?? view.dbNow);
  return out;
}

interface RebalanceInput {
  me: string;
  view: LeaseView;
  timings: LeaseTimings;
  rebalance: RebalanceTimings;
  /** liveSince's answer for this view. */
  since: ReadonlyMap<string, number>;
  /** The epochs of the grants this instance holds and may act on. */
  held: ReadonlyMap<string, number>;
  /** Projects of this instance with no customer rung or waiting for an agent: handed over first. */
  quiet: ReadonlySet<string>;
  /** This instance's local monotonic time, and when it last handed a project over. */
  localNow: number;
  lastHandOverAt?: number;
}

/** The one project this instance should hand over now to even out the load, if any. */
export function planRebalance(input: RebalanceInput): HandOver | undefined {
  const { me, view, timings, rebalance } = input;
  if (input.lastHandOverAt !== undefined && input.localNow - input.lastHandOverAt < rebalance.intervalMs)
    return undefined;
  const live = view.instances.filter((i) => isLive(i, view, timings));
  const liveIds = new Set(live.map((i) => i.id));
  if (!liveIds.has(me)) return undefined;
  if (view.leases.some((r) => !isHeld(r, view.dbNow))) return undefined;
  const moving = (r: LeaseRow) => r.moveTo !== null && r.moveTo !== r.owner && liveIds.has(r.moveTo);
  const mine = view.leases.filter((r) => r.owner === me && input.held.get(r.projectCode) === r.epoch);
  if (mine.some(moving)) return undefined;
  // Projects per live instance, a move under way counted for its receiver.
  const count = new Map(live.map((i) => [i.id, 0]));
  for (const r of view.leases) {
    const at = moving(r) ? r.moveTo! : r.owner!;
    if (count.has(at)) count.set(at, count.get(at)! + 1);
  }
  const n = count.get(me)!;
  if ([...count.values()].some((c) => c > n)) return undefined;
  // Live since the later of what the store recorded and what this instance's own reads saw: a restart quicker than
  // this instance's round is caught by the first, an instance this one has not watched for long by the second.
  const settled = live.filter(
    (i) =>
      i.id !== me &&
      view.dbNow - Math.max(i.liveSince ?? 0, input.since.get(i.id) ?? view.dbNow) >= rebalance.settleMs,
  );
  // The least loaded by projects, then by its calls, then by id; two projects fewer than this instance at least.
  const to = settled
    .filter((i) => count.get(i.id)! <= n - 2)
    .sort((a, b) => count.get(a.id)! - count.get(b.id)! || a.load - b.load || a.id.localeCompare(b.id))[0];
  if (!to) return undefined;
  // Quiet projects first (nobody is rung or waits for an agent: the drain is immediate), then a fixed order.
  const pick = [...mine].sort(
    (a, b) =>
      Number(input.quiet.has(b.projectCode)) - Number(input.quiet.has(a.projectCode)) ||
      b.projectCode.localeCompare(a.projectCode),
  )[0];
  if (!pick) return undefined;
  return {
    kind: 'handOver',
    projectCode: pick.projectCode,
    epoch: pick.epoch,
    to: to.id,
    moveToWas: pick.moveTo,
  };
}
