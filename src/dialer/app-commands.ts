// STOMP /app commands that start or end calls (spec 三.11 /app/call, 三.12 /app/bye, 三.22 /app/previewCall). An
// agent acts for itself only; each command answers on /topic/notify/{projectCode}/{username} with success or the
// reason. Calls an agent starts are agent-first calls: the agent's phone rings (auto-answer), then the customer.
import { and, eq, inArray } from 'drizzle-orm';
import { CallType, RegStatus, SessionStatus, TaskStatus, WorkStatus } from '../core/codes.js';
import { notice, type Publisher } from '../core/ports.js';
import type { AgentEntry, AgentRegistry } from '../agents/registry.js';
import type { AppCommand, AppPrincipal } from '../agents/commands.js';
import type { Db } from '../db/database.js';
import type { Repos } from '../db/repos/index.js';
import type { Gateway } from '../db/repos/gateways.js';
import { taskGateways, taskNumbers, tasks } from '../db/schema.js';
import type { AgentFirstCall, AgentFirstResult, Task } from './dialer.js';
import type { GatewayUsage } from './gateway-usage.js';
import type { LiveCall } from '../calls/legs/types.js';
import { Topics } from '../core/topics.js';

interface CallCommandDeps {
  db: Db;
  repos: Repos;
  agents: AgentRegistry;
  publisher: Publisher;
  gatewayUsage: GatewayUsage;
  live: ReadonlyMap<string, LiveCall>;
  hangup(callId: string): Promise<boolean>;
  originateAgentFirst(call: AgentFirstCall, callId?: string): Promise<AgentFirstResult>;
  newCallId(): string;
}

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };
const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Numbers an agent may dial: digits with an optional +, nothing a dial string could be abused with. */
const TEL_NO = /^\+?\d{3,24}$/;

type GatewayDeps = Pick<CallCommandDeps, 'db' | 'repos' | 'gatewayUsage'>;

/** A gateway with a free line among the given ones. */
function freeGateway(d: GatewayDeps, gatewayIds: number[]): Gateway | undefined {
  return gatewayIds
    .map((id) => d.repos.gateways.get(id))
    .find((g): g is Gateway => !!g && g.status === 1 && (g.expectCount ?? 0) > d.gatewayUsage.inUse(g.id));
}

const gatewaysOf = (d: GatewayDeps, taskIds: number[]): number[] =>
  taskIds.length
    ? d.db
        .select()
        .from(taskGateways)
        .where(inArray(taskGateways.taskId, taskIds))
        .all()
        .map((r) => r.gatewayId)
    : [];

/**
 * A gateway with a free line for the project's own calls: its default gateway (issue 17.11), then those of its
 * tasks, running tasks' first, then the other open ones, then those of ended tasks, newest first (an agent calling
 * a customer back after the campaign is the normal case).
 */
function projectGateway(d: GatewayDeps, projectId: number): Gateway | undefined {
  const rank = (t: Task) => (t.status === TaskStatus.running ? 0 : t.status === TaskStatus.ended ? 2 : 1);
  const own = d.db
    .select()
    .from(tasks)
    .where(eq(tasks.projectId, projectId))
    .all()
    .sort((a, b) => rank(a) - rank(b) || b.id - a.id);
  const order = new Map(own.map((t, i) => [t.id, i]));
  // The link rows come in table order: put them in the tasks' order.
  const rows = own.length
    ? d.db
        .select()
        .from(taskGateways)
        .where(inArray(taskGateways.taskId, [...order.keys()]))
        .all()
        .sort((a, b) => (order.get(a.taskId) ?? 0) - (order.get(b.taskId) ?? 0))
    : [];
  const preferred = (await d.repos.projects.get(projectId))?.defaultGatewayId;
  return freeGateway(d, [...(preferred ? [preferred] : []), ...rows.map((r) => r.gatewayId)]);
}

interface AgentCallRoute {
  callId: string;
  projectCode: string;
  gatewayCode: string;
  /** How the agent's leg reaches the customer: the gateway's dial string with its prefix rules. */
  customerDial: string;
  customerCallerId?: string;
}

interface AgentCallDeps extends GatewayDeps {
  agents: AgentRegistry;
  publisher: Publisher;
  newCallId(): string;
  /** Holds a line of the gateway for the call (released when its outcome is stored) and gives the dial string. */
  acceptAgentCall(
    c: { agent: string; projectCode: string; gateway: Gateway; phone: string },
    callId: string,
  ): {
    dial: string;
    callerId?: string;
  };
}

