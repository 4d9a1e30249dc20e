// The outcomes of finished customer legs, stored together (SQLite): one transaction per batch (the runner queues
// them for a turn of the event loop, calls/outcomes.ts). For each: the task and project behind the leg's codes, its
// gateway, the call log the CDR may have written first, then the call log written and the dialled number settled.
// What the log says is composed by the caller from what was read (`compose`, pure), so billing stays in the calls
// area and a networked store can read, compose and write inside one transaction the same way.
import { eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { taskNumbers } from '../schema.js';
import { callLogsRepo, type CallLog, type CallLogFields } from './call-logs.js';
import { gatewaysRepo, type Gateway } from './gateways.js';

interface OutcomeRead {
  taskId: number | null;
  projectId: number | null;
  gateway: Gateway | undefined;
  /** The call log as the CDR left it, when FreeSWITCH's CDR came first (its measurements win). */
  measured: CallLog | undefined;
}

export interface CallOutcome {
  callId: string;
  taskCode: string | null;
  projectCode: string | null;
  gatewayCode: string | null;
  /** The task number dialled, settled with the result. */
  numberId: number | null;
  resultDetail: number;
  compose(read: OutcomeRead): CallLogFields;
}

export function callOutcomesRepo(db: Db) {
  const logs = callLogsRepo(db);
  const gateways = gatewaysRepo(db);
  return {
    /**
     * Stores the batch in one transaction. One bad outcome does not undo the others: each is written in a savepoint
     * of its own, and the ones that failed are returned (with why).
     */
    store(outcomes: CallOutcome[], now: number): { callId: string; err: unknown }[] {
      const failed: { callId: string; err: unknown }[] = [];
      const storeOne = (o: CallOutcome) => {
        const { taskId, projectId } = logs.resolveCodes({ taskCode: o.taskCode, projectCode: o.projectCode });
        const gateway = o.gatewayCode ? gateways.byCode(o.gatewayCode) : undefined;
        const existing = logs.get(o.callId);
        const measured = existing?.cdrReceived ? existing : undefined;
        logs.upsert(o.callId, o.compose({ taskId, projectId, gateway, measured }), now);
        if (o.numberId !== null)
          db.update(taskNumbers)
            .set({ state: 'done', resultDetail: o.resultDetail, callUuid: o.callId, updatedAt: now })
            .where(eq(taskNumbers.id, o.numberId))
            .run();
      };
      db.transaction((tx) => {
        for (const o of outcomes) {
          try {
            tx.transaction(() => storeOne(o));
          } catch (err) {
            failed.push({ callId: o.callId, err });
          }
        }
      });
      return failed;
    },
  };
}
