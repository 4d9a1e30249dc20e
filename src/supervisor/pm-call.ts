// /app/pmCallAgent and /app/pmByeAgent (spec 三.20, 三.21): the manager's phone is called first (auto-answer) and
// then bridged to the agent's phone. The agent is held (reserved, then talking) for the call so the dialer does not
// offer it a customer meanwhile; the callId is the manager leg's uuid, told in the success notice and on
// /topic/call/{agent} and /topic/bye/{agent}.
import type { AppCommand, AppPrincipal } from '../agents/commands.js';
import { FsApp, FsCommand, FsDial, appString, varsBlock } from '../switch/fs-commands.js';
import type { SupervisorContext } from './context.js';
import { listenerPhone, pmCallee, projectOf, reachableAgent, requireManager } from './rules.js';
import { SUP_VAR, supTag } from './tags.js';
import { Topics } from '../core/topics.js';

interface PmCall {
  callId: string;
  agentLeg: string;
  nodeId: number;
  manager: string;
  agent: string;
  requester: AppPrincipal;
  reserved: boolean;
  talked: boolean;
}

export function pmCallCommands(ctx: SupervisorContext): Record<string, AppCommand> {
  const { agents, publisher } = ctx.d;
  const calls = new Map<string, PmCall>();
  const lookup = (u: string) => agents.get(u);

  function over(c: PmCall): void {
    if (calls.get(c.callId) !== c) return;
    calls.delete(c.callId);
    ctx.unclaim(c.agentLeg);
    agents.apply(c.agent, { kind: 'call-ended', callId: c.callId });
    if (c.reserved) agents.apply(c.agent, { kind: 'release', callId: c.callId });
    publisher.publish(Topics.bye(c.agent), { callId: c.callId, telNo: c.manager });
  }

  /** The manager's leg: the agent is talking from the bridge on; the call is over when the leg ends. */
  function managerLeg(c: PmCall) {
    return {
      uuid: c.callId,
      nodeId: c.nodeId,
      bridged: () => {
        if (calls.get(c.callId) !== c) return;
        c.talked = true;
        connected(c);
      },
      ended: () => {
        // The bridge app returns when the agent does not answer, and the manager's leg hangs up after it.
        if (!c.talked && calls.get(c.callId) === c)
          ctx.tell(c.requester, 'warning', `坐席 ${c.agent} 未接听`);
        over(c);
      },
    };
  }

  function connected(c: PmCall): void {
    agents.apply(c.agent, {
      kind: 'connected',
      callId: c.callId,
      destinationNumber: c.manager,
      destinationUUID: c.callId,
    });
    publisher.publish(Topics.call(c.agent), { callId: c.callId, telNo: c.manager });
  }

  // After a restart: the manager↔agent call is known again (pmByeAgent works; the agent stays busy until it ends).
  ctx.adopts('pm', ({ tag, uuid, nodeId, live }) => {
    if (uuid !== tag.callId || calls.has(tag.callId)) return;
    const c: PmCall = {
      callId: tag.callId,
      agentLeg: tag.agentLeg,
      nodeId,
      manager: tag.manager,
      agent: tag.agent,
      requester: ctx.principal(tag),
      reserved: false,
      talked: live.has(tag.agentLeg),
    };
    calls.set(c.callId, c);
    ctx.claim(c.agentLeg);
    // The agent's page, reconnected after the restart, is told of the call again.
    if (c.talked) connected(c);
    ctx.legs.adopt(managerLeg(c));
  });

  const pmCallAgent: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `呼叫坐席失败: ${reason}`);
    const manager = requireManager(p, '/app/pmCallAgent');
    if (!manager.ok) return refuse(manager.reason);
    const projectCode = projectOf(p, body);
    const agent = pmCallee(body, lookup, projectCode);
    if (!agent.ok) return refuse(agent.reason);
    const reachable = reachableAgent(agent.value);
    if (!reachable.ok) return refuse(reachable.reason);
    const phone = listenerPhone(p, body, lookup, projectCode);
    if (!phone.ok) return refuse(phone.reason);
    const nodeId = ctx.nodeOf(phone.value);
    if (nodeId === undefined) return refuse(`${phone.value} has no FreeSWITCH node`);
    const username = agent.value.username;
    const c: PmCall = {
      callId: ctx.legs.newUuid(),
      agentLeg: ctx.legs.newUuid(),
      nodeId,
      manager: phone.value,
      agent: username,
      requester: p,
      reserved: false,
      talked: false,
    };
    if (agents.offerable(projectCode).some((a) => a.username === username))
      c.reserved = agents.apply(username, { kind: 'reserve', callId: c.callId }).ok;
    calls.set(c.callId, c);
    const agentDial =
      varsBlock({
        origination_uuid: c.agentLeg,
        leg_timeout: ctx.ringSeconds,
        origination_caller_id_number: c.manager,
        cc_role: 'agent',
        cc_project: projectCode,
      }) + FsDial.user(username, ctx.domainOf(username));
    ctx.detach(p, async () => {
      const r = await ctx.legs.originate(
        managerLeg(c),
        FsCommand.originate(
          {
            origination_uuid: c.callId,
            origination_caller_id_number: username,
            originate_timeout: ctx.ringSeconds,
            'sip_h_X-CC-Auto-Answer': 'true',
            cc_role: 'manager',
            cc_project: projectCode,
            [SUP_VAR]: supTag({
              kind: 'pm',
              callId: c.callId,
              agentLeg: c.agentLeg,
              manager: c.manager,
              agent: username,
              project: projectCode,
              requester: p.username,
            }),
          },
          FsDial.user(c.manager, ctx.domainOf(c.manager)),
          appString(FsApp.bridge(agentDial)),
        ),
      );
      if (!r.ok) {
        over(c);
        return refuse(`phone ${c.manager} did not answer (${r.cause})`);
      }
      publisher.publish(Topics.invite(username), { callId: c.callId, telNo: c.manager });
      ctx.tell(p, 'success', `正在呼叫坐席 ${username}, callId ${c.callId}`);
    });
  };

  const pmByeAgent: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `挂断失败: ${reason}`);
    const manager = requireManager(p, '/app/pmByeAgent');
    if (!manager.ok) return refuse(manager.reason);
    const callId = typeof body.callId === 'string' ? body.callId : '';
    const c = calls.get(callId);
    if (!c) return refuse(`no such call ${callId || '(callId is required)'}`);
    if (p.role !== 'service' && c.requester.projectCode !== p.projectCode)
      return refuse(`call ${callId} is not yours`);
    // Both legs: the agent's may still be ringing, and a bridge does not always take its B-leg down at once.
    await Promise.all([ctx.legs.kill(c.nodeId, c.callId), ctx.legs.kill(c.nodeId, c.agentLeg)]);
    over(c);
    ctx.tell(p, 'success', `已挂断与坐席 ${c.agent} 的通话`);
  };

  return { '/app/pmCallAgent': pmCallAgent, '/app/pmByeAgent': pmByeAgent };
}
