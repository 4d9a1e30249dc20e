// The running inbound tasks of active projects with their enabled gateways (SQLite), read fresh for each inbound
// call (calls/inbound-routing.ts picks the task).
import { and, eq } from 'drizzle-orm';
import { CallType, TaskStatus } from '../../core/codes.js';
import type { InboundCandidate } from '../../calls/inbound-routing.js';
import type { Db } from '../database.js';
import { gateways, projects, taskGateways, tasks } from '../schema.js';

export function inboundRepo(db: Db) {
  return {
    candidates(): InboundCandidate[] {
      const rows = db
        .select({
          taskId: tasks.id,
          taskCode: tasks.callTaskCode,
          startedAt: tasks.startedAt,
          projectCode: projects.projectCode,
          gwCode: gateways.gwCode,
          realm: gateways.realm,
          originationCallId: gateways.originationCallId,
          username: gateways.username,
        })
        .from(tasks)
        .innerJoin(projects, eq(projects.id, tasks.projectId))
        .innerJoin(taskGateways, eq(taskGateways.taskId, tasks.id))
        .innerJoin(gateways, eq(gateways.id, taskGateways.gatewayId))
        .where(
          and(
            eq(tasks.status, TaskStatus.running),
            eq(tasks.callType, CallType.inbound),
            eq(projects.status, 1),
            eq(gateways.status, 1),
          ),
        )
        .all();
      return groupCandidates(rows);
    },
  };
}

/** One candidate per task with its gateways, from the joined rows; shared by both stores. */
export function groupCandidates(
  rows: {
    taskId: number;
    taskCode: string;
    startedAt: number | null;
    projectCode: string;
    gwCode: string;
    realm: string;
    originationCallId: string | null;
    username: string | null;
  }[],
): InboundCandidate[] {
  const byTask = new Map<number, InboundCandidate>();
  for (const r of rows) {
    const c = byTask.get(r.taskId) ?? {
      taskCode: r.taskCode,
      projectCode: r.projectCode,
      startedAt: r.startedAt,
      taskId: r.taskId,
      gateways: [],
    };
    c.gateways.push({
      gwCode: r.gwCode,
      realm: r.realm,
      originationCallId: r.originationCallId,
      username: r.username,
    });
    byTask.set(r.taskId, c);
  }
  return [...byTask.values()];
}
