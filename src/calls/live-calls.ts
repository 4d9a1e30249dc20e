// The calls in progress in this process: the legs our flows run (by call id) and the off-hook agents' held legs
// (by username). The runner fills it; the dialer, the wallboard, the supervisor and the agents' commands read it.
import type { HeldLeg, LiveCall } from './legs/types.js';

/** No agent yet, and not under answering-machine detection nor found a machine: nobody waits for an agent there. */
const isWaiting = (c: LiveCall): boolean => c.agent === undefined && c.amd === undefined;

export class LiveCalls {
  readonly live = new Map<string, LiveCall>();
  /** Off-hook agents' held legs by username. */
  readonly held = new Map<string, HeldLeg>();

  /** Answered customers of the task still waiting for an agent. */
  waitingInTask(taskCode: string): number {
    let n = 0;
    for (const c of this.live.values()) if (c.taskCode === taskCode && isWaiting(c)) n++;
    return n;
  }

  /** Answered customers of the project still waiting for an agent. */
  waitingInProject(projectCode: string): number {
    let n = 0;
    for (const c of this.live.values()) if (c.projectCode === projectCode && isWaiting(c)) n++;
    return n;
  }

  /** Off-hook agents of the project holding a fifo leg. */
  heldAgents(projectCode: string): Set<string> {
    const out = new Set<string>();
    for (const [username, leg] of this.held) if (leg.projectCode === projectCode) out.add(username);
    return out;
  }

  isHeldLeg(uuid: string): boolean {
    for (const h of this.held.values()) if (h.uuid === uuid) return true;
    return false;
  }
}
