// The outcomes of finished customer legs, stored together (SQLite): one transaction per batch (the runner queues
// them for a turn of the event loop, calls/outcomes.ts). For each: the task and project behind the leg's codes, its
// gateway (both kept a few seconds, outcome-batch.ts), the call log the CDR may have written first, then the call
// log written and the dialled number settled: for the whole batch in two statements, unless the CDR came first.
// What the log says is composed by the caller from what was read (`compose`, pure), so billing stays in the calls
// area and a networked store can read, compose and write inside one transaction the same way.
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../database.js';
import { callLogs, taskNumbers } from '../schema.js';
import { callLogsRepo } from './call-logs.js';
import { gatewaysRepo, type Gateway } from './gateways.js';
import {
  codesKey,
  conflictSet,
  groupShape,
  insertSlots,
  insertValues,
  KeptFacts,
  notMeasured,
  numbersSlots,
  numbersValues,
  planBatch,
  settledNumbers,
  type CallOutcome,
  type OutcomeFacts,
  type OutcomeGroup,
} from './outcome-batch.js';
import { preparedOnce } from './prepared.js';

export type { CallOutcome } from './outcome-batch.js';

export function callOutcomesRepo(db: Db) {
  const logs = callLogsRepo(db);
  const gateways = gatewaysRepo(db);
  const codes = new KeptFacts<{ taskId: number | null; projectId: number | null }>();
  const gatewaysByCode = new KeptFacts<Gateway | undefined>();
  const factsOf = (o: CallOutcome, now: number): OutcomeFacts => {
    const ids =
      codes.get(codesKey(o), now)?.value ??
      codes.set(codesKey(o), logs.resolveCodes({ taskCode: o.taskCode, projectCode: o.projectCode }), now);
    const code = o.gatewayCode;
    const gateway = code
      ? (gatewaysByCode.get(code, now) ?? { value: gatewaysByCode.set(code, gateways.byCode(code), now) })
          .value
      : undefined;
    return { ...ids, gateway };
  };
  /** The careful way: the row read first, the log composed with what the CDR measured. */
  const storeOne = (o: CallOutcome, now: number) => {
    const existing = logs.get(o.callId);
    const measured = existing?.cdrReceived ? existing : undefined;
    logs.upsert(o.callId, o.compose({ ...factsOf(o, now), measured }), now);
    if (o.numberId !== null)
      db.update(taskNumbers)
        .set({ state: 'done', resultDetail: o.resultDetail, callUuid: o.callId, updatedAt: now })
        .where(eq(taskNumbers.id, o.numberId))
        .run();
  };
  // Prepared once per shape (prepared.ts): every batch of the same columns and size runs the same statements.
  const upserts = new Map<string, ReturnType<typeof prepareUpsert>>();
  const settles = new Map<string, ReturnType<typeof prepareSettle>>();
  function prepareUpsert(group: OutcomeGroup) {
    return db
      .insert(callLogs)
      .values(insertSlots(group))
      .onConflictDoUpdate({
        target: callLogs.callUuid,
        set: conflictSet(callLogs, group),
        setWhere: notMeasured(callLogs.cdrReceived),
      })
      .returning({ callUuid: callLogs.callUuid })
      .prepare();
  }
  function prepareSettle(count: number) {
    const { set, ids } = numbersSlots(taskNumbers.id, count);
    return db.update(taskNumbers).set(set).where(inArray(taskNumbers.id, ids)).prepare();
  }
  /** A group in two statements: the call logs (rows the CDR wrote left alone), then the numbers of those written. */
  const storeGroup = (group: OutcomeGroup, now: number): Set<string> => {
    const upsert = preparedOnce(upserts, groupShape(group), () => prepareUpsert(group));
    const written = new Set(upsert.all(insertValues(group, now)).map((r) => r.callUuid));
    const settled = settledNumbers(group, written);
    if (settled.length)
      preparedOnce(settles, String(settled.length), () => prepareSettle(settled.length)).run(
        numbersValues(settled, now),
      );
    return written;
  };
  /** Each outcome in a savepoint of its own, in the caller's transaction: the ones that failed, with why. */
  const storeEach = (tx: Db, outcomes: CallOutcome[], now: number) => {
    const failed: { callId: string; err: unknown }[] = [];
    for (const o of outcomes) {
      try {
        tx.transaction(() => storeOne(o, now));
      } catch (err) {
        failed.push({ callId: o.callId, err });
      }
    }
    return failed;
  };
  return {
    /**
     * Stores the batch in one transaction: each group of outcomes in two statements, then those the CDR came first
     * for one by one. One bad outcome does not undo the others: when a group's statement fails, the transaction is
     * rolled back and the batch written again one outcome at a time, each in a savepoint of its own; the ones that
     * failed are returned (with why).
     */
    store(outcomes: CallOutcome[], now: number): { callId: string; err: unknown }[] {
      const { groups, single } = planBatch(outcomes, (o) => factsOf(o, now));
      try {
        return db.transaction((tx) => {
          const written = new Set(groups.flatMap((g) => [...storeGroup(g, now)]));
          const left = groups
            .flatMap((g) => g.rows.map((r) => r.outcome))
            .filter((o) => !written.has(o.callId));
          return storeEach(tx, [...single, ...left], now);
        });
      } catch {
        return db.transaction((tx) => storeEach(tx, outcomes, now));
      }
    },
  };
}
