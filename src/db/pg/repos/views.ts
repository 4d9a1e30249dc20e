// The PostgreSQL forms of the read-only views (src/db/repos/dialer-view.ts, inbound.ts, wallboard.ts, abandon.ts,
// health.ts): the same queries, with the grouping shared with the SQLite side. bigint sums and counts arrive as text
// from node-postgres, hence the Number()s.
import { and, count, eq, gte, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { AmdResultDetail, CallType, TaskStatus } from '../../../core/codes.js';
import type { DialerView } from '../../../dialer/dialer-view.js';
import type { InboundCandidate } from '../../../calls/inbound-routing.js';
import { dueColumn, groupTaskGateways, viewOf } from '../../repos/dialer-view.js';
import { groupCandidates } from '../../repos/inbound.js';
import { preparedOnce } from '../../repos/prepared.js';
import type { CallFigures } from '../../repos/wallboard.js';
import { first, type PgExecutor } from '../rows.js';
import {
  apiAccounts,
  callLogs,
  extensions,
  fsNodes,
  gateways,
  projects,
  taskGateways,
  taskNumbers,
  tasks,
} from '../schema.js';

type Task = typeof tasks.$inferSelect;
const HOUR_MS = 3600_000;

export function pgDialerViewRepo(db: PgExecutor) {
  // Prepared once, as named server-side statements (issue 21): a tick loads the view every 100 ms. The gateways'
  // statement per number of tasks.
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
    .prepare('cc_dialer_view_tasks');
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
      .prepare(`cc_dialer_view_gateways_${count}`);
  }
  return {
    /** Everything a tick decides on, in two statements whatever the number of running tasks. */
    async load(now: number): Promise<DialerView> {
      const view = viewOf(await running.execute({ now }));
      const count = view.running.length;
      if (count === 0) return view;
      const ids = Object.fromEntries(view.running.map((t, k) => [`t${k}`, t.id]));
      groupTaskGateways(
        view,
        await preparedOnce(gatewaysOf, String(count), () => prepareGatewaysOf(count)).execute(ids),
      );
      return view;
    },
  };
}

export function pgInboundRepo(db: PgExecutor) {
  return {
    async candidates(): Promise<InboundCandidate[]> {
      return groupCandidates(
        await db
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
          ),
      );
    },
  };
}

export function pgWallboardRepo(db: PgExecutor) {
  return {
    async figures(projectId: number, now: number): Promise<CallFigures> {
      const calls = first(
        await db
          .select({ n: count() })
          .from(callLogs)
          .where(
            and(
              eq(callLogs.projectId, projectId),
              gte(callLogs.startTimestamp, now - 60_000),
              isNull(callLogs.skipReason),
            ),
          ),
      );
      const live = first(
        await db
          .select({ n: count(), abandoned: sql<string>`coalesce(sum(${callLogs.abandoned}), 0)` })
          .from(callLogs)
          .where(
            and(
              eq(callLogs.projectId, projectId),
              isNotNull(callLogs.abandoned),
              gte(callLogs.startTimestamp, now - HOUR_MS),
            ),
          ),
      );
      const machines = first(
        await db
          .select({ n: count() })
          .from(callLogs)
          .where(
            and(
              eq(callLogs.projectId, projectId),
              gte(callLogs.startTimestamp, now - HOUR_MS),
              inArray(callLogs.resultDetail, Object.values(AmdResultDetail)),
            ),
          ),
      );
      return {
        callsLastMinute: calls?.n ?? 0,
        machinesLastHour: machines?.n ?? 0,
        liveAnswersLastHour: live?.n ?? 0,
        abandonedLastHour: Number(live?.abandoned ?? 0),
      };
    },
  };
}

export function pgAbandonRepo(db: PgExecutor) {
  async function countsSince(projectId: number, since: number, taskIds?: number[]) {
    const conds = [
      eq(callLogs.projectId, projectId),
      isNotNull(callLogs.abandoned),
      gte(callLogs.startTimestamp, since),
    ];
    if (taskIds) conds.push(inArray(callLogs.taskId, taskIds));
    const rows = await db
      .select({
        taskId: callLogs.taskId,
        live: sql<string>`count(*)`,
        abandoned: sql<string | null>`sum(${callLogs.abandoned})`,
      })
      .from(callLogs)
      .where(and(...conds))
      .groupBy(callLogs.taskId);
    return rows.map((r) => ({ taskId: r.taskId, live: Number(r.live), abandoned: Number(r.abandoned ?? 0) }));
  }
  return {
    /** The project's tasks (or just `onlyTaskId`), and the counts since each of `since`. */
    async read(
      projectId: number,
      since: number[],
      onlyTaskId?: number,
    ): Promise<{ tasks: Task[]; counts: { taskId: number | null; live: number; abandoned: number }[][] }> {
      const taskRows = await db
        .select()
        .from(tasks)
        .where(onlyTaskId === undefined ? eq(tasks.projectId, projectId) : eq(tasks.id, onlyTaskId))
        .orderBy(tasks.id);
      const only = onlyTaskId === undefined ? undefined : [onlyTaskId];
      const counts = [];
      for (const from of since) counts.push(await countsSince(projectId, from, only));
      return { tasks: taskRows, counts };
    },
  };
}

const COUNTED = {
  api_accounts: apiAccounts,
  fs_nodes: fsNodes,
  gateways,
  projects,
  extensions,
  tasks,
  call_logs: callLogs,
} as const;

export function pgHealthRepo(db: PgExecutor) {
  return {
    /** One row count per main table, which also proves the database answers. */
    async counts(): Promise<Record<keyof typeof COUNTED, number>> {
      const out: Record<string, number> = {};
      for (const [name, table] of Object.entries(COUNTED))
        out[name] = first(await db.select({ n: count() }).from(table))?.n ?? 0;
      return out as Record<keyof typeof COUNTED, number>;
    },
  };
}
