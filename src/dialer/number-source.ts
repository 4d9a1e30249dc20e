// The port through which the dialer takes numbers from the task-number store (numbers.ts), declared by the dialer
// that needs it; numberSourceOf adapts the store to it.
import type { DispensedNumber, NumberStore, Screen } from './numbers.js';

/** Where numbers come from: the task-number store (src/dialer/numbers.ts). */
export interface NumberSource {
  dispense(taskId: number, n: number, now: number, screen?: Screen): DispensedNumber[];
  /** The task has a pending number due now: it needs agents to dial it. */
  hasDue(taskId: number, now: number): boolean;
  /** The task's retry rules give a settled number another attempt at `at` (issue 14.8). */
  retryLater(id: number, at: number, now: number): boolean;
  /** Agent-first: the agent did not take the call; back to pending, or settled as 32 at the cap (issue 14.3). */
  agentMissed(
    id: number,
    cap: number,
    log: { callUuid: string; agent: string; cause: string; projectId: number; callTaskCode: string },
    now: number,
  ): 'pending' | 'settled';
  settle(id: number, outcome: { callUuid: string; resultDetail: number }, now: number): void;
  /** Records the call's uuid on the number before it is originated, so a restart can ask FreeSWITCH about it. */
  markCall(id: number, callUuid: string, now: number): void;
}

export function numberSourceOf(store: NumberStore): NumberSource {
  return {
    dispense: (taskId, n, now, screen) => store.dispenseNumbers(taskId, n, now, screen),
    hasDue: (taskId, now) => store.hasDue(taskId, now),
    retryLater: (id, at, now) => store.retryLater(id, at, now),
    agentMissed: (id, cap, log, now) => store.agentMissed(id, cap, log, now),
    settle: (id, outcome, now) => store.settleNumber(id, outcome, now),
    markCall: (id, callUuid, now) => store.markCall(id, callUuid, now),
  };
}
