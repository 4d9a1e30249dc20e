// /app/eavesdrop and /app/stopEavesdrop (spec 三.15, 三.16): the manager's phone is called and, when it answers,
// listens to the agent's leg (mod_dptools eavesdrop). Optional `mode`: listen (default), whisper (the agent hears
// the manager, the customer does not) or barge (three-way); DTMF on the manager's phone switches during the call.
import type { AppCommand, AppPrincipal } from '../agents/commands.js';
import { FsApp, FsCommand, FsDial, appString, eavesdropVars } from '../switch/fs-commands.js';
import type { SupervisorContext } from './context.js';
import {
  agentOnCall,
  eavesdropMode,
  listenerPhone,
  projectAgent,
  projectOf,
  requireManager,
} from './rules.js';
import { SUP_VAR, supTag } from './tags.js';

interface Listening {
  uuid: string;
  nodeId: number;
  listener: string;
  agent: string;
}

export function eavesdropCommands(ctx: SupervisorContext): Record<string, AppCommand> {
  const { agents, live } = ctx.d;
  /** By listener extension: one eavesdrop leg per manager phone. */
  const listening = new Map<string, Listening>();
  const lookup = (u: string) => agents.get(u);

  /** The listening leg ended (the manager hung up, `*`, or the agent's call ended): the requester is told. */
  const ended = (entry: Listening, p: AppPrincipal) => () => {
    if (listening.get(entry.listener) !== entry) return;
    listening.delete(entry.listener);
    ctx.tell(p, 'info', `监听 ${entry.agent} 已结束`);
  };

  // After a restart: a manager still listening is listening again as far as we know (stopEavesdrop works).
  ctx.adopts('eavesdrop', ({ tag, uuid, nodeId }) => {
    if (listening.has(tag.listener)) return;
    const entry: Listening = { uuid, nodeId, listener: tag.listener, agent: tag.agent };
    listening.set(tag.listener, entry);
    ctx.legs.adopt({ uuid, nodeId, ended: ended(entry, ctx.principal(tag)) });
  });

  /** The agent's own leg of the call: the customer leg's bridge partner (bridge_uuid). */
  async function agentLeg(nodeId: number, customerUuid: string): Promise<string | undefined> {
    const r = await ctx.d.nodes.api(nodeId, FsCommand.getvar(customerUuid, 'bridge_uuid'));
    if (!r.ok) return undefined;
    const v = r.value.trim();
    return v && v !== '_undef_' && !v.startsWith('-ERR') ? v : undefined;
  }

  const eavesdrop: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `监听失败: ${reason}`);
    const manager = requireManager(p, '/app/eavesdrop');
    if (!manager.ok) return refuse(manager.reason);
    const projectCode = projectOf(p, body);
    const agent = projectAgent(body, 'username', lookup, projectCode);
    if (!agent.ok) return refuse(agent.reason);
    const listener = listenerPhone(p, body, lookup, projectCode);
    if (!listener.ok) return refuse(listener.reason);
    const mode = eavesdropMode(body);
    if (!mode.ok) return refuse(mode.reason);
    const callId = agentOnCall(agent.value);
    if (!callId.ok) return refuse(callId.reason);
    const busy = listening.get(listener.value);
    if (busy) return refuse(`${listener.value} is already listening to ${busy.agent}; stop that first`);
    const customerUuid =
      live.get(callId.value)?.uuid ?? agents.get(agent.value.username)?.state.destinationUUID;
    const nodeId = ctx.nodeOf(listener.value);
    if (!customerUuid || nodeId === undefined) return refuse(`no such call ${callId.value}`);
    const target = await agentLeg(nodeId, customerUuid);
    if (!target) return refuse(`the call of agent ${agent.value.username} is not connected yet`);

    const uuid = ctx.legs.newUuid();
    const entry: Listening = { uuid, nodeId, listener: listener.value, agent: agent.value.username };
    listening.set(listener.value, entry);
    const command = FsCommand.originate(
      {
        origination_uuid: uuid,
        origination_caller_id_number: agent.value.username,
        originate_timeout: ctx.ringSeconds,
        'sip_h_X-CC-Auto-Answer': 'true',
        cc_role: 'manager',
        cc_project: projectCode,
        [SUP_VAR]: supTag({
          kind: 'eavesdrop',
          listener: listener.value,
          agent: agent.value.username,
          project: projectCode,
          requester: p.username,
        }),
        ...eavesdropVars(mode.value),
      },
      FsDial.user(listener.value, ctx.domainOf(listener.value)),
      appString(FsApp.eavesdrop(target)),
    );
    ctx.detach(p, async () => {
      const r = await ctx.legs.originate({ uuid, nodeId, ended: ended(entry, p) }, command);
      if (!r.ok) {
        if (listening.get(entry.listener) === entry) listening.delete(entry.listener);
        return refuse(`phone ${listener.value} did not answer (${r.cause})`);
      }
      ctx.tell(p, 'success', `正在监听 ${agent.value.username} (${mode.value})`);
    });
  };

  const stopEavesdrop: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `结束监听失败: ${reason}`);
    const manager = requireManager(p, '/app/stopEavesdrop');
    if (!manager.ok) return refuse(manager.reason);
    const listener = listenerPhone(p, body, lookup, projectOf(p, body));
    const ext = listener.ok ? listener.value : (body.listenerExt ?? p.username);
    const entry = listening.get(String(ext));
    const agent = typeof body.username === 'string' ? body.username : undefined;
    if (!entry || (agent && entry.agent !== agent))
      return refuse(`${String(ext)} is not listening${agent ? ` to ${agent}` : ''}`);
    listening.delete(entry.listener);
    // Only the listening leg ends: the agent and the customer stay connected.
    await ctx.legs.kill(entry.nodeId, entry.uuid);
    ctx.tell(p, 'success', `已结束监听 ${entry.agent}`);
  };

  return { '/app/eavesdrop': eavesdrop, '/app/stopEavesdrop': stopEavesdrop };
}
