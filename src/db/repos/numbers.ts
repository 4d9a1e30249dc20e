// Number dispensing for the dialer and for preview agents (SQLite). Every hand-out moves rows out of 'pending' inside one
// SQLite transaction (better-sqlite3 runs it synchronously, and SQLite serialises writers across processes), so a
// task never hands out a number twice: not to two ticks, not to two agents, not after a restart.
import { and, asc, eq, gt, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { callLogs, projects, taskNumbers, tasks } from '../schema.js';
import { TaskStatus } from '../../core/codes.js';
import type { DialledNumber, DispensedNumber, Fence, Screen } from '../../dialer/number-source.js';
import type { Async } from './async.js';
import { dncRepo } from './dnc.js';
import { caseSlots } from './outcome-batch.js';
import { preparedOnce } from './prepared.js';
import { transactionOf } from './transaction.js';
import {
  agentMissSettle,
  blockedReasons,
  dncKeys,
  recoveredNumber,
  SCAN_BATCH,
  SCAN_LIMIT,
  skipLog,
  skipNote,
  type AgentMissLog,
  type Recovery,
  withCallIds,
} from './number-rules.js';

export function numberStore(db: Db) {
  const transaction = transactionOf(db);
  const dnc = dncRepo(db);
  /** phone → why it must not be dialled (`dnc-global`, `dnc-project`), for the phones on a list. */
  function blocked(projectCode: string | null, phones: string[]): Map<string, string> {
    const keys = dncKeys(phones);
    return blockedReasons(phones, keys, dnc.listed(projectCode, keys));
  }

  /**
   * Moves up to n due pending numbers of the task to `state` in one transaction and returns them, oldest first.
   * With a screen, blocked numbers are closed (with their call log) in the same transaction and numbers outside
   * their window are passed over. `mark` gives dialled numbers their call ids, written in the same update.
   */
  function take<T extends DispensedNumber & { callId?: string }>(
    taskId: number,
    n: number,
    state: 'dialing' | 'preview',
    assignedTo: string | null,
    now: number,
    screen: Screen | undefined,
    mark: (rows: DispensedNumber[]) => T[],
    epoch = 0,
  ): T[] {
    if (n <= 0) return [];
    return transaction(() => {
      const picked: DispensedNumber[] = [];
      let after = 0;
      for (let scanned = 0; picked.length < n && scanned < SCAN_LIMIT;) {
        // The first read is of the n wanted, as without a screen: most ticks find none listed and none outside their
        // window, and reading (and looking up) a whole batch each tick for a few numbers was most of the dispensing's
        // cost (issue 21). Only when some were passed over do the further reads take batches.
        const limit = screen && scanned > 0 ? SCAN_BATCH : n - picked.length;
        const rows = pendingAfter.all({ taskId, now, after, limit });
        if (rows.length === 0) break;
        scanned += rows.length;
        after = rows[rows.length - 1]?.id ?? after;
        const listed = screen
          ? blocked(
              screen.projectCode,
              rows.map((r) => r.phone),
            )
          : new Map<string, string>();
        for (const r of rows) {
          const reason = listed.get(r.phone);
          if (reason !== undefined && screen) {
            db.update(taskNumbers)
              .set({ state: 'done', note: skipNote(reason), retryAt: null, updatedAt: now })
              .where(eq(taskNumbers.id, r.id))
              .run();
            db.insert(callLogs)
              .values(skipLog(screen.task, r.phone, reason, now))
              .run();
            continue;
          }
          if (picked.length >= n || (screen?.callableNow && !screen.callableNow(r.phone))) continue;
          picked.push(r);
        }
        if (!screen) break;
      }
      const taken = mark(picked);
      if (taken.length) {
        const withCalls = taken[0]?.callId !== undefined;
        const move = preparedOnce(moves, `${taken.length}/${withCalls}`, () =>
          prepareMove(taken.length, withCalls),
        );
        const values: Record<string, unknown> = { state, assignedTo, epoch, now };
        taken.forEach((r, k) => {
          values[`i${k}`] = r.id;
          if (withCalls) values[`c${k}`] = r.callId;
        });
        move.run(values);
      }
      return taken;
    });
  }

  // The dispensing statements, prepared once (issue 21): a tick dispenses every 100 ms.
  /** The task's (`taskId`) pending numbers due at `now`, and what else `more` asks. */
  const dueOfTask = (...more: SQL[]) =>
    and(
      eq(taskNumbers.taskId, sql.placeholder('taskId')),
      eq(taskNumbers.state, 'pending'),
      or(isNull(taskNumbers.retryAt), lte(taskNumbers.retryAt, sql.placeholder('now'))),
      ...more,
    );
  /** Up to `limit` due pending numbers of the task after id `after`, oldest first. */
  const pendingAfter = db
    .select({ id: taskNumbers.id, phone: taskNumbers.phone, retries: taskNumbers.retries })
    .from(taskNumbers)
    .where(dueOfTask(gt(taskNumbers.id, sql.placeholder('after'))))
    .orderBy(asc(taskNumbers.id))
    .limit(sql.placeholder('limit'))
    .prepare();
  /** `count` picked numbers (ids `i<k>`) still pending move to `state`, each with its call (`c<k>`) if dialled. */
  const moves = new Map<string, ReturnType<typeof prepareMove>>();
  function prepareMove(count: number, withCalls: boolean) {
    const ids = Array.from({ length: count }, (_, k) => sql.placeholder(`i${k}`));
    return db
      .update(taskNumbers)
      .set({
        state: sql`${sql.placeholder('state')}`,
        assignedTo: sql`${sql.placeholder('assignedTo')}`,
        retryAt: null,
        epoch: sql`${sql.placeholder('epoch')}`,
        updatedAt: sql`${sql.placeholder('now')}`,
        callUuid: withCalls ? caseSlots(taskNumbers.id, count, 'c', 'text') : undefined,
      })
      .where(and(eq(taskNumbers.state, 'pending'), inArray(taskNumbers.id, ids)))
      .prepare();
  }

  const due = db.select({ id: taskNumbers.id }).from(taskNumbers).where(dueOfTask()).limit(1).prepare();

  const store = {
    /** The task has a pending number that is due now (a retry's time has come, or none was set). */
    hasDue: (taskId: number, now: number): boolean => due.get({ taskId, now }) !== undefined,

    /**
     * The dialer's batch: pending → dialing, each number with the uuid of the call that will dial it (on its row
     * too, so a restart can ask FreeSWITCH whether that call is still live), under the fence's epoch. SQLite is one
     * process's file, never shared by a cluster (its instances need PostgreSQL), so no other instance can hold the
     * lease: the epoch is only recorded.
     */
    dispenseNumbers: (
      taskId: number,
      n: number,
      now: number,
      screen?: Screen,
      fence?: Fence,
    ): DialledNumber[] => take(taskId, n, 'dialing', null, now, screen, withCallIds, fence?.epoch),

    /** An agent-first number whose agent never rang goes back to pending (it was not dialled, so no call uuid). */
    giveBack(id: number, now: number): void {
      db.update(taskNumbers)
        .set({ state: 'pending', callUuid: null, updatedAt: now })
        .where(eq(taskNumbers.id, id))
        .run();
    },

    /** Numbers 'dialing' for the project under an epoch older than `below` (left by its previous owner). */
    dialingInProject(projectCode: string, below: number): { id: number; callUuid: string | null }[] {
      return db
        .select({ id: taskNumbers.id, callUuid: taskNumbers.callUuid })
        .from(taskNumbers)
        .innerJoin(tasks, eq(tasks.id, taskNumbers.taskId))
        .innerJoin(projects, eq(projects.id, tasks.projectId))
        .where(
          and(
            eq(projects.projectCode, projectCode),
            eq(taskNumbers.state, 'dialing'),
            lt(taskNumbers.epoch, below),
          ),
        )
        .all();
    },

    /** Of these 'dialing' numbers, those with no call recorded were never originated: back to pending. */
    releaseUnoriginated(ids: number[], now: number): number {
      if (ids.length === 0) return 0;
      return db
        .update(taskNumbers)
        .set({ state: 'pending', updatedAt: now })
        .where(
          and(inArray(taskNumbers.id, ids), eq(taskNumbers.state, 'dialing'), isNull(taskNumbers.callUuid)),
        )
        .run().changes;
    },

    /** The number's attempt is over (dialing or preview → done). */
    settleNumber(id: number, outcome: { callUuid: string; resultDetail: number }, now: number): void {
      db.update(taskNumbers)
        .set({
          state: 'done',
          callUuid: outcome.callUuid || null,
          resultDetail: outcome.resultDetail,
          updatedAt: now,
        })
        .where(eq(taskNumbers.id, id))
        .run();
    },

    /** The numbers being dialled (id and call uuid), e.g. those a previous run left at start-up. */
    dialing(): { id: number; callUuid: string | null }[] {
      return db
        .select({ id: taskNumbers.id, callUuid: taskNumbers.callUuid })
        .from(taskNumbers)
        .where(eq(taskNumbers.state, 'dialing'))
        .all();
    },

    /** A call that outlived the process that dialled it ended: its number, if still 'dialing', is done. */
    settleByCall(callUuid: string, resultDetail: number, now: number): void {
      db.update(taskNumbers)
        .set({ state: 'done', resultDetail, updatedAt: now })
        .where(and(eq(taskNumbers.callUuid, callUuid), eq(taskNumbers.state, 'dialing')))
        .run();
    },

    /** Preview (spec 一.23): pending → preview, held by one agent. */
    reservePreview: (
      taskId: number,
      n: number,
      username: string,
      now: number,
      screen?: Screen,
    ): DispensedNumber[] => take(taskId, n, 'preview', username, now, screen, (rows) => rows),

    /**
     * The task's retry rules give the number another attempt (issue 14.8): back to pending, due at `at`. Only a
     * number that is done with the outcome just stored and whose task has not ended: an ended task's numbers stay
     * closed.
     */
    retryLater(id: number, at: number, now: number): boolean {
      return transaction(() => {
        const row = db.select().from(taskNumbers).where(eq(taskNumbers.id, id)).get();
        if (!row || row.state !== 'done') return false;
        const task = db.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, row.taskId)).get();
        if (!task || task.status === TaskStatus.ended) return false;
        db.update(taskNumbers)
          .set({ state: 'pending', retries: row.retries + 1, retryAt: at, updatedAt: now })
          .where(eq(taskNumbers.id, id))
          .run();
        return true;
      });
    },

    /**
     * Agent-first (issue 14.3): the agent never took the call, so the customer was not dialled. Below the cap the
     * number goes back to pending for another agent; at the cap it is settled as agent no answer (32) with a call
     * log. Returns which.
     */
    agentMissed(id: number, cap: number, log: AgentMissLog, now: number): 'pending' | 'settled' {
      return transaction(() => {
        const row = db.select().from(taskNumbers).where(eq(taskNumbers.id, id)).get();
        if (!row || row.state !== 'dialing') return 'settled';
        const misses = row.agentMisses + 1;
        if (misses < cap) {
          db.update(taskNumbers)
            .set({ state: 'pending', agentMisses: misses, updatedAt: now })
            .where(eq(taskNumbers.id, id))
            .run();
          return 'pending';
        }
        const settle = agentMissSettle(row, misses, log, now);
        db.update(taskNumbers).set(settle.number).where(eq(taskNumbers.id, id)).run();
        db.insert(callLogs)
          .values(settle.log)
          // A CDR of the agent's leg may have created the row already: the outcome is ours to set.
          .onConflictDoUpdate({ target: callLogs.callUuid, set: settle.conflictSet })
          .run();
        return 'settled';
      });
    },

    /**
     * An agent gives back previewed numbers it did not call (all of its numbers of the task, or the given phones):
     * they were never dialled, so they may go back to pending. Returns how many went back.
     */
    releasePreview(taskId: number, username: string, now: number, phones?: string[]): number {
      const conds = [
        eq(taskNumbers.taskId, taskId),
        eq(taskNumbers.state, 'preview'),
        eq(taskNumbers.assignedTo, username),
      ];
      if (phones) conds.push(inArray(taskNumbers.phone, phones));
      return db
        .update(taskNumbers)
        .set({ state: 'pending', assignedTo: null, updatedAt: now })
        .where(and(...conds))
        .run().changes;
    },

    /**
     * After a crash, numbers left 'dialing' are settled: those whose call FreeSWITCH still has stay (the call's
     * outcome will settle them); the others are closed with resultDetail 5 (未接通). Never back to pending: the
     * customer may have been rung, and dialling them again unasked is worse than missing one. Preview numbers keep
     * their agent.
     */
    recoverAtStartup(
      now: number,
      isCallLive: (callUuid: string) => boolean,
      onlyIds?: ReadonlySet<number>,
    ): Recovery {
      return transaction(() => {
        const rows = db
          .select({ id: taskNumbers.id, phone: taskNumbers.phone, callUuid: taskNumbers.callUuid })
          .from(taskNumbers)
          .where(eq(taskNumbers.state, 'dialing'))
          .orderBy(asc(taskNumbers.id))
          .all()
          // Numbers this run started dialling meanwhile are the dialer's own, not leftovers.
          .filter((r) => !onlyIds || onlyIds.has(r.id));
        const out: Recovery = { kept: [], closed: [] };
        for (const r of rows) {
          if (r.callUuid && isCallLive(r.callUuid)) {
            out.kept.push({ id: r.id, phone: r.phone });
            continue;
          }
          db.update(taskNumbers).set(recoveredNumber(now)).where(eq(taskNumbers.id, r.id)).run();
          out.closed.push({ id: r.id, phone: r.phone });
        }
        return out;
      });
    },
  };
  return store;
}
export type NumberStore = Async<ReturnType<typeof numberStore>>;
