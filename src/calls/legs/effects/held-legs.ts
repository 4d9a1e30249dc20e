// Off-hook agents (scheduleType 4): the agent's held leg offers itself, and customers are bridged to a held leg.
import { FsCommand } from '../../../switch/fs-commands.js';
import type { EffectHandlers } from './context.js';

export const heldLegEffects = {
  'offer-held-leg': (ctx) => {
    const { deps, leg } = ctx;
    const agent = deps.agents.get(leg.callerIdNumber);
    const ok = agent?.projectCode === leg.projectCode && agent.type === 2;
    if (ok)
      ctx.held.set(leg.callerIdNumber, {
        uuid: leg.uuid,
        projectCode: leg.projectCode,
        signal: (ev) => ctx.push(ev),
      });
    const reason = ok
      ? undefined
      : `extension ${leg.callerIdNumber} is not an agent of project ${leg.projectCode}`;
    queueMicrotask(() => ctx.push({ kind: 'held', ok, reason }));
  },
  'withdraw-held-leg': (ctx) => {
    const { leg } = ctx;
    if (ctx.held.get(leg.callerIdNumber)?.uuid === leg.uuid) ctx.held.delete(leg.callerIdNumber);
  },
  'find-held-agent': (ctx, e) => {
    const { deps, leg } = ctx;
    const holders = [...ctx.held].filter(([, h]) => h.projectCode === leg.projectCode);
    // Only agents holding a leg take these customers.
    const found = deps.agents.reserveLongestIdle(leg.projectCode, leg.callId, {
      has: (u) => e.exclude.includes(u) || !ctx.held.has(u),
    });
    const holder = found && holders.find(([u]) => u === found.username);
    const agent = holder ? { username: holder[0], leg: holder[1].uuid } : null;
    queueMicrotask(() => ctx.push({ kind: 'held-agent', agent }));
  },
  'bridge-held': (ctx, e) => {
    ctx.held.get(e.agent)?.signal({ kind: 'seized', callId: ctx.leg.callId });
    void ctx.session.api(FsCommand.bridge(ctx.leg.uuid, e.leg)).then((r) => {
      if (!r.ok || r.value.startsWith('-ERR')) {
        ctx.held.get(e.agent)?.signal({ kind: 'unbridged' });
        ctx.push({
          kind: 'executed',
          id: e.id,
          ok: false,
          response: '',
          cause: r.ok ? r.value : r.error.text,
        });
      }
    });
  },
} satisfies Partial<EffectHandlers>;
