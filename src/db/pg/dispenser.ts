// Number dispensing on PostgreSQL: the counterpart of src/db/repos/numbers.ts (numberStore), the same methods returning
// Promises. SQLite serialises writers, so there a transaction alone keeps two dispensers apart; PostgreSQL runs them
// side by side, so every hand-out reads its pending rows with SELECT … FOR UPDATE SKIP LOCKED: a row another
// dispenser (another tick, another agent, another server) is taking is locked, and is skipped rather than waited
// for, so two dispensers never take the same number and never queue behind each other.
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { TaskStatus } from '../../core/codes.js';
import type { DispensedNumber, Fence, Screen } from '../../dialer/number-source.js';
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
} from '../repos/number-rules.js';
import { leaseIsCurrent } from './leases.js';
import { pgDncRepo } from './repos/dnc.js';
import type { PgDb } from './open.js';
import { changed, first, type PgTx } from './rows.js';
import { callLogs, projects, taskNumbers, tasks } from './schema.js';

/**
 * Pending rows of the task after `after`, as a range of the (task_id, state, id) index. Written as a row comparison
 * because the planner otherwise walks the primary key from the task's first number, filtering out every number
 * already dialled: its statistics cannot see that those all sit at the low ids (a batch cost 10 ms half-way through a
 * 100,000-number task, against well under 1 ms on the index range).
 */
const pendingAfter = (taskId: number, after: number) =>
  sql`(${taskNumbers.taskId}, ${taskNumbers.state}, ${taskNumbers.id}) > (${taskId}, 'pending', ${after})`;

/** A number closed by a do-not-call list, with the call log that says why (issue 14.6). */
async function closeBlocked(
  tx: PgTx,
  row: { id: number; phone: string },
  reason: string,
  task: Screen['task'],
  now: number,
) {
  await tx
    .update(taskNumbers)
    .set({ state: 'done', note: skipNote(reason), retryAt: null, updatedAt: now })
    .where(eq(taskNumbers.id, row.id));
  await tx.insert(callLogs).values(skipLog(task, row.phone, reason, now));
}

/** phone → why it must not be dialled, read in the dispensing transaction (a list change commits before or after). */
async function blocked(tx: PgTx, projectCode: string | null, phones: string[]): Promise<Map<string, string>> {
  const keys = dncKeys(phones);
  return blockedReasons(phones, keys, await pgDncRepo(tx).listed(projectCode, keys));
}

/**
 * Moves up to n due pending numbers of the task to `state` in one transaction and returns them, oldest first (as
 * numbers.ts's take). Only the rows taken (and those closed) are locked, FOR UPDATE SKIP LOCKED, so dispensers side
 * by side never take one number twice and never hold back from each other more than they take.
 */
function take(
  db: PgDb,
  taskId: number,
  n: number,
  target: { state: 'dialing' | 'preview'; assignedTo: string | null },
  now: number,
  screen?: Screen,
  fence?: Fence,
): Promise<DispensedNumber[]> {
  if (n <= 0) return Promise.resolve([]);
  return db.transaction(async (tx) => {
    // Fencing (issue 20), in this transaction: the lease row stays locked FOR SHARE until the numbers are taken, so
    // no other instance can take the project in between; a stale owner (paused past its lease) gets nothing.
    if (fence && !(await holds(tx, fence))) return [];
    const due = and(
      eq(taskNumbers.taskId, taskId),
      eq(taskNumbers.state, 'pending'),
      or(isNull(taskNumbers.retryAt), lte(taskNumbers.retryAt, now)),
    );
    const scan = (after: number, limit: number) =>
      tx
        .select({ id: taskNumbers.id, phone: taskNumbers.phone, retries: taskNumbers.retries })
        .from(taskNumbers)
        .where(and(due, pendingAfter(taskId, after)))
        .orderBy(asc(taskNumbers.taskId), asc(taskNumbers.state), asc(taskNumbers.id))
        .limit(limit);
    // Unscreened: the first n due rows another dispenser is not taking, in one statement.
    const picked: DispensedNumber[] = screen ? [] : await scan(0, n).for('update', { skipLocked: true });
    let after = 0;
    for (let scanned = 0; screen && picked.length < n && scanned < SCAN_LIMIT;) {
      // Screened: read a batch unlocked, decide, then lock what is taken or closed (a row another dispenser holds
      // is skipped; the next round reads on from the last row decided on).
      const rows = await scan(after, SCAN_BATCH);
      if (rows.length === 0) break;
      scanned += rows.length;
      const listed = await blocked(
        tx,
        screen.projectCode,
        rows.map((r) => r.phone),
      );
      const wanted: { row: DispensedNumber; reason?: string }[] = [];
      let room = n - picked.length;
      for (const r of rows) {
        if (room === 0) break;
        after = r.id;
        const reason = listed.get(r.phone);
        if (reason !== undefined) wanted.push({ row: r, reason });
        else if (!screen.callableNow || screen.callableNow(r.phone)) {
          wanted.push({ row: r });
          room--;
        }
      }
      const mine = await lockPending(
        tx,
        wanted.map((w) => w.row.id),
      );
      for (const w of wanted) {
        if (!mine.has(w.row.id)) continue;
        if (w.reason !== undefined) await closeBlocked(tx, w.row, w.reason, screen.task, now);
        else picked.push(w.row);
      }
    }
    if (picked.length)
      await tx
        .update(taskNumbers)
        .set({ ...target, retryAt: null, epoch: fence?.epoch ?? 0, updatedAt: now })
        .where(
          and(
            eq(taskNumbers.state, 'pending'),
            inArray(
              taskNumbers.id,
              picked.map((r) => r.id),
            ),
          ),
        );
    return picked;
  });
}

