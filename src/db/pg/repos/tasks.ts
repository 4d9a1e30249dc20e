// Tasks, their gateways and the numbers each task dials, as src/db/repos/tasks.ts. Loading numbers ignores a phone
// the task already has (unique task+phone), so a task never holds, and so never dials, one number twice.
import { and, asc, count, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import { BULK_CHUNK, insertTaskNumbers } from '../bulk.js';
import { changed, first, one, type PgExecutor, transaction } from '../rows.js';
import { callLogs, gateways, taskGateways, taskNumbers, tasks } from '../schema.js';
import { TaskStatus } from '../../../core/codes.js';
import { pgCallListsRepo } from './call-lists.js';
import { preparedOnce } from '../../repos/prepared.js';
import { lastResultIn, toTaskCounts, type TaskCounts } from '../../repos/tasks.js';

type Task = typeof tasks.$inferSelect;
type NewTask = Omit<typeof tasks.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;
type NumberState = (typeof taskNumbers.$inferSelect)['state'];

/** The call log is the last one of its number in its task (recall looks at a number's last result only). */
const lastOfNumber = sql`${callLogs.id} = (select max(c2.id) from call_logs c2 where c2.task_id = ${callLogs.taskId} and c2.destination_number = ${callLogs.destinationNumber})`;

function pgTaskRows(db: PgExecutor) {
  const countOf = async (q: Promise<{ n: number }[]>): Promise<number> => first(await q)?.n ?? 0;
  const byStatuses = new Map<string, ReturnType<typeof prepareInStates>>();
  function prepareInStates(count: number, expiring: boolean) {
    const slots = Array.from({ length: count }, (_, k) => sql.placeholder(`s${k}`));
    const expired = expiring ? lte(tasks.expiredTime, sql.placeholder('by')) : undefined;
    return db
      .select()
      .from(tasks)
      .where(and(inArray(tasks.status, slots), expired))
      .prepare(`cc_tasks_in_states_${count}${expiring ? '_expired' : ''}`);
  }
  return {
    byCode: async (callTaskCode: string): Promise<Task | undefined> =>
      first(await db.select().from(tasks).where(eq(tasks.callTaskCode, callTaskCode))),
    get: async (id: number): Promise<Task | undefined> =>
      first(await db.select().from(tasks).where(eq(tasks.id, id))),
    insert: async (row: NewTask, now: number): Promise<Task> =>
      one(
        await db
          .insert(tasks)
          .values({ ...row, createdAt: now, updatedAt: now })
          .returning(),
      ),
    update: async (id: number, fields: Partial<NewTask>, now: number): Promise<Task> =>
      one(
        await db
          .update(tasks)
          .set({ ...fields, updatedAt: now })
          .where(eq(tasks.id, id))
          .returning(),
      ),
    /** Replaces the task's gateways, in one transaction (a reader never sees the task without any). */
    setGateways: (taskId: number, gws: { gatewayId: number; concurrency: number }[]): Promise<void> =>
      transaction(db, async (tx) => {
        await tx.delete(taskGateways).where(eq(taskGateways.taskId, taskId));
        if (gws.length) await tx.insert(taskGateways).values(gws.map((g) => ({ taskId, ...g })));
      }),
    gatewaysOf: (taskId: number): Promise<{ code: string; concurrency: number }[]> =>
      db
        .select({ code: gateways.gwCode, concurrency: taskGateways.concurrency })
        .from(taskGateways)
        .innerJoin(gateways, eq(gateways.id, taskGateways.gatewayId))
        .where(eq(taskGateways.taskId, taskId))
        .orderBy(gateways.id),
    /** Adds pending numbers in one transaction; phones the task already has are skipped. Returns how many were added. */
    addNumbers: (taskId: number, phones: string[], now: number): Promise<number> =>
      transaction(db, async (tx) => {
        let added = 0;
        for (let i = 0; i < phones.length; i += BULK_CHUNK)
          added += await insertTaskNumbers(tx, taskId, phones.slice(i, i + BULK_CHUNK), now);
        return added;
      }),
    /** Pending numbers become done without a call (an ended task never dials them). */
    closePending: async (taskId: number, now: number): Promise<number> =>
      changed(
        await db
          .update(taskNumbers)
          .set({ state: 'done', updatedAt: now })
          .where(and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.state, 'pending'))),
      ),
    async countsByState(taskId: number): Promise<Record<NumberState, number>> {
      const out: Record<NumberState, number> = { pending: 0, preview: 0, dialing: 0, done: 0 };
      const rows = await db
        .select({ state: taskNumbers.state, n: count() })
        .from(taskNumbers)
        .where(eq(taskNumbers.taskId, taskId))
        .groupBy(taskNumbers.state);
      for (const r of rows) out[r.state] = r.n;
      return out;
    },
    /** Numbers whose attempt is over with a result (closed-unasked numbers of an ended task have none). */
    dialledCount: (taskId: number): Promise<number> =>
      countOf(
        db
          .select({ n: count() })
          .from(taskNumbers)
          .where(
            and(
              eq(taskNumbers.taskId, taskId),
              eq(taskNumbers.state, 'done'),
              sql`${taskNumbers.resultDetail} is not null`,
            ),
          ),
      ),
    /**
     * Recall selection: the phones of `taskId` whose last result there is in `details` (the newest call log of the
     * phone in the task, else the result stored on its task_numbers row).
     */
    async phonesWithLastResult(taskId: number, details: number[]): Promise<string[]> {
      const fromLogs = await db
        .select({ phone: callLogs.destinationNumber, detail: callLogs.resultDetail })
        .from(callLogs)
        .where(and(eq(callLogs.taskId, taskId), lastOfNumber));
      const rows = await db
        .select({ phone: taskNumbers.phone, detail: taskNumbers.resultDetail })
        .from(taskNumbers)
        .where(eq(taskNumbers.taskId, taskId))
        .orderBy(taskNumbers.id);
      return lastResultIn(fromLogs, rows, details);
    },
    /** Phones among `phones` that some call of the project's tasks reached with success (result 10). */
    async succeededInProject(projectId: number, phones: string[]): Promise<Set<string>> {
      if (phones.length === 0) return new Set();
      const rows = await db
        .selectDistinct({ phone: callLogs.destinationNumber })
        .from(callLogs)
        .innerJoin(tasks, eq(tasks.id, callLogs.taskId))
        .where(and(eq(tasks.projectId, projectId), eq(callLogs.result, 10)));
      const wanted = new Set(phones);
      return new Set(rows.map((r) => r.phone).filter((p) => wanted.has(p)));
    },
    /**
     * spec 一.13: the task's calls after call-log id `afterId` that are the last call of their number in the task
     * and ended with one of `details`; oldest first, so the last item's id is the next recallLastId.
     */
    async recallPage(
      taskId: number,
      details: number[],
      afterId: number,
      offset: number,
      limit: number,
    ): Promise<{ total: number; items: { id: number; destinationNumber: string }[] }> {
      if (details.length === 0) return { total: 0, items: [] };
      const where = and(
        eq(callLogs.taskId, taskId),
        inArray(callLogs.resultDetail, details),
        gt(callLogs.id, afterId),
        lastOfNumber,
      );
      const total = await countOf(db.select({ n: count() }).from(callLogs).where(where));
      const items = await db
        .select({ id: callLogs.id, destinationNumber: callLogs.destinationNumber })
        .from(callLogs)
        .where(where)
        .orderBy(asc(callLogs.id))
        .limit(limit)
        .offset(offset);
      return { total, items };
    },
    /** Numbers closed without a call by a do-not-call list (issue 14.6). */
    skippedCount: (taskId: number): Promise<number> =>
      countOf(
        db
          .select({ n: count() })
          .from(callLogs)
          .where(and(eq(callLogs.taskId, taskId), sql`${callLogs.skipReason} is not null`)),
      ),
    /** Numbers waiting for a retry their task's rules gave them (issue 14.8). */
    retryPendingCount: (taskId: number): Promise<number> =>
      countOf(
        db
          .select({ n: count() })
          .from(taskNumbers)
          .where(
            and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.state, 'pending'), gt(taskNumbers.retries, 0)),
          ),
      ),
    /**
     * Every tick asks (the tasks' expiry, with `expiredBy`: only those whose expiredTime is not after it): a named
     * statement prepared per number of statuses.
     */
    inStates: async (statuses: number[], expiredBy?: number): Promise<Task[]> =>
      statuses.length === 0
        ? []
        : preparedOnce(byStatuses, `${statuses.length}/${expiredBy !== undefined}`, () =>
            prepareInStates(statuses.length, expiredBy !== undefined),
          ).execute({ ...Object.fromEntries(statuses.map((s, k) => [`s${k}`, s])), by: expiredBy }),
  };
}

