// Task progress in the contract's shapes: spec 一.8 (callTaskStatus) and 三.14 (/topic/callTaskStatus), and the
// expiry rule (a task whose expiredTime has passed ends).
import { and, count, eq, inArray, lte, sql } from 'drizzle-orm';
import { TaskStatus } from '../core/codes.js';
import type { Publisher } from '../core/ports.js';
import type { Db } from '../db/database.js';
import { callLogs, projects, taskNumbers, tasks } from '../db/schema.js';

type Task = typeof tasks.$inferSelect;

export function taskCounts(db: Db, task: Task) {
  const r = db
    .select({
      success: sql<number>`sum(case when ${callLogs.result} = 10 then 1 else 0 end)`,
      fail: sql<number>`sum(case when ${callLogs.result} = 20 then 1 else 0 end)`,
      miss: sql<number>`sum(case when ${callLogs.result} = 30 then 1 else 0 end)`,
      reject: sql<number>`sum(case when ${callLogs.resultDetail} = 10 then 1 else 0 end)`,
    })
    .from(callLogs)
    .where(eq(callLogs.taskId, task.id))
    .get();
  const total =
    db.select({ n: count() }).from(taskNumbers).where(eq(taskNumbers.taskId, task.id)).get()?.n ?? 0;
  return {
    successCount: Number(r?.success ?? 0),
    failCount: Number(r?.fail ?? 0),
    missCount: Number(r?.miss ?? 0),
    rejectCount: Number(r?.reject ?? 0),
    totalCount: total,
  };
}

/** /topic/callTaskStatus/{projectCode} body (spec 三.14). */
export function callTaskStatusBody(db: Db, task: Task, runningCnt: number) {
  const c = taskCounts(db, task);
  return {
    code: task.callTaskCode,
    totalCnt: c.totalCount,
    failCnt: c.failCount,
    rejectCnt: c.rejectCount,
    missCnt: c.missCount,
    successCnt: c.successCount,
    rate: task.rate,
    status: task.status,
    runningCnt,
  };
}

/** Ends tasks past their expiredTime; numbers not yet dialled are closed so they are never dialled. */
export function expireTasks(db: Db, publisher: Publisher, now: number): number {
  const due = db
    .select({ id: tasks.id, code: tasks.callTaskCode, project: projects.projectCode })
    .from(tasks)
    .innerJoin(projects, eq(projects.id, tasks.projectId))
    .where(
      and(
        inArray(tasks.status, [TaskStatus.init, TaskStatus.running, TaskStatus.paused]),
        lte(tasks.expiredTime, now),
      ),
    )
    .all();
  for (const t of due) {
    db.update(tasks)
      .set({ status: TaskStatus.ended, endedAt: now, updatedAt: now })
      .where(eq(tasks.id, t.id))
      .run();
    db.update(taskNumbers)
      .set({ state: 'done', updatedAt: now })
      .where(and(eq(taskNumbers.taskId, t.id), eq(taskNumbers.state, 'pending')))
      .run();
    publisher.publish(`/topic/task/${t.project}`, { status: TaskStatus.ended, callTaskCode: t.code });
  }
  return due.length;
}
