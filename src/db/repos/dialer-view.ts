// What one dialer tick decides on, read in one go before any decision (SQLite): the running predictive tasks, their
// projects and nodes, each task's gateways with its own limit on them, and which tasks have a number due. The tick
// then decides synchronously on this view and touches the store again only to dispense and settle numbers, so on a
// networked store a tick costs two round trips (the tasks with their projects, nodes and whether a number is due;
// the tasks' gateways), not one per read.
import { and, eq, inArray, sql, type Column, type Table } from 'drizzle-orm';
import { CallType, TaskStatus } from '../../core/codes.js';
import type { DialerView } from '../../dialer/dialer-view.js';
import type { Db } from '../database.js';
import type { Gateway } from './gateways.js';
import type { FsNode } from './nodes.js';
import type { Project } from './projects.js';
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

/** Whether the task has a pending number due now, as a column of the task's row (1 or 0 on both stores). */
export const dueColumn = (
  task: Column,
  number: Table & { taskId: Column; state: Column; retryAt: Column },
  now: number,
) =>
  sql<number>`case when exists (select 1 from ${number} where ${number.taskId} = ${task} and ${number.state} = 'pending'
    and (${number.retryAt} is null or ${number.retryAt} <= ${now})) then 1 else 0 end`;

/** The rows of the view's first statement (each task with its project, node and whether it has a number due). */
export function viewOf(
  rows: { task: DialerView['running'][number]; project: Project | null; node: FsNode | null; due: number }[],
): DialerView {
  const view: DialerView = {
    running: [],
    projects: new Map(),
    nodes: new Map(),
    gatewaysOf: new Map(),
    due: new Set(),
  };
  for (const r of rows) {
    view.running.push(r.task);
    if (r.project) view.projects.set(r.project.id, r.project);
    if (r.node) view.nodes.set(r.node.id, r.node);
    if (Number(r.due) === 1) view.due.add(r.task.id);
  }
  return view;
}

export function dialerViewRepo(db: Db) {
  return {
    /** Everything a tick decides on, in two statements whatever the number of running tasks. */
    load(now: number): DialerView {
      const view = viewOf(
        db
          .select({
            task: tasks,
            project: projects,
            node: fsNodes,
            due: dueColumn(tasks.id, taskNumbers, now),
          })
          .from(tasks)
          .leftJoin(projects, eq(projects.id, tasks.projectId))
          .leftJoin(fsNodes, eq(fsNodes.id, projects.nodeId))
          .where(and(eq(tasks.status, TaskStatus.running), eq(tasks.callType, CallType.predictive)))
          .orderBy(tasks.id)
          .all(),
      );
      if (view.running.length === 0) return view;
      const rows = db
        .select({ taskId: taskGateways.taskId, concurrency: taskGateways.concurrency, gateway: gateways })
        .from(taskGateways)
        .innerJoin(gateways, eq(gateways.id, taskGateways.gatewayId))
        .where(
          inArray(
            taskGateways.taskId,
            view.running.map((t) => t.id),
          ),
        )
        .orderBy(taskGateways.taskId, gateways.id)
        .all();
      groupTaskGateways(view, rows);
      return view;
    },
  };
}
