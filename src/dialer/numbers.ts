// Number dispensing for the dialer and for preview agents. Every hand-out moves rows out of 'pending' inside one
// SQLite transaction (better-sqlite3 runs it synchronously, and SQLite serialises writers across processes), so a
// task never hands out a number twice: not to two ticks, not to two agents, not after a restart.
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/database.js';
import { taskNumbers } from '../db/schema.js';
import { ResultDetail } from '../core/codes.js';
import type { NumberSource } from './dialer.js';

export interface DispensedNumber {
  id: number;
  phone: string;
}

/** What recoverAtStartup did: numbers whose call is still live stay 'dialing'; the rest were closed. */
export interface Recovery {
  kept: DispensedNumber[];
  closed: DispensedNumber[];
}

/** Why a number that was being dialled when we stopped was closed (logged by the caller; see report). */
export const RECOVERY_NOTE = 'closed at start-up: the call was in flight when the server stopped';

export function numberStore(db: Db) {
  /** Moves up to n pending numbers of the task to `state` in one transaction and returns them, oldest first. */
  function take(
    taskId: number,
    n: number,
    state: 'dialing' | 'preview',
    assignedTo: string | null,
    now: number,
  ): DispensedNumber[] {
    if (n <= 0) return [];
    return db.transaction((tx) => {
      const rows = tx
        .select({ id: taskNumbers.id, phone: taskNumbers.phone })
        .from(taskNumbers)
        .where(and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.state, 'pending')))
        .orderBy(asc(taskNumbers.id))
        .limit(n)
        .all();
      if (rows.length)
        tx.update(taskNumbers)
          .set({ state, assignedTo, updatedAt: now })
          .where(
            and(
              eq(taskNumbers.state, 'pending'),
              inArray(
                taskNumbers.id,
                rows.map((r) => r.id),
              ),
            ),
          )
          .run();
      return rows;
    });
  }

  const store = {
    /** The dialer's batch: pending → dialing. */
    dispenseNumbers: (taskId: number, n: number, now: number): DispensedNumber[] =>
      take(taskId, n, 'dialing', null, now),

    /** Records the call's uuid on a dialing number, so a restart can ask FreeSWITCH whether it is still live. */
    markCall(id: number, callUuid: string, now: number): void {
      db.update(taskNumbers).set({ callUuid, updatedAt: now }).where(eq(taskNumbers.id, id)).run();
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
    reservePreview: (taskId: number, n: number, username: string, now: number): DispensedNumber[] =>
      take(taskId, n, 'preview', username, now),

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
      return db.transaction((tx) => {
        const rows = tx
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
          tx.update(taskNumbers)
            .set({
              state: 'done',
              resultDetail: ResultDetail.notConnected,
              note: RECOVERY_NOTE,
              updatedAt: now,
            })
            .where(eq(taskNumbers.id, r.id))
            .run();
          out.closed.push({ id: r.id, phone: r.phone });
        }
        return out;
      });
    },

    /** The dialer's view (Dialer's NumberSource). */
    asNumberSource(): NumberSource {
      return {
        dispense: (taskId, n, now) => store.dispenseNumbers(taskId, n, now),
        settle: (id, outcome, now) => store.settleNumber(id, outcome, now),
        markCall: (id, callUuid, now) => store.markCall(id, callUuid, now),
      };
    },
  };
  return store;
}
export type NumberStore = ReturnType<typeof numberStore>;