/** Whether the fence's lease is current (and now locked against a take until the transaction ends). */
async function holds(tx: PgTx, fence: Fence): Promise<boolean> {
  const r = await tx.execute<{ ok: boolean }>(sql`SELECT ${leaseIsCurrent(fence)} AS ok`);
  return r.rows[0]?.ok === true;
}

/** Of these rows, the ones still pending that no other transaction holds, now locked by this one. */
async function lockPending(tx: PgTx, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await tx
    .select({ id: taskNumbers.id })
    .from(taskNumbers)
    .where(and(inArray(taskNumbers.id, ids), eq(taskNumbers.state, 'pending')))
    .for('update', { skipLocked: true });
  return new Set(rows.map((r) => r.id));
}

export function pgNumberStore(db: PgDb) {
  /** One number's row, locked for the rest of the transaction (a settle and a retry must not interleave). */
  const lockedRow = async (tx: PgTx, id: number) =>
    first(await tx.select().from(taskNumbers).where(eq(taskNumbers.id, id)).for('update'));
  return {
    /** The task has a pending number that is due now (a retry's time has come, or none was set). */
    hasDue: async (taskId: number, now: number): Promise<boolean> =>
      first(
        await db
          .select({ id: taskNumbers.id })
          .from(taskNumbers)
          .where(
            and(
              eq(taskNumbers.taskId, taskId),
              eq(taskNumbers.state, 'pending'),
              or(isNull(taskNumbers.retryAt), lte(taskNumbers.retryAt, now)),
            ),
          )
          .limit(1),
      ) !== undefined,

    /** The dialer's batch: pending → dialing. */
    /** The dialer's batch: pending → dialing, under the fence's epoch; nothing once its lease is not current. */
    dispenseNumbers: (
      taskId: number,
      n: number,
      now: number,
      screen?: Screen,
      fence?: Fence,
    ): Promise<DispensedNumber[]> =>
      take(db, taskId, n, { state: 'dialing', assignedTo: null }, now, screen, fence),

    /** Preview (spec 一.23): pending → preview, held by one agent. */
    reservePreview: (
      taskId: number,
      n: number,
      username: string,
      now: number,
      screen?: Screen,
    ): Promise<DispensedNumber[]> =>
      take(db, taskId, n, { state: 'preview', assignedTo: username }, now, screen),

    /** An agent-first number whose agent never rang goes back to pending (it was not dialled). */
    async giveBack(id: number, now: number): Promise<void> {
      await db.update(taskNumbers).set({ state: 'pending', updatedAt: now }).where(eq(taskNumbers.id, id));
    },

    /** Records the call's uuid on a dialing number, so a restart can ask FreeSWITCH whether it is still live. */
    async markCall(id: number, callUuid: string, now: number, fence?: Fence): Promise<boolean> {
      // Fenced: a stale owner's call is refused before FreeSWITCH hears of it, and a take waits for this statement
      // (FOR SHARE), so the new owner's recovery sees the uuid if the call may have been made.
      const current = fence
        ? and(eq(taskNumbers.state, 'dialing'), eq(taskNumbers.epoch, fence.epoch), leaseIsCurrent(fence))
        : undefined;
      const r = await db
        .update(taskNumbers)
        .set({ callUuid, updatedAt: now })
        .where(and(eq(taskNumbers.id, id), current));
      return !fence || changed(r) > 0;
    },

    /** Numbers 'dialing' for the project under an epoch older than `below` (left by its previous owner). */
    dialingInProject: (
      projectCode: string,
      below: number,
    ): Promise<{ id: number; callUuid: string | null }[]> =>
      db
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
        ),

    /** Of these 'dialing' numbers, those with no call recorded were never originated: back to pending. */
    async releaseUnoriginated(ids: number[], now: number): Promise<number> {
      if (ids.length === 0) return 0;
      return changed(
        await db
          .update(taskNumbers)
          .set({ state: 'pending', updatedAt: now })
          .where(
            and(inArray(taskNumbers.id, ids), eq(taskNumbers.state, 'dialing'), isNull(taskNumbers.callUuid)),
          ),
      );
    },

    /** The number's attempt is over (dialing or preview → done). */
    async settleNumber(
      id: number,
      outcome: { callUuid: string; resultDetail: number },
      now: number,
    ): Promise<void> {
      await db
        .update(taskNumbers)
        .set({
          state: 'done',
          callUuid: outcome.callUuid || null,
          resultDetail: outcome.resultDetail,
          updatedAt: now,
        })
        .where(eq(taskNumbers.id, id));
    },

    /** The numbers being dialled (id and call uuid), e.g. those a previous run left at start-up. */
    dialing: (): Promise<{ id: number; callUuid: string | null }[]> =>
      db
        .select({ id: taskNumbers.id, callUuid: taskNumbers.callUuid })
        .from(taskNumbers)
        .where(eq(taskNumbers.state, 'dialing')),

    /** A call that outlived the process that dialled it ended: its number, if still 'dialing', is done. */
    async settleByCall(callUuid: string, resultDetail: number, now: number): Promise<void> {
      await db
        .update(taskNumbers)
        .set({ state: 'done', resultDetail, updatedAt: now })
        .where(and(eq(taskNumbers.callUuid, callUuid), eq(taskNumbers.state, 'dialing')));
    },

    /** The task's retry rules give a done number another attempt, unless its task has ended (issue 14.8). */
    retryLater: (id: number, at: number, now: number): Promise<boolean> =>
      db.transaction(async (tx) => {
        const row = await lockedRow(tx, id);
        if (!row || row.state !== 'done') return false;
        const task = first(
          await tx.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, row.taskId)),
        );
        if (!task || task.status === TaskStatus.ended) return false;
        await tx
          .update(taskNumbers)
          .set({ state: 'pending', retries: row.retries + 1, retryAt: at, updatedAt: now })
          .where(eq(taskNumbers.id, id));
        return true;
      }),

    /** Agent-first (issue 14.3): below the cap back to pending for another agent, at the cap settled as 32. */
    agentMissed: (id: number, cap: number, log: AgentMissLog, now: number): Promise<'pending' | 'settled'> =>
      db.transaction(async (tx) => {
        const row = await lockedRow(tx, id);
        if (!row || row.state !== 'dialing') return 'settled';
        const misses = row.agentMisses + 1;
        if (misses < cap) {
          await tx
            .update(taskNumbers)
            .set({ state: 'pending', agentMisses: misses, updatedAt: now })
            .where(eq(taskNumbers.id, id));
          return 'pending';
        }
        const settle = agentMissSettle(row, misses, log, now);
        await tx.update(taskNumbers).set(settle.number).where(eq(taskNumbers.id, id));
        await tx
          .insert(callLogs)
          .values(settle.log)
          // A CDR of the agent's leg may have created the row already: the outcome is ours to set.
          .onConflictDoUpdate({ target: callLogs.callUuid, set: settle.conflictSet });
        return 'settled';
      }),

    /** An agent gives back previewed numbers it did not call (all of the task's, or the given phones). */
    async releasePreview(taskId: number, username: string, now: number, phones?: string[]): Promise<number> {
      const conds = [
        eq(taskNumbers.taskId, taskId),
        eq(taskNumbers.state, 'preview'),
        eq(taskNumbers.assignedTo, username),
      ];
      if (phones) conds.push(inArray(taskNumbers.phone, phones));
      return changed(
        await db
          .update(taskNumbers)
          .set({ state: 'pending', assignedTo: null, updatedAt: now })
          .where(and(...conds)),
      );
    },

    /**
     * After a crash, numbers left 'dialing' whose call FreeSWITCH no longer has are closed with resultDetail 5
     * (未接通), never put back to pending (numbers.ts says why); those still live stay for their call's outcome.
     */
    recoverAtStartup: (
      now: number,
      isCallLive: (callUuid: string) => boolean,
      onlyIds?: ReadonlySet<number>,
    ): Promise<Recovery> =>
      db.transaction(async (tx) => {
        const rows = (
          await tx
            .select({ id: taskNumbers.id, phone: taskNumbers.phone, callUuid: taskNumbers.callUuid })
            .from(taskNumbers)
            .where(eq(taskNumbers.state, 'dialing'))
            .orderBy(asc(taskNumbers.id))
            .for('update')
        ).filter((r) => !onlyIds || onlyIds.has(r.id));
        const kept = rows.filter((r) => r.callUuid && isCallLive(r.callUuid));
        const closed = rows.filter((r) => !kept.includes(r));
        if (closed.length)
          await tx
            .update(taskNumbers)
            .set(recoveredNumber(now))
            .where(
              inArray(
                taskNumbers.id,
                closed.map((r) => r.id),
              ),
            );
        const plain = (r: { id: number; phone: string }) => ({ id: r.id, phone: r.phone });
        return { kept: kept.map(plain), closed: closed.map(plain) };
      }),
  };
}
