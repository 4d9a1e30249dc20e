// The agent's own in-call actions (spec 三.23–25): play a registered voice to the customer (uuid_broadcast on the
// customer leg, which FreeSWITCH plays from inside the bridge), stop it (uuid_break), and blind-transfer the
// customer to another agent of the project. The transfer is an event into the call's flow (to-agent.ts): the flow
// drops the current agent's leg and rings the reserved agent, so the same call (and call log) carries on.
import type { AppCommand } from '../agents/commands.js';
import { FsCommand } from '../switch/fs-commands.js';
import type { LiveCall } from '../calls/legs/types.js';
import type { SupervisorContext } from './context.js';
import { inCallActor, projectOf, text } from './rules.js';

export function inCallCommands(ctx: SupervisorContext): Record<string, AppCommand> {
  const { agents, live, repos } = ctx.d;

  /** The live call named in the body, with the requester as its agent; or the reason. */
  function myCall(
    p: Parameters<AppCommand>[0],
    body: Record<string, unknown>,
    command: string,
  ): { ok: true; call: LiveCall; agent: string } | { ok: false; reason: string } {
    const callId = text(body, 'callId');
    if (!callId) return { ok: false, reason: 'callId is required' };
    const call = live.get(callId);
    if (!call) return { ok: false, reason: `no such call ${callId}` };
    const actor = inCallActor(p, body, call.agent, command);
    if (!actor.ok) return actor;
    return { ok: true, call, agent: actor.value };
  }

  const playVoice: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `播放语音失败: ${reason}`);
    const mine = myCall(p, body, '/app/playVoice');
    if (!mine.ok) return refuse(mine.reason);
    const voiceCode = text(body, 'voiceCode');
    if (!voiceCode) return refuse('voiceCode is required');
    const voice = await repos.voices.byCode(voiceCode);
    if (!voice) return refuse(`no voice ${voiceCode} (upload it with uploadVoiceFile)`);
    const r = await mine.call.session.api(FsCommand.broadcast(mine.call.uuid, voice.filePath, 'aleg'));
    if (!r.ok || r.value.startsWith('-ERR'))
      return refuse(`the call has ended (${r.ok ? r.value.trim() : r.error.text})`);
    ctx.tell(p, 'success', `正在播放语音 ${voiceCode}`);
  };

  const stopPlayVoice: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `停止播放失败: ${reason}`);
    const mine = myCall(p, body, '/app/stopPlayVoice');
    if (!mine.ok) return refuse(mine.reason);
    // uuid_break ends the playing file and drops queued ones; the bridge to the agent is not affected.
    const r = await mine.call.session.api(FsCommand.break(mine.call.uuid));
    if (!r.ok || r.value.startsWith('-ERR'))
      return refuse(`the call has ended (${r.ok ? r.value.trim() : r.error.text})`);
    ctx.tell(p, 'success', '已停止播放语音');
  };

  const transfer: AppCommand = async (p, body) => {
    const refuse = (reason: string) => ctx.tell(p, 'error', `转接失败: ${reason}`);
    const mine = myCall(p, body, '/app/transfer');
    if (!mine.ok) return refuse(mine.reason);
    const { call, agent } = mine;
    const projectCode = call.projectCode || projectOf(p, body);
    const other = text(body, 'otherUsername');
    if (other === agent) return refuse('cannot transfer a call to yourself');
    const target = other
      ? agents.get(other)
      : agents.reserveLongestIdle(projectCode, call.callId, new Set([agent]));
    if (!target || target.projectCode !== projectCode || target.type !== 2)
      return refuse(
        other ? `${other} is not an agent of project ${projectCode}` : 'no other agent is available',
      );
    if (other) {
      const r = agents.apply(other, { kind: 'reserve', callId: call.callId });
      if (!r.ok) return refuse(`agent ${other} is not available`);
    }
    const release = () => agents.apply(target.username, { kind: 'release', callId: call.callId });
    const leg = await call.session.api(FsCommand.getvar(call.uuid, 'bridge_uuid'));
    const agentLeg = leg.ok ? leg.value.trim() : '';
    if (!agentLeg || agentLeg === '_undef_' || agentLeg.startsWith('-ERR')) {
      release();
      return refuse('the call is not connected to you');
    }
    if (!live.has(call.callId)) {
      release();
      return refuse(`the call ${call.callId} has ended`);
    }
    call.signal({
      kind: 'transfer',
      agent: { username: target.username, domain: ctx.domainOf(target.username) },
      from: agent,
      agentLeg,
    });
    ctx.tell(p, 'success', `已转接给 ${target.username}`);
  };

  return { '/app/playVoice': playVoice, '/app/stopPlayVoice': stopPlayVoice, '/app/transfer': transfer };
}
