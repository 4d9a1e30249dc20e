// Effects on agents: finding and reserving one, waiting for one, and the agent's state along the call.
import { isOfferable } from '../../../agents/state.js';
import { FsCommand } from '../../../switch/fs-commands.js';
import type { EffectHandlers } from './context.js';

export const agentEffects = {
  'find-agent': (ctx, e) => {
    const { deps, leg } = ctx;
    // Agents holding an off-hook leg take customers through it, not on their (busy) phone. A test, not a copy:
    // every queued customer searches each time an agent frees up (issue 21).
    const found = deps.agents.reserveLongestIdle(leg.projectCode, leg.callId, {
      has: (u) => e.exclude.includes(u) || ctx.held.has(u),
    });
    const agent = found
      ? { username: found.username, domain: deps.services.agentDomain(found.username) }
      : null;
    // Seen as a new event right after the current step, in the same drain: the bridge command is written before
    // the reservation's STOMP messages leave.
    ctx.followUp({ kind: 'agent', agent });
  },
  'wait-for-agent': (ctx) => {
    const { deps, leg } = ctx;
    ctx.scratch.stopWaiting?.();
    ctx.scratch.stopWaiting = deps.agents.onChange((entry, before) => {
      if (entry.projectCode !== leg.projectCode || entry.type !== 2) return;
      // Only an agent who became offerable is news: waking every queued customer on each reserve and
      // connect as well made them cycle in lock-step behind a blocked event loop (issue 13).
      if (isOfferable(entry.state) && !isOfferable(before))
        queueMicrotask(() => ctx.push({ kind: 'agent-available' }));
    });
    // An agent freed between the failed search and this subscription (another leg's microtask) would
    // otherwise go unnoticed until some other agent frees up: look once more now that we listen.
    queueMicrotask(() => ctx.push({ kind: 'agent-available' }));
  },
  'stop-waiting': (ctx) => {
    ctx.scratch.stopWaiting?.();
    ctx.scratch.stopWaiting = undefined;
  },
  'release-agent': (ctx, e) =>
    void ctx.deps.agents.apply(e.username, { kind: 'release', callId: ctx.leg.callId }),
  'agent-connected': (ctx, e) => {
    const { deps, leg } = ctx;
    deps.agents.apply(e.username, {
      kind: 'connected',
      callId: leg.callId,
      destinationNumber: leg.destinationNumber,
      destinationUUID: leg.uuid,
    });
    const call = ctx.live.get(leg.callId);
    if (call) call.agent = e.username;
    // The CDR then names the agent even when this process is gone by the time the call ends.
    void ctx.session.api(FsCommand.setvar(leg.uuid, 'cc_agent', e.username));
  },
  'agent-done': (ctx, e) =>
    void ctx.deps.agents.apply(e.username, { kind: 'call-ended', callId: ctx.leg.callId }),
  'set-work': (ctx, e) => {
    const r = ctx.deps.agents.setWork(e.username, e.workStatus);
    if (!r.ok) ctx.deps.log.warn({ username: e.username, reason: r.reason }, 'agent code refused');
  },
} satisfies Partial<EffectHandlers>;
