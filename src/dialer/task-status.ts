// Task progress in the contract's shapes: spec 一.8 (callTaskStatus) and 三.14 (/topic/callTaskStatus).
import type { Task, TaskCounts } from '../db/repos/tasks.js';

/** /topic/callTaskStatus/{projectCode} body (spec 三.14). */
export function callTaskStatusBody(task: Task, c: TaskCounts, runningCnt: number) {
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
