// The effect interpreter: one handler per effect kind, grouped by what they act on.
import type { Effect } from '../../flows/types.js';
import { agentEffects } from './agents.js';
import { amdEffects } from './amd.js';
import { bridgeEffects } from './bridges.js';
import type { EffectHandlers, LegContext } from './context.js';
import { heldLegEffects } from './held-legs.js';
import { legControlEffects } from './leg-control.js';
import { mediaEffects } from './media.js';

export const effectHandlers: EffectHandlers = {
  ...mediaEffects,
  ...legControlEffects,
  ...bridgeEffects,
  ...agentEffects,
  ...heldLegEffects,
  ...amdEffects,
};

/** Carries out one effect for the leg. */
export function perform(ctx: LegContext, e: Effect, handlers: EffectHandlers = effectHandlers): void {
  // The table is keyed by kind, so the handler found takes this very effect; TypeScript cannot follow that link.
  const handler = handlers[e.kind] as (ctx: LegContext, e: Effect) => void;
  handler(ctx, e);
}
