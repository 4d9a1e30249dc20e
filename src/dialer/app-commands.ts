// STOMP /app commands that start or end calls (spec 三.11 /app/call, 三.12 /app/bye, 三.22 /app/previewCall). An
// agent acts for itself only; each command answers on /topic/notify/{projectCode}/{username} with success or the
// reason. Calls an agent starts are agent-first calls: the agent's phone rings (auto-answer), then the customer.
import { CallType, RegStatus, SessionStatus, TaskStatus, WorkStatus } from '../core/codes.js';
import { notice, type Publisher } from '../core/ports.js';
import type { AgentEntry, AgentRegistry } from '../agents/registry.js';
import type { AppCommand, AppPrincipal } from '../agents/commands.js';
import type { Repos } from '../db/repos/index.js';
import type { Gateway } from '../db/repos/gateways.js';
import type { AgentFirstCall, AgentFirstResult } from './dialer.js';
import type { GatewayUsage } from './gateway-usage.js';
import type { LiveCall } from '../calls/legs/types.js';
import { Topics } from '../core/topics.js';

interface CallCommandDeps {
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

type GatewayDeps = Pick<CallCommandDeps, 'repos' | 'gatewayUsage'>;

/** The first gateway with a free line among the candidates (in their order). */
const freeGateway = (d: GatewayDeps, candidates: Gateway[]): Gateway | undefined =>
  candidates.find((g) => g.status === 1 && (g.expectCount ?? 0) > d.gatewayUsage.inUse(g.id));

/** A gateway with a free line for the project's own calls (order: db/repos/agent-calls.ts ofProject). */
async function projectGateway(d: GatewayDeps, projectId: number): Promise<Gateway | undefined> {
  return freeGateway(d, await d.repos.agentCalls.ofProject(projectId));
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
  return async (
    username: string,
    number: string,
  ): Promise<{ ok: true; route: AgentCallRoute } | { ok: false; reason: string }> => {
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
    const gateway = await projectGateway(d, project.id);
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
    onFail?: () => Promise<void>,
  ): void {
    if (agent.state.workStatus === WorkStatus.available)
      d.agents.apply(agent.username, { kind: 'reserve', callId });
    void d
      .originateAgentFirst({ ...call, agent: agent.username }, callId)
      .then(async (r) => {
        if (r.ok) return;
        await onFail?.();
        reply(p, agent.username, false, r.reason);
      })
      .catch(() => reply(p, agent.username, false, 'the call could not be started'));
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
    const gateway = await projectGateway(d, project.id);
    if (!gateway) return reply(p, username, false, `project ${projectCode} has no gateway with a free line`);
    start(p, agent, { projectCode, nodeId: project.nodeId, gateway, phone: telNo }, d.newCallId());
    reply(p, username, true, `正在呼叫 ${telNo}`);
  };

  const previewCall: AppCommand = async (p, body) => {
    const username = str(body.username) || p.username;
    const checked = callingAgent(p, body);
    if (!checked.ok) return reply(p, username, false, checked.reason);
    const agent = checked.value;
    const telNo = str(body.telNo);
    const code = str(body.callTaskCode);
    const task = await d.repos.tasks.byCode(code);
    const project = task && (await d.repos.projects.get(task.projectId));
    if (!task || project?.projectCode !== agent.projectCode)
      return reply(p, username, false, `task ${code} is not a task of project ${agent.projectCode}`);
    if (task.callType !== CallType.preview)
      return reply(p, username, false, `task ${code} is not a preview task`);
    if (task.status !== TaskStatus.running) return reply(p, username, false, `task ${code} is not running`);
    const gateway = freeGateway(d, await d.repos.agentCalls.ofTasks([task.id]));
    if (!gateway) return reply(p, username, false, `task ${code} has no gateway with a free line`);
    const callId = d.newCallId();
    const number = await d.repos.agentCalls.claimPreview(task.id, task.callTaskCode, telNo, username, callId);
    if (!number.ok) return reply(p, username, false, number.reason);
    const backToAgent = () => d.repos.agentCalls.returnPreview(number.numberId);
    const call = { projectCode: agent.projectCode, nodeId: project.nodeId, gateway, phone: telNo, task };
    start(p, agent, { ...call, numberId: number.numberId }, callId, backToAgent);
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