export function pgTasksRepo(db: PgExecutor) {
  const base = pgTaskRows(db);
  /** The same steps inside the caller's transaction (each atomic unit below is one transaction). */
  const within = <T>(fn: (rows: ReturnType<typeof pgTaskRows>, tx: PgExecutor) => Promise<T>): Promise<T> =>
    transaction(db, (tx) => fn(pgTaskRows(tx), tx));
  return {
    ...base,
    /** A new task with its gateways and its numbers (its call list's, or a recall's), in one transaction. */
    create: (
      row: NewTask,
      gws: { gatewayId: number; concurrency: number }[],
      source:
        | { kind: 'list'; callListId: number }
        | { kind: 'recall'; originalTaskId: number; details: number[] }
        | { kind: 'none' },
      now: number,
    ): Promise<Task> =>
      within(async (b, tx) => {
        const t = await b.insert(row, now);
        await b.setGateways(t.id, gws);
        if (source.kind === 'list') {
          const rows = await pgCallListsRepo(tx).numbersAfter(source.callListId, 0);
          await b.addNumbers(
            t.id,
            rows.map((r) => r.phone),
            now,
          );
          return b.update(t.id, { lastNumberId: rows.at(-1)?.id ?? 0 }, now);
        }
        if (source.kind === 'recall') {
          const phones = await b.phonesWithLastResult(source.originalTaskId, source.details);
          const succeeded = await b.succeededInProject(row.projectId, phones);
          await b.addNumbers(
            t.id,
            phones.filter((p) => !succeeded.has(p)),
            now,
          );
        }
        return t;
      }),
    /** Ends the task and closes its pending numbers, in one transaction. */
    end: (taskId: number, now: number): Promise<Task> =>
      within(async (b) => {
        await b.closePending(taskId, now);
        return b.update(taskId, { status: TaskStatus.ended, endedAt: now }, now);
      }),
    /** New gateway shares and rate (and pacing) for the task, in one transaction. */
    setConcurrency: (
      taskId: number,
      gws: { gatewayId: number; concurrency: number }[],
      fields: Partial<NewTask>,
      now: number,
    ): Promise<Task> =>
      within(async (b) => {
        await b.setGateways(taskId, gws);
        return b.update(taskId, fields, now);
      }),
    /**
     * spec 一.14: the list's numbers after `afterId` join the task, in one transaction; the task's row is locked
     * first, so two appends to one task move lastNumberId one after the other.
     */
    appendFromList: (
      taskId: number,
      callListId: number,
      afterId: number,
      now: number,
    ): Promise<{ added: number; lastId: number; task: Task }> =>
      within(async (b, tx) => {
        const task = first(await tx.select().from(tasks).where(eq(tasks.id, taskId)).for('update'));
        const rows = await pgCallListsRepo(tx).numbersAfter(callListId, afterId);
        const added = await b.addNumbers(
          taskId,
          rows.map((r) => r.phone),
          now,
        );
        const lastId = Math.max(task?.lastNumberId ?? 0, rows.at(-1)?.id ?? 0);
        return { added, lastId, task: await b.update(taskId, { lastNumberId: lastId }, now) };
      }),
    /** The task's results (spec 一.8 counts) and its numbers in all, read in one snapshot. */
    resultCounts: (task: Pick<Task, 'id'>): Promise<TaskCounts> =>
      within(async (_b, tx) => {
        const r = first(
          await tx
            .select({
              success: sql<string>`sum(case when ${callLogs.result} = 10 then 1 else 0 end)`,
              fail: sql<string>`sum(case when ${callLogs.result} = 20 then 1 else 0 end)`,
              miss: sql<string>`sum(case when ${callLogs.result} = 30 then 1 else 0 end)`,
              reject: sql<string>`sum(case when ${callLogs.resultDetail} = 10 then 1 else 0 end)`,
              // Answering machines (issue 23, resultDetail 60 and 61): counted within failCount, and on their own.
              machine: sql<string>`sum(case when ${callLogs.resultDetail} in (60, 61) then 1 else 0 end)`,
            })
            .from(callLogs)
            .where(eq(callLogs.taskId, task.id)),
        );
        const total = first(
          await tx.select({ n: count() }).from(taskNumbers).where(eq(taskNumbers.taskId, task.id)),
        );
        return toTaskCounts(r, total?.n ?? 0);
      }),
  };
}
