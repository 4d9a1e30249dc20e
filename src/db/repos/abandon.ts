// What the abandon-rate report counts (SQLite): the project's tasks (or one), and per window the live answers and
// abandons per task of the calls started since the window's start (the dialer's stored verdicts).
import { and, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { callLogs, tasks } from '../schema.js';
import type { Async } from './async.js';

type Task = typeof tasks.$inferSelect;

interface VerdictCounts {
  taskId: number | null;
  live: number;
  abandoned: number;
}

export function abandonRepo(db: Db) {
  function countsSince(projectId: number, since: number, taskIds?: number[]): VerdictCounts[] {
    const conds = [
      eq(callLogs.projectId, projectId),
      isNotNull(callLogs.abandoned),
      gte(callLogs.startTimestamp, since),
    ];
    if (taskIds) conds.push(inArray(callLogs.taskId, taskIds));
    return db
      .select({
        taskId: callLogs.taskId,
        live: sql<number>`count(*)`,
        abandoned: sql<number>`sum(${callLogs.abandoned})`,
      })
      .from(callLogs)
      .where(and(...conds))
      .groupBy(callLogs.taskId)
      .all()
      .map((r) => ({ taskId: r.taskId, live: Number(r.live), abandoned: Number(r.abandoned ?? 0) }));
  }
  return {
    /** The project's tasks (or just `onlyTaskId`), and the counts since each of `since`. */
    read(
      projectId: number,
      since: number[],
      onlyTaskId?: number,
    ): { tasks: Task[]; counts: VerdictCounts[][] } {
      const taskRows = db
        .select()
        .from(tasks)
        .where(onlyTaskId === undefined ? eq(tasks.projectId, projectId) : eq(tasks.id, onlyTaskId))
        .orderBy(tasks.id)
        .all();
      const only = onlyTaskId === undefined ? undefined : [onlyTaskId];
      return { tasks: taskRows, counts: since.map((from) => countsSince(projectId, from, only)) };
    },
  };
}
export type AbandonRepo = Async<ReturnType<typeof abandonRepo>>;
