// Tasks, their gateways and the numbers each task dials (task_numbers). Loading numbers ignores a phone the task
// already has (unique task+phone), so a task never holds, and so never dials, one number twice.
import { and, asc, count, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Async } from './async.js';
import { callListsRepo } from './call-lists.js';
import { preparedOnce } from './prepared.js';
import { TaskStatus } from '../../core/codes.js';
import type { Db } from '../database.js';
import { callLogs, gateways, taskGateways, taskNumbers, tasks } from '../schema.js';

export type Task = typeof tasks.$inferSelect;
type NewTask = Omit<typeof tasks.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;
type NumberState = (typeof taskNumbers.$inferSelect)['state'];

/** Rows per multi-row insert (well under SQLite's bound-variable limit). */
const CHUNK = 500;

export function tasksRepo(db: Db) {
  // Every tick asks for the tasks in some statuses (their expiry): one statement prepared per number of statuses.
  const byStatuses = new Map<string, ReturnType<typeof prepareInStates>>();
  function prepareInStates(count: number, expiring: boolean) {
    const slots = Array.from({ length: count }, (_, k) => sql.placeholder(`s${k}`));
    const expired = expiring ? lte(tasks.expiredTime, sql.placeholder('by')) : undefined;
    return db
      .select()
      .from(tasks)
      .where(and(inArray(tasks.status, slots), expired))
      .prepare();
  }
  const resultSums = db.$client.prepare(
    `SELECT sum(CASE WHEN result = 10 THEN n ELSE 0 END) AS success, sum(CASE WHEN result = 20 THEN n ELSE 0 END) AS fail,
       sum(CASE WHEN result = 30 THEN n ELSE 0 END) AS miss, sum(CASE WHEN result_detail = 10 THEN n ELSE 0 END) AS reject,
       sum(CASE WHEN result_detail IN (60, 61) THEN n ELSE 0 END) AS machine
     FROM task_log_counts WHERE task_id = @taskId`,
  );
  const base = {
    byCode: (callTaskCode: string): Task | undefined =>
      db.select().from(tasks).where(eq(tasks.callTaskCode, callTaskCode)).get(),
    get: (id: number): Task | undefined => db.select().from(tasks).where(eq(tasks.id, id)).get(),
    insert: (row: NewTask, now: number): Task =>
      db
        .insert(tasks)
        .values({ ...row, createdAt: now, updatedAt: now })
        .returning()
        .get(),
    update: (id: number, fields: Partial<NewTask>, now: number): Task =>
      db
        .update(tasks)
        .set({ ...fields, updatedAt: now })
        .where(eq(tasks.id, id))
        .returning()
        .get(),
    setGateways(taskId: number, gws: { gatewayId: number; concurrency: number }[]): void {
      db.delete(taskGateways).where(eq(taskGateways.taskId, taskId)).run();
      for (const g of gws)
        db.insert(taskGateways)
          .values({ taskId, ...g })
          .run();
    },
    gatewaysOf: (taskId: number): { code: string; concurrency: number }[] =>
      db
        .select({ code: gateways.gwCode, concurrency: taskGateways.concurrency })
        .from(taskGateways)
        .innerJoin(gateways, eq(gateways.id, taskGateways.gatewayId))
        .where(eq(taskGateways.taskId, taskId))
        .orderBy(gateways.id)
        .all(),
    /** Adds pending numbers; phones the task already has are skipped. Returns how many were added. */
    addNumbers(taskId: number, phones: string[], now: number): number {
      let added = 0;
      for (let i = 0; i < phones.length; i += CHUNK)
        added += db
          .insert(taskNumbers)
          .values(
            phones
              .slice(i, i + CHUNK)
              .map((phone) => ({ taskId, phone, state: 'pending' as const, updatedAt: now })),
          )
          .onConflictDoNothing()
          .run().changes;
      return added;
    },
    /** Pending numbers become done without a call (an ended task never dials them). */
    closePending: (taskId: number, now: number): number =>
      db
        .update(taskNumbers)
        .set({ state: 'done', updatedAt: now })
        .where(and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.state, 'pending')))
        .run().changes,
    countsByState(taskId: number): Record<NumberState, number> {
      const out: Record<NumberState, number> = { pending: 0, preview: 0, dialing: 0, done: 0 };
      const rows = db
        .select({ state: taskNumbers.state, n: count() })
        .from(taskNumbers)
        .where(eq(taskNumbers.taskId, taskId))
        .groupBy(taskNumbers.state)
        .all();
      for (const r of rows) out[r.state] = r.n;
      return out;
    },
    /** Numbers whose attempt is over with a result (closed-unasked numbers of an ended task have none). */
    dialledCount: (taskId: number): number =>
      db
        .select({ n: count() })
        .from(taskNumbers)
        .where(
          and(
            eq(taskNumbers.taskId, taskId),
            eq(taskNumbers.state, 'done'),
            sql`${taskNumbers.resultDetail} is not null`,
          ),
        )
        .get()?.n ?? 0,
    /**
     * Recall selection: the phones of `taskId` whose last result there is in `details`. The last result is the
     * newest call log of that phone in the task; a number settled without any call log (failed originate,
     * crash recovery) counts with the result stored on its task_numbers row.
     */
    phonesWithLastResult(taskId: number, details: number[]): string[] {
      const fromLogs = db
        .select({ phone: callLogs.destinationNumber, detail: callLogs.resultDetail })
        .from(callLogs)
        .where(
          and(
            eq(callLogs.taskId, taskId),
            sql`${callLogs.id} = (select max(c2.id) from call_logs c2 where c2.task_id = ${callLogs.taskId} and c2.destination_number = ${callLogs.destinationNumber})`,
          ),
        )
        .all();
      const rows = db
        .select({ phone: taskNumbers.phone, detail: taskNumbers.resultDetail })
        .from(taskNumbers)
        .where(eq(taskNumbers.taskId, taskId))
        .orderBy(taskNumbers.id)
        .all();
      return lastResultIn(fromLogs, rows, details);
    },
    /** Phones among `phones` that some call of the project's tasks reached with success (result 10). */
    succeededInProject(projectId: number, phones: string[]): Set<string> {
      if (phones.length === 0) return new Set();
      const rows = db
        .selectDistinct({ phone: callLogs.destinationNumber })
        .from(callLogs)
        .innerJoin(tasks, eq(tasks.id, callLogs.taskId))
        .where(and(eq(tasks.projectId, projectId), eq(callLogs.result, 10)))
        .all();
      const wanted = new Set(phones);
      return new Set(rows.map((r) => r.phone).filter((p) => wanted.has(p)));
    },
    /**
     * spec 一.13: the task's calls after call-log id `afterId` that are the last call of their number in the task
     * and ended with one of `details`; oldest first, so the last item's id is the next recallLastId.
     */
    recallPage(
      taskId: number,
      details: number[],
      afterId: number,
      offset: number,
      limit: number,
    ): { total: number; items: { id: number; destinationNumber: string }[] } {
      const where = and(
        eq(callLogs.taskId, taskId),
        inArray(callLogs.resultDetail, details),
        gt(callLogs.id, afterId),
        sql`${callLogs.id} = (select max(c2.id) from call_logs c2 where c2.task_id = ${callLogs.taskId} and c2.destination_number = ${callLogs.destinationNumber})`,
      );
      const total = db.select({ n: count() }).from(callLogs).where(where).get()?.n ?? 0;
      const items = db
        .select({ id: callLogs.id, destinationNumber: callLogs.destinationNumber })
        .from(callLogs)
        .where(where)
        .orderBy(asc(callLogs.id))
        .limit(limit)
        .offset(offset)
        .all();
      return { total, items };
    },
    /** Numbers closed without a call by a do-not-call list (issue 14.6). */
    skippedCount: (taskId: number): number =>
      db
        .select({ n: count() })
        .from(callLogs)
        .where(and(eq(callLogs.taskId, taskId), sql`${callLogs.skipReason} is not null`))
        .get()?.n ?? 0,
    /** Numbers waiting for a retry their task's rules gave them (issue 14.8). */
    retryPendingCount: (taskId: number): number =>
      db
        .select({ n: count() })
        .from(taskNumbers)
        .where(
          and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.state, 'pending'), gt(taskNumbers.retries, 0)),
        )
        .get()?.n ?? 0,
    /** The tasks in these states; with `expiredBy`, only those whose expiredTime is not after it. */
    inStates: (statuses: number[], expiredBy?: number): Task[] =>
      preparedOnce(byStatuses, `${statuses.length}/${expiredBy !== undefined}`, () =>
        prepareInStates(statuses.length, expiredBy !== undefined),
      ).all({ ...Object.fromEntries(statuses.map((s, k) => [`s${k}`, s])), by: expiredBy }),
  };
  const list = callListsRepo(db);
  return {
    ...base,
    /**
     * A new task with its gateways and its numbers, in one transaction: the numbers of its call list, or for a
     * recall the phones of the original task whose last result is in `details` and that no call of the project
     * reached with success.
     */
    create(
      row: NewTask,
      gws: { gatewayId: number; concurrency: number }[],
      source:
        | { kind: 'list'; callListId: number }
        | { kind: 'recall'; originalTaskId: number; details: number[] }
        | { kind: 'none' },
      now: number,
    ): Task {
      return db.transaction(() => {
        const t = base.insert(row, now);
        base.setGateways(t.id, gws);
        if (source.kind === 'list') {
          const rows = list.numbersAfter(source.callListId, 0);
          base.addNumbers(
            t.id,
            rows.map((r) => r.phone),
            now,
          );
          return base.update(t.id, { lastNumberId: rows.at(-1)?.id ?? 0 }, now);
        }
        if (source.kind === 'recall') {
          const phones = base.phonesWithLastResult(source.originalTaskId, source.details);
          const succeeded = base.succeededInProject(row.projectId, phones);
          base.addNumbers(
            t.id,
            phones.filter((p) => !succeeded.has(p)),
            now,
          );
        }
        return t;
      });
    },
    /** Ends the task and closes its pending numbers, in one transaction. */
    end(taskId: number, now: number): Task {
      return db.transaction(() => {
        base.closePending(taskId, now);
        return base.update(taskId, { status: TaskStatus.ended, endedAt: now }, now);
      });
    },
    /** New gateway shares and rate (and pacing) for the task, in one transaction. */
    setConcurrency(
      taskId: number,
      gws: { gatewayId: number; concurrency: number }[],
      fields: Partial<NewTask>,
      now: number,
    ): Task {
      return db.transaction(() => {
        base.setGateways(taskId, gws);
        return base.update(taskId, fields, now);
      });
    },
    /** spec 一.14: the list's numbers after `afterId` join the task (the ones it lacks); its lastNumberId moves on. */
    appendFromList(
      taskId: number,
      callListId: number,
      afterId: number,
      now: number,
    ): { added: number; lastId: number; task: Task } {
      return db.transaction(() => {
        const task = base.get(taskId);
        const rows = list.numbersAfter(callListId, afterId);
        const added = base.addNumbers(
          taskId,
          rows.map((r) => r.phone),
          now,
        );
        const lastId = Math.max(task?.lastNumberId ?? 0, rows.at(-1)?.id ?? 0);
        return { added, lastId, task: base.update(taskId, { lastNumberId: lastId }, now) };
      });
    },
    /**
     * The task's results (spec 一.8 counts) and its numbers in all. The results come from task_log_counts, which
     * triggers keep in step with call_logs (migration 0007): a scan of the task's logs took ~28 ms per 100,000.
     */
    resultCounts(task: Pick<Task, 'id'>): TaskCounts {
      const r = resultSums.get({ taskId: task.id }) as
        { success: number; fail: number; miss: number; reject: number; machine: number } | undefined;
      const total =
        db.select({ n: count() }).from(taskNumbers).where(eq(taskNumbers.taskId, task.id)).get()?.n ?? 0;
      return toTaskCounts(r, total);
    },
  };
}

