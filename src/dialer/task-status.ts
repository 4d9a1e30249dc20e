// Task progress in the contract's shapes: spec 一.8 (callTaskStatus) and 三.14 (/topic/callTaskStatus).
import { count, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/database.js';
import { callLogs, taskNumbers, type tasks } from '../db/schema.js';

type Task = typeof tasks.$inferSelect;

export function taskCounts(db: Db, task: Task) {
  const r = db
    .select({
      success: sql<number>`sum(case when ${callLogs.result} = 10 then 1 else 0 end)`,
      fail: sql<number>`sum(case when ${callLogs.result} = 20 then 1 else 0 end)`,
      miss: sql<number>`sum(case when ${callLogs.result} = 30 then 1 else 0 end)`,
      reject: sql<number>`sum(case when ${callLogs.resultDetail} = 10 then 1 else 0 end)`,
      // Answering machines (issue 23, resultDetail 60 and 61): counted within failCount, and on their own.
      machine: sql<number>`sum(case when ${callLogs.resultDetail} in (60, 61) then 1 else 0 end)`,
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
    machineCount: Number(r?.machine ?? 0),
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
    /** Extension (issue 23): answering machines among failCnt. */
    machineCnt: c.machineCount,
  };
}
