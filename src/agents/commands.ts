// STOMP /app commands of agents about their own availability (spec 三.2, 三.3). Each answers on
// /topic/notify/{projectCode}/{username} (三.9) with success or the reason.
import { WorkStatus } from '../core/codes.js';
import { notice, type Publisher } from '../core/ports.js';
import type { AgentRegistry } from './registry.js';
import { Topics } from '../core/topics.js';

type WorkType = 10 | 20 | 30;
const WORK_TYPES: readonly number[] = [10, 20, 30];

export interface AppPrincipal {
  username: string;
  projectCode: string;
  role: string;
}

export type AppCommand = (principal: AppPrincipal, body: Record<string, unknown>) => Promise<void>;

export function agentCommands(agents: AgentRegistry, publisher: Publisher): Record<string, AppCommand> {
  const reply = (p: AppPrincipal, ok: boolean, text: string, username = p.username) =>
    publisher.publish(Topics.notify(p.projectCode, username), notice(ok ? 'success' : 'error', text));

  const setWork =
    (workStatus: 0 | 1, done: string): AppCommand =>
    async (p, body) => {
      const username = typeof body.username === 'string' ? body.username : p.username;
      const workType = Number(body.workType ?? 10);
      if (!WORK_TYPES.includes(workType)) return reply(p, false, `workType must be 10, 20 or 30`, username);
      const entry = agents.get(username);
      if (!entry || entry.projectCode !== (body.projectCode ?? p.projectCode))
        return reply(
          p,
          false,
          `extension ${username} is not in project ${String(body.projectCode ?? p.projectCode)}`,
          username,
        );
      const r = agents.setWork(username, workStatus);
      if (!r.ok) return reply(p, false, r.reason, username);
      entry.workType = workType as WorkType;
      reply(p, true, done, username);
    };

  return {
    '/app/idle': setWork(WorkStatus.available, '置闲成功'),
    '/app/busy': setWork(WorkStatus.unavailable, '置忙成功'),
  };
}