/**
 * The phones (in the order of `numbers`) whose last result is in `details`: the newest call log's (`fromLogs`, one
 * per phone), else the result stored on the number's row. Shared by both stores.
 */
export function lastResultIn(
  fromLogs: { phone: string; detail: number | null }[],
  numbers: { phone: string; detail: number | null }[],
  details: number[],
): string[] {
  const last = new Map(fromLogs.map((r) => [r.phone, r.detail]));
  const wanted = new Set(details);
  return numbers
    .filter((r) => {
      const d = last.has(r.phone) ? last.get(r.phone) : r.detail;
      return d !== null && d !== undefined && wanted.has(d);
    })
    .map((r) => r.phone);
}

/** The sums a store read (numbers, or bigint sums as text) as callTaskStatus counts them. */
export function toTaskCounts(
  sums: { success: unknown; fail: unknown; miss: unknown; reject: unknown; machine: unknown } | undefined,
  total: number,
): TaskCounts {
  return {
    successCount: Number(sums?.success ?? 0),
    failCount: Number(sums?.fail ?? 0),
    missCount: Number(sums?.miss ?? 0),
    rejectCount: Number(sums?.reject ?? 0),
    machineCount: Number(sums?.machine ?? 0),
    totalCount: total,
  };
}

/** A task's results as callTaskStatus counts them. */
export interface TaskCounts {
  successCount: number;
  failCount: number;
  missCount: number;
  rejectCount: number;
  /** Answering machines (issue 23), among failCount. */
  machineCount: number;
  totalCount: number;
}
export type TasksRepo = Async<ReturnType<typeof tasksRepo>>;
