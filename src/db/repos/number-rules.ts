// What both number stores (SQLite db/repos/numbers.ts, PostgreSQL db/pg/dispenser.ts) decide the same way: why a
// number is not dialled, what the call log of a number closed without a call says, and the notes left on rows.
import { randomUUID } from 'node:crypto';
import { Result, ResultDetail } from '../../core/codes.js';
import { dncKey } from '../../core/phone.js';
import type { DialledNumber, DispensedNumber, Screen } from '../../dialer/number-source.js';

const SkipReason = { dncGlobal: 'dnc-global', dncProject: 'dnc-project' } as const;

/** Pending rows read per round while screening (bounded, so a long blocked run cannot stall a tick). */
export const SCAN_BATCH = 200;
export const SCAN_LIMIT = 5000;

/** The note on a number closed by a do-not-call list. */
export const skipNote = (reason: string): string => `not dialled: ${reason}`;

/** Why a number that was being dialled when we stopped was closed (logged by the caller; see report). */
const RECOVERY_NOTE = 'closed at start-up: the call was in flight when the server stopped';

/** What recoverAtStartup did: numbers whose call is still live stay 'dialing'; the rest were closed. */
export interface Recovery {
  kept: DispensedNumber[];
  closed: DispensedNumber[];
}

/** Numbers dispensed for dialling, each with the uuid of the call that will dial it. */
export const withCallIds = (rows: DispensedNumber[]): DialledNumber[] =>
  rows.map((r) => ({ ...r, callId: randomUUID() }));

/** The do-not-call keys of the phones, for the store's `listed` lookup. */
export const dncKeys = (phones: string[]): string[] => phones.map(dncKey);

/** phone → why it must not be dialled (`dnc-global`, `dnc-project`), from the listed rows keyed by dncKey. */
export function blockedReasons(
  phones: string[],
  keys: string[],
  listed: Map<string, { projectCode: string }>,
): Map<string, string> {
  const out = new Map<string, string>();
  phones.forEach((phone, i) => {
    const row = listed.get(keys[i] ?? '');
    if (row) out.set(phone, row.projectCode === '' ? SkipReason.dncGlobal : SkipReason.dncProject);
  });
  return out;
}

/** The call log of a number closed by a do-not-call list (issue 14.6): no call, the reason as skip_reason. */
export const skipLog = (task: Screen['task'], phone: string, reason: string, now: number) => ({
  callUuid: randomUUID(),
  taskId: task.id,
  projectId: task.projectId,
  callTaskCode: task.callTaskCode,
  destinationNumber: phone,
  startTimestamp: now,
  endTimestamp: now,
  duration: 0,
  billsec: 0,
  skipReason: reason,
  addTime: now,
  updateTime: now,
});

export interface AgentMissLog {
  callUuid: string;
  agent: string;
  cause: string;
  projectId: number;
  callTaskCode: string;
}

/** Agent-first at the cap (issue 14.3): the number's row and its call log say no agent took the call (32). */
export function agentMissSettle(
  row: { taskId: number; phone: string },
  misses: number,
  log: AgentMissLog,
  now: number,
) {
  const outcome = {
    taskId: row.taskId,
    projectId: log.projectId,
    callTaskCode: log.callTaskCode,
    callerIdNumber: log.agent,
    destinationNumber: row.phone,
    result: Result.missed,
    resultDetail: ResultDetail.agentNoAnswer,
  };
  return {
    number: {
      state: 'done' as const,
      agentMisses: misses,
      resultDetail: ResultDetail.agentNoAnswer,
      callUuid: log.callUuid,
      note: `no agent took the call in ${misses} attempts`,
      updatedAt: now,
    },
    log: {
      ...outcome,
      callUuid: log.callUuid,
      startTimestamp: now,
      endTimestamp: now,
      duration: 0,
      billsec: 0,
      hangupCause: log.cause,
      addTime: now,
      updateTime: now,
    },
    /** What a CDR of the agent's leg that created the row first gets overwritten with: the outcome is ours. */
    conflictSet: { ...outcome, updateTime: now },
  };
}

/** Closing a number left 'dialing' by a stopped server (never back to pending: it may have rung). */
export const recoveredNumber = (now: number) => ({
  state: 'done' as const,
  resultDetail: ResultDetail.notConnected,
  note: RECOVERY_NOTE,
  updatedAt: now,
});
