// The port through which the dialer takes numbers from the task-number store, declared by the dialer that needs it
// (the SQLite store is db/repos/numbers.ts). Asynchronous: on PostgreSQL every call is a round trip, so the tick
// reads what it decides on first (DialerView) and awaits only the dispensing and the settling.

export interface DispensedNumber {
  id: number;
  phone: string;
  /** Retries the task's retry rules already gave this number. */
  retries?: number;
}

/**
 * What dispensing checks for each number at the moment it would be handed out (issue 14.6, 14.7): numbers on a
 * do-not-call list are closed without a call and a call log says why; numbers outside their own calling window
 * stay pending for later.
 */
export interface Screen {
  /** The task the numbers belong to, for the skip's call log. */
  task: { id: number; projectId: number; callTaskCode: string };
  /** The task's project: its do-not-call list is checked with the global one (the store does it, in its transaction). */
  projectCode: string | null;
  /** False: not now (the number's local time is outside the window); it stays pending. */
  callableNow?(phone: string): boolean;
}

/**
 * The lease a write for a project is made under (issue 20): in a cluster, dispensing and marking a call succeed only
 * while `instanceId` still holds the project at `epoch` by the database's clock (the PostgreSQL store checks it in
 * the same transaction). Absent for a lone instance.
 */
export interface Fence {
  instanceId: string;
  projectCode: string;
  epoch: number;
}

/** Where numbers come from: the task-number store. */
export interface NumberSource {
  /** With a fence the numbers record its epoch, and none are handed out once the lease is not current. */
  dispense(
    taskId: number,
    n: number,
    now: number,
    screen?: Screen,
    fence?: Fence,
  ): Promise<DispensedNumber[]>;
  /** The task's retry rules give a settled number another attempt at `at` (issue 14.8). */
  retryLater(id: number, at: number, now: number): Promise<boolean>;
  /** Agent-first: the agent did not take the call; back to pending, or settled as 32 at the cap (issue 14.3). */
  agentMissed(
    id: number,
    cap: number,
    log: { callUuid: string; agent: string; cause: string; projectId: number; callTaskCode: string },
    now: number,
  ): Promise<'pending' | 'settled'>;
  settle(id: number, outcome: { callUuid: string; resultDetail: number }, now: number): Promise<void>;
  /**
   * Records the call's uuid on the number before it is originated, so a restart can ask FreeSWITCH about it. False:
   * the fence's lease is not current any more (or the number is no longer 'dialing'): the call must not be made.
   */
  markCall(id: number, callUuid: string, now: number, fence?: Fence): Promise<boolean>;
  /** 'dialing' numbers with no call recorded (never originated) go back to pending; how many did. */
  releaseUnoriginated(ids: number[], now: number): Promise<number>;
  /** An agent-first number whose agent never rang goes back to pending. */
  giveBack(id: number, now: number): Promise<void>;
}
