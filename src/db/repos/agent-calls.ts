// What agents' own calls read and claim (SQLite): the gateways a project's agents may call out through, in the
// order they are tried, and preview numbers claimed for a call (dialing) or given back to the agent.
import { and, eq, inArray } from 'drizzle-orm';
import { TaskStatus } from '../../core/codes.js';
import type { Db } from '../database.js';
import { gateways, projects, taskGateways, taskNumbers, tasks } from '../schema.js';
import type { Gateway } from './gateways.js';
import { transactionOf } from './transaction.js';

type Task = typeof tasks.$inferSelect;

type PreviewClaim = { ok: true; numberId: number } | { ok: false; reason: string };

/**
 * The gateway ids for a project's own calls, in the order to try them: its default gateway (issue 17.11), then those
 * of its tasks, running tasks' first, then the other open ones, then those of ended tasks, newest first (an agent
 * calling a customer back after the campaign is the normal case). Shared by both stores.
 */
export function projectGatewayOrder(
  own: Pick<Task, 'id' | 'status'>[],
  links: { taskId: number; gatewayId: number }[],
  preferred: number | null | undefined,
): number[] {
  const rank = (t: Pick<Task, 'status'>) =>
    t.status === TaskStatus.running ? 0 : t.status === TaskStatus.ended ? 2 : 1;
  const sorted = [...own].sort((a, b) => rank(a) - rank(b) || b.id - a.id);
  const order = new Map(sorted.map((t, i) => [t.id, i]));
  const ordered = [...links].sort((a, b) => (order.get(a.taskId) ?? 0) - (order.get(b.taskId) ?? 0));
  return [...(preferred ? [preferred] : []), ...ordered.map((r) => r.gatewayId)];
}

/** Why the agent may not call the preview number (undefined: it may); shared by both stores. */
export function previewRefusal(
  row: { state: string; assignedTo: string | null } | undefined,
  taskCode: string,
  phone: string,
  username: string,
): string | undefined {
  if (!row) return `${phone} is not a number of task ${taskCode}`;
  if (row.state === 'pending') return `${phone} has not been handed out by getCallList`;
  if (row.state !== 'preview') return `${phone} has already been dialled`;
  if (row.assignedTo !== username && row.assignedTo !== 'api') return `${phone} was handed to another agent`;
  return undefined;
}

/** The gateways by id, in the order of `ids` (an id listed twice comes twice, as the callers expect). */
export function inIdOrder(ids: number[], rows: Gateway[]): Gateway[] {
  const byId = new Map(rows.map((g) => [g.id, g]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function agentCallsRepo(db: Db) {
  const transaction = transactionOf(db);
  const gatewaysByIds = (ids: number[]): Gateway[] => {
    if (ids.length === 0) return [];
    return inIdOrder(
      ids,
      db
        .select()
        .from(gateways)
        .where(inArray(gateways.id, [...new Set(ids)]))
        .all(),
    );
  };
  return {
    /** The gateways of the given tasks, in link-table order. */
    ofTasks(taskIds: number[]): Gateway[] {
      if (taskIds.length === 0) return [];
      const links = db.select().from(taskGateways).where(inArray(taskGateways.taskId, taskIds)).all();
      return gatewaysByIds(links.map((r) => r.gatewayId));
    },
    /**
     * The gateways for the project's own calls, in the order to try them: its default gateway (issue 17.11), then
     * those of its tasks, running tasks' first, then the other open ones, then those of ended tasks, newest first
     * (an agent calling a customer back after the campaign is the normal case).
     */
    ofProject(projectId: number): Gateway[] {
      const own = db.select().from(tasks).where(eq(tasks.projectId, projectId)).all();
      const links = own.length
        ? db
            .select()
            .from(taskGateways)
            .where(
              inArray(
                taskGateways.taskId,
                own.map((t) => t.id),
              ),
            )
            .all()
        : [];
      const preferred = db
        .select({ id: projects.defaultGatewayId })
        .from(projects)
        .where(eq(projects.id, projectId))
        .get()?.id;
      return gatewaysByIds(projectGatewayOrder(own, links, preferred));
    },
    /**
     * The number must be one getCallList handed out ('preview'): to this agent, or to the business system ('api').
     * Claimed atomically (two clicks cannot dial it twice); the call's uuid lets a restart find the call.
     */
    claimPreview(
      taskId: number,
      taskCode: string,
      phone: string,
      username: string,
      callId: string,
    ): PreviewClaim {
      return transaction(() => {
        const row = db
          .select()
          .from(taskNumbers)
          .where(and(eq(taskNumbers.taskId, taskId), eq(taskNumbers.phone, phone)))
          .get();
        const refused = previewRefusal(row, taskCode, phone, username);
        if (refused || !row) return { ok: false, reason: refused ?? '' };
        const claimed = db
          .update(taskNumbers)
          .set({ state: 'dialing', callUuid: callId })
          .where(and(eq(taskNumbers.id, row.id), eq(taskNumbers.state, 'preview')))
          .run();
        return claimed.changes === 1
          ? { ok: true, numberId: row.id }
          : { ok: false, reason: `${phone} has already been dialled` };
      });
    },
    /** The agent's call never started: the number is the agent's preview number again. */
    returnPreview(numberId: number): void {
      db.update(taskNumbers)
        .set({ state: 'preview', callUuid: null })
        .where(eq(taskNumbers.id, numberId))
        .run();
    },
  };
}
