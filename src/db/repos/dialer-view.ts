// What one dialer tick decides on, read in one go before any decision (SQLite): the running predictive tasks, their
// projects and nodes, each task's gateways with its own limit on them, and which tasks have a number due. The tick
// then decides synchronously on this view and touches the store again only to dispense and settle numbers, so on a
// networked store a tick costs a fixed handful of round trips, not one per read.
import { and, eq, inArray, isNull, lte, or } from 'drizzle-orm';
import { CallType, TaskStatus } from '../../core/codes.js';
import type { DialerView } from '../../dialer/dialer-view.js';
import type { Db } from '../database.js';
import type { Gateway } from './gateways.js';
import { fsNodes, gateways, projects, taskGateways, taskNumbers, tasks } from '../schema.js';

/** The task's gateway rows (ordered by task, then gateway) into view.gatewaysOf; shared by both stores. */
export function groupTaskGateways(
  view: DialerView,
  rows: { taskId: number; concurrency: number; gateway: Gateway }[],
): void {
  for (const r of rows) {
    const list = view.gatewaysOf.get(r.taskId) ?? [];
    list.push({ gateway: r.gateway, concurrency: r.concurrency });
    view.gatewaysOf.set(r.taskId, list);
  }
}

export function dialerViewRepo(db: Db) {
  return {
    load(now: number): DialerView {
      const running = db
        .select()
        .from(tasks)
        .where(and(eq(tasks.status, TaskStatus.running), eq(tasks.callType, CallType.predictive)))
        .all();
      const view: DialerView = {
        running,
        projects: new Map(),
        nodes: new Map(),
        gatewaysOf: new Map(),
        due: new Set(),
      };
      if (running.length === 0) return view;
      const taskIds = running.map((t) => t.id);
      const projectIds = [...new Set(running.map((t) => t.projectId))];
      for (const p of db.select().from(projects).where(inArray(projects.id, projectIds)).all())
        view.projects.set(p.id, p);
      const nodeIds = [...new Set([...view.projects.values()].map((p) => p.nodeId))];
      if (nodeIds.length)
        for (const n of db.select().from(fsNodes).where(inArray(fsNodes.id, nodeIds)).all())
          view.nodes.set(n.id, n);
      const rows = db
        .select({ taskId: taskGateways.taskId, concurrency: taskGateways.concurrency, gateway: gateways })
        .from(taskGateways)
        .innerJoin(gateways, eq(gateways.id, taskGateways.gatewayId))
        .where(inArray(taskGateways.taskId, taskIds))
        .orderBy(taskGateways.taskId, gateways.id)
        .all();
      groupTaskGateways(view, rows);
      for (const taskId of taskIds) {
        const due = db
          .select({ id: taskNumbers.id })
          .from(taskNumbers)
          .where(
            and(
              eq(taskNumbers.taskId, taskId),
              eq(taskNumbers.state, 'pending'),
              or(isNull(taskNumbers.retryAt), lte(taskNumbers.retryAt, now)),
            ),
          )
          .limit(1)
          .get();
        if (due) view.due.add(taskId);
      }
      return view;
    },
  };
}