/**
 * An agent dials a customer from the softphone (spec 二.3 call(target), cc_flow=agent_call): the call goes out
 * through a gateway of the agent's project with a free line, like /app/call but with the agent's leg already there.
 * A refusal is told on /topic/notify and the caller hears the dialplan's unavailable tone.
 */
export function agentCallRouter(d: AgentCallDeps) {
  return (
    username: string,
    number: string,
  ): { ok: true; route: AgentCallRoute } | { ok: false; reason: string } => {
    const agent = d.agents.get(username);
    const refused = (reason: string) => {
      if (agent?.projectCode)
        d.publisher.publish(
          Topics.notify(agent.projectCode, username),
          notice('error', `呼叫失败: ${reason}`),
        );
      return { ok: false as const, reason };
    };
    if (!agent || agent.type !== 2 || !agent.projectCode)
      return refused(`extension ${username} is not an agent of a project`);
    const s = agent.state;
    if (s.workStatus === WorkStatus.disabled) return refused(`extension ${username} is disabled`);
    if (s.callId !== null || s.sessionStatus !== SessionStatus.idle)
      return refused(`extension ${username} is already on a call`);
    if (!TEL_NO.test(number)) return refused(`"${number}" is not a phone number`);
    const project = await d.repos.projects.activeByCode(agent.projectCode);
    if (!project) return refused(`project ${agent.projectCode} is not active`);
    const gateway = projectGateway(d, project.id);
    if (!gateway) return refused(`project ${agent.projectCode} has no gateway with a free line`);
    const callId = d.newCallId();
    d.agents.apply(username, { kind: 'reserve', callId });
    const { dial, callerId } = d.acceptAgentCall(
      { agent: username, projectCode: agent.projectCode, gateway, phone: number },
      callId,
    );
    return {
      ok: true,
      route: {
        callId,
        projectCode: agent.projectCode,
        gatewayCode: gateway.gwCode,
        customerDial: dial,
        customerCallerId: callerId,
      },
    };
  };
}

