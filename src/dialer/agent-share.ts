// Issue 14.2: the project's staffed agents are split between its running tasks that need agents, by weight, so
// each pacer paces on its own agents and two tasks never dial for the same idle agent. A task needs agents while
// it has a number due or calls of its own in progress; a running task that has dialled everything (its numbers
// done, or due later) takes no share, so it cannot starve the tasks that still have numbers to dial.
import type { AgentEntry, AgentRegistry } from '../agents/registry.js';
import { ScheduleType } from '../core/codes.js';
import type { Task } from './attempts.js';
import { splitAgents } from './pacing/share.js';

/** Tasks whose customers need agents, and so share the project's agents. */
export const NEEDS_AGENTS: readonly number[] = [
  ScheduleType.directToAgent,
  ScheduleType.playThenAgent,
  ScheduleType.agentFirst,
  ScheduleType.offHookAgent,
];

/** Agent subsets rotate between equal tasks once a minute, so small teams give every task its turn. */
const SHARE_TURN_MS = 60_000;

interface AgentShareDeps {
  agents: AgentRegistry;
  /** The task has a pending number due now. */
  hasDue(taskId: number, now: number): boolean;
  /** The task has calls of its own in progress (ringing, answered, queued, an agent-first agent ringing). */
  hasCalls(task: Task): boolean;
  /** Off-hook agents holding a fifo leg, per project. */
  heldAgents?(projectCode: string): ReadonlySet<string>;
}

/** Each agent-needing task's share of the project's staffed agents (empty for a task that needs none now). */
export function shareAgents(
  d: AgentShareDeps,
  projectCode: string,
  projectTasks: Task[],
  now: number,
): Map<number, AgentEntry[]> {
  const out = new Map<number, AgentEntry[]>();
  const needing = projectTasks.filter((t) => NEEDS_AGENTS.includes(t.scheduleType));
  for (const t of needing) out.set(t.id, []);
  const agentTasks = needing.filter((t) => d.hasDue(t.id, now) || d.hasCalls(t));
  if (agentTasks.length === 0) return out;
  const held = d.heldAgents?.(projectCode);
  const offHookOnly = agentTasks.every((t) => t.scheduleType === ScheduleType.offHookAgent);
  const staffed = d.agents.ofProject(projectCode).filter(
    (a) =>
      a.type === 2 &&
      a.state.workStatus === 1 &&
      a.state.regStatus === 1 &&
      // Off-hook tasks can only use agents holding a fifo leg; others use any staffed agent.
      (offHookOnly ? held?.has(a.username) : true),
  );
  const split = splitAgents(
    staffed,
    agentTasks.map((t) => ({ id: t.id, weight: t.agentWeight })),
    Math.floor(now / SHARE_TURN_MS),
  );
  for (const t of agentTasks) out.set(t.id, split.get(t.id) ?? []);
  return out;
}
