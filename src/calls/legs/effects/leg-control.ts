// Effects on the leg's life and bookkeeping: hang-ups, variables, timers and the flow's STOMP messages.
import { FsApp, FsCommand } from '../../../switch/fs-commands.js';
import type { EffectHandlers } from './context.js';

export const legControlEffects = {
  hangup: (ctx, e) => void ctx.session.hangup(e.cause),
  'kill-leg': (ctx, e) => void ctx.session.api(FsCommand.kill(e.uuid)),
  'set-var': (ctx, e) => ctx.execute('set', FsApp.set(e.name, e.value)),
  'set-timer': (ctx, e) => {
    ctx.timers.get(e.name)?.cancel();
    ctx.timers.set(
      e.name,
      ctx.deps.clock.setTimer(e.ms, () => ctx.push({ kind: 'timer', name: e.name })),
    );
  },
  'clear-timer': (ctx, e) => {
    ctx.timers.get(e.name)?.cancel();
    ctx.timers.delete(e.name);
  },
  publish: (ctx, e) => void ctx.deps.publisher.publish(e.destination, e.body),
} satisfies Partial<EffectHandlers>;