export function callCommands(d: CallCommandDeps): Record<string, AppCommand> {
  const reply = (p: AppPrincipal, username: string, ok: boolean, text: string) => {
    const projectCode = d.agents.get(username)?.projectCode ?? p.projectCode;
    d.publisher.publish(Topics.notify(projectCode, username), notice(ok ? 'success' : 'error', text));
  };
  const str = (v: unknown): string =>
    typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';

  /** The agent asking must be the extension named, and free to make a call. */
  function callingAgent(p: AppPrincipal, body: Record<string, unknown>): Checked<AgentEntry> {
    const username = str(body.username) || p.username;
    if (username !== p.username) return refuse(`${p.username} cannot make calls for extension ${username}`);
    const agent = d.agents.get(username);
    if (!agent || agent.type !== 2) return refuse(`extension ${username} is not an agent of a project`);
    const s = agent.state;
    if (s.workStatus === WorkStatus.disabled) return refuse(`extension ${username} is disabled`);
    if (s.regStatus !== RegStatus.registered) return refuse(`extension ${username} is not registered`);
    if (s.sessionStatus !== SessionStatus.idle || s.callId !== null)
      return refuse(`extension ${username} is already on a call`);
    return { ok: true, value: agent };
  }

  /**
   * Reserves the agent when it is available, so no predictive call is offered meanwhile; an agent who set itself
   * busy may still dial by hand (it is offered nothing anyway). Then rings the agent; a failure is told afterwards.
   */
  function start(
    p: AppPrincipal,
    agent: AgentEntry,
    call: Omit<AgentFirstCall, 'agent'>,
    callId: string,
    onFail?: () => void,
  ): void {
    if (agent.state.workStatus === WorkStatus.available)
      d.agents.apply(agent.username, { kind: 'reserve', callId });
    void d.originateAgentFirst({ ...call, agent: agent.username }, callId).then((r) => {
      if (r.ok) return;
      onFail?.();
      reply(p, agent.username, false, r.reason);
    });
  }

  const call: AppCommand = async (p, body) => {
    const checked = callingAgent(p, body);
    const username = str(body.username) || p.username;
    if (!checked.ok) return reply(p, username, false, checked.reason);
    const agent = checked.value;
    const telNo = str(body.telNo);
    if (!TEL_NO.test(telNo)) return reply(p, username, false, `telNo "${telNo}" is not a phone number`);
    const projectCode = str(body.projectCode) || agent.projectCode;
    if (projectCode !== agent.projectCode)
      return reply(p, username, false, `extension ${username} is not in project ${projectCode}`);
    const project = await d.repos.projects.activeByCode(projectCode);
    if (!project) return reply(p, username, false, `project ${projectCode} is not active`);
    const gateway = projectGateway(d, project.id);
    if (!gateway) return reply(p, username, false, `project ${projectCode} has no gateway with a free line`);
    start(p, agent, { projectCode, nodeId: project.nodeId, gateway, phone: telNo }, d.newCallId());
    reply(p, username, true, `正在呼叫 ${telNo}`);
  };

  /**
   * The number must be one getCallList handed out ('preview'): to this agent (getCallList with `username`), or to
   * the business system (no username: assigned to 'api'), which gives its numbers to its agents.
   */
  function previewNumber(task: Task, telNo: string, username: string, callId: string): Checked<number> {
    const row = d.db
      .select()
      .from(taskNumbers)
      .where(and(eq(taskNumbers.taskId, task.id), eq(taskNumbers.phone, telNo)))
      .get();
    if (!row) return refuse(`${telNo} is not a number of task ${task.callTaskCode}`);
    if (row.state === 'pending') return refuse(`${telNo} has not been handed out by getCallList`);
    if (row.state !== 'preview') return refuse(`${telNo} has already been dialled`);
    if (row.assignedTo !== username && row.assignedTo !== 'api')
      return refuse(`${telNo} was handed to another agent`);
    // Claim it atomically (two clicks cannot dial it twice); the call's uuid lets a restart find the call.
    const claimed = d.db
      .update(taskNumbers)
      .set({ state: 'dialing', callUuid: callId })
      .where(and(eq(taskNumbers.id, row.id), eq(taskNumbers.state, 'preview')))
      .run();
    return claimed.changes === 1 ? { ok: true, value: row.id } : refuse(`${telNo} has already been dialled`);
  }

  const previewCall: AppCommand = async (p, body) => {
    const username = str(body.username) || p.username;
    const checked = callingAgent(p, body);
    if (!checked.ok) return reply(p, username, false, checked.reason);
    const agent = checked.value;
    const telNo = str(body.telNo);
    const code = str(body.callTaskCode);
    const task = d.db.select().from(tasks).where(eq(tasks.callTaskCode, code)).get();
    const project = await task && d.repos.projects.get(task.projectId);
    if (!task || project?.projectCode !== agent.projectCode)
      return reply(p, username, false, `task ${code} is not a task of project ${agent.projectCode}`);
    if (task.callType !== CallType.preview)
      return reply(p, username, false, `task ${code} is not a preview task`);
    if (task.status !== TaskStatus.running) return reply(p, username, false, `task ${code} is not running`);
    const gateway = freeGateway(d, gatewaysOf(d, [task.id]));
    if (!gateway) return reply(p, username, false, `task ${code} has no gateway with a free line`);
    const callId = d.newCallId();
    const number = previewNumber(task, telNo, username, callId);
    if (!number.ok) return reply(p, username, false, number.reason);
    const backToAgent = () =>
      d.db
        .update(taskNumbers)
        .set({ state: 'preview', callUuid: null })
        .where(eq(taskNumbers.id, number.value))
        .run();
    const call = { projectCode: agent.projectCode, nodeId: project.nodeId, gateway, phone: telNo, task };
    start(p, agent, { ...call, numberId: number.value }, callId, backToAgent);
    reply(p, username, true, `正在呼叫 ${telNo}`);
  };

  const bye: AppCommand = async (p, body) => {
    const username = str(body.username) || p.username;
    const callId = str(body.callId);
    if (username !== p.username)
      return reply(p, username, false, `${p.username} cannot hang up for ${username}`);
    const live = d.live.get(callId);
    if (!live) return reply(p, username, false, `no call ${callId} is in progress`);
    const onIt = live.agent === username || d.agents.get(username)?.state.callId === callId;
    if (!onIt) return reply(p, username, false, `call ${callId} is not extension ${username}'s`);
    const ok = await d.hangup(callId);
    reply(p, username, ok, ok ? '挂断成功' : `call ${callId} has already ended`);
  };

  return { '/app/call': call, '/app/bye': bye, '/app/previewCall': previewCall };
}
