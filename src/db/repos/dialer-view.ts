// What one dialer tick decides on, read in one go before any decision (SQLite): the running predictive tasks, their
// projects and nodes, each task's gateways with its own limit on them, and which tasks have a number due. The tick
// then decides synchronously on this view and touches the store again only to dispense and settle numbers, so on a
// networked store a tick costs two round trips (the tasks with their projects, nodes and whether a number is due;
// the tasks' gateways), not one per read.
import { and, eq, inArray, sql, type Column, type Placeholder, type Table } from 'drizzle-orm';
import { CallType, TaskStatus } from '../../core/codes.js';
import type { DialerView } from '../../dialer/dialer-view.js';
import type { Db } from '../database.js';
import type { Gateway } from './gateways.js';
import type { FsNode } from './nodes.js';
import type { Project } from './projects.js';
import { fsNodes, gateways, projects, taskGateways, taskNumbers, tasks } from '../schema.js';
import { preparedOnce } from './prepared.js';

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
  now: number | Placeholder,
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
  // Prepared once (issue 21): a tick loads the view every 100 ms. The gateways' statement per number of tasks.
  const running = db
    .select({
      task: tasks,
      project: projects,
      node: fsNodes,
      due: dueColumn(tasks.id, taskNumbers, sql.placeholder('now')),
    })
    .from(tasks)
    .leftJoin(projects, eq(projects.id, tasks.projectId))
    .leftJoin(fsNodes, eq(fsNodes.id, projects.nodeId))
    .where(and(eq(tasks.status, TaskStatus.running), eq(tasks.callType, CallType.predictive)))
    .orderBy(tasks.id)
    .prepare();
  const gatewaysOf = new Map<string, ReturnType<typeof prepareGatewaysOf>>();
  function prepareGatewaysOf(count: number) {
    return db
      .select({ taskId: taskGateways.taskId, concurrency: taskGateways.concurrency, gateway: gateways })
      .from(taskGateways)
      .innerJoin(gateways, eq(gateways.id, taskGateways.gatewayId))
      .where(
        inArray(
          taskGateways.taskId,
          Array.from({ length: count }, (_, k) => sql.placeholder(`t${k}`)),
        ),
      )
      .orderBy(taskGateways.taskId, gateways.id)
      .prepare();
  }
  return {
    /** Everything a tick decides on, in two statements whatever the number of running tasks. */
    load(now: number): DialerView {
      const view = viewOf(running.all({ now }));
      const count = view.running.length;
      if (count === 0) return view;
      const ids = Object.fromEntries(view.running.map((t, k) => [`t${k}`, t.id]));
      groupTaskGateways(
        view,
        preparedOnce(gatewaysOf, String(count), () => prepareGatewaysOf(count)).all(ids),
      );
      return view;
    },
  };
}
