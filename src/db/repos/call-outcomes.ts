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
  KeptFacts,
  notMeasured,
  numbersSlots,
  numbersValues,
  planBatch,
  rowArgs,
  rowParams,
  settledNumbers,
  type CallOutcome,
  type OutcomeFacts,
  type OutcomeGroup,
} from './outcome-batch.js';
import { boundStatement, namedArgs } from './bound-statement.js';
import { preparedOnce } from './prepared.js';
import { transactionOf } from './transaction.js';

export type { CallOutcome } from './outcome-batch.js';

export function callOutcomesRepo(db: Db) {
  const transaction = transactionOf(db);
  const logs = callLogsRepo(db);
  const gateways = gatewaysRepo(db);
  const codes = new KeptFacts<{ taskId: number | null; projectId: number | null }>();
  const gatewaysByCode = new KeptFacts<Gateway | undefined>();
  const factsOf = (o: CallOutcome, now: number): OutcomeFacts => {
    const key = codesKey(o);
    const ids =
      codes.get(key, now)?.value ??
      codes.set(key, logs.resolveCodes({ taskCode: o.taskCode, projectCode: o.projectCode }), now);
    const code = o.gatewayCode;
    const gateway = code
      ? (gatewaysByCode.get(code, now) ?? { value: gatewaysByCode.set(code, gateways.byCode(code), now) })
          .value
      : undefined;
    return { taskId: ids.taskId, projectId: ids.projectId, gateway };
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
  // Prepared once per shape (prepared.ts), run on better-sqlite3 with their values bound by position
  // (bound-statement.ts): every batch of the same columns and size runs the same statements.
  const upserts = new Map<string, ReturnType<typeof prepareUpsert>>();
  const settles = new Map<string, ReturnType<typeof prepareSettle>>();
  function prepareUpsert(group: OutcomeGroup) {
    const { statement, params } = boundStatement(
      db,
      db
        .insert(callLogs)
        .values(insertSlots(group))
        .onConflictDoUpdate({
          target: callLogs.callUuid,
          set: conflictSet(callLogs, group),
          setWhere: notMeasured(callLogs.cdrReceived),
        })
        .returning({ callUuid: callLogs.callUuid }),
    );
    // RETURNING has the one column: its values, not a row object each.
    return { statement: statement.pluck(), params: rowParams(params) };
  }
  function prepareSettle(count: number) {
    const { set, ids } = numbersSlots(taskNumbers.id, count);
    return boundStatement(db, db.update(taskNumbers).set(set).where(inArray(taskNumbers.id, ids)));
  }
  /** A group in two statements: the call logs (rows the CDR wrote left alone), then the numbers of those written. */
  const storeGroup = (group: OutcomeGroup, now: number, written: Set<string>): void => {
    const upsert = preparedOnce(upserts, groupShape(group), () => prepareUpsert(group));
    for (const callId of upsert.statement.all(rowArgs(group, upsert.params, now)) as string[])
      written.add(callId);
    const settled = settledNumbers(group, written);
    if (settled.length) {
      const settle = preparedOnce(settles, String(settled.length), () => prepareSettle(settled.length));
      settle.statement.run(namedArgs(settle.params, numbersValues(settled, now)));
    }
  };
  /** Each outcome in a savepoint of its own, in the caller's transaction: the ones that failed, with why. */
  const storeEach = (outcomes: CallOutcome[], now: number) => {
    const failed: { callId: string; err: unknown }[] = [];
    for (const o of outcomes) {
      try {
        transaction(() => storeOne(o, now));
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
        return transaction(() => {
          const written = new Set<string>();
          for (const group of groups) storeGroup(group, now, written);
          const careful = single;
          for (const group of groups)
            for (const { outcome } of group.rows) if (!written.has(outcome.callId)) careful.push(outcome);
          return careful.length ? storeEach(careful, now) : [];
        });
      } catch {
        return transaction(() => storeEach(outcomes, now));
      }
    },
  };
}
