// Bridging the leg to an agent's phone or, on an agent's leg, to the customer through the task's gateway.
import { FsApp, FsCommand, varsBlock } from '../../../switch/fs-commands.js';
import type { FlowEvent } from '../../flows/types.js';
import type { EffectHandlers, LegContext } from './context.js';

/** Why a bridge did not connect, from the application's CHANNEL_EXECUTE_COMPLETE. */
const bridgeCause = (h: Record<string, string>): Partial<FlowEvent & { kind: 'executed' }> => ({
  cause: h['variable_originate_disposition'] ?? h['variable_bridge_hangup_cause'] ?? h['variable_DIALSTATUS'],
});

/**
 * Without continue_on_fail FreeSWITCH hangs up this leg when its bridge fails with anything but NO_ANSWER,
 * NO_USER_RESPONSE or ORIGINATOR_CANCEL (switch_channel_handle_cause): a busy agent would end the customer's
 * call. Sent on the same socket before the bridge, so FreeSWITCH has it set when the bridge runs.
 */
function continueOnFail(ctx: LegContext): void {
  if (ctx.scratch.continuing) return;
  ctx.scratch.continuing = true;
  void ctx.session.api(FsCommand.setvar(ctx.leg.uuid, 'continue_on_fail', 'true'));
}

export const bridgeEffects = {
  'bridge-agent': (ctx, e) => {
    const { leg } = ctx;
    // The agent's phone shows the customer: the number we dialled, or the caller of an inbound call (whose
    // destination number is only our DID).
    const shown = leg.flow === 'inbound' ? leg.callerIdNumber : leg.destinationNumber || leg.callerIdNumber;
    const vars = varsBlock({
      leg_timeout: e.ringSeconds,
      'sip_h_X-CC-Auto-Answer': 'true',
      origination_caller_id_number: shown,
      origination_caller_id_name: shown,
      cc_role: 'agent',
      cc_call_id: leg.callId,
      cc_project: leg.projectCode,
      cc_task: leg.taskCode,
    });
    continueOnFail(ctx);
    ctx.execute(e.id, FsApp.bridge(`${vars}user/${e.agent.username}@${e.agent.domain}`), bridgeCause);
  },
  'bridge-customer': (ctx, e) => {
    const { leg } = ctx;
    const vars = varsBlock({
      origination_uuid: leg.callId,
      origination_caller_id_number: leg.customerCallerId,
      leg_timeout: e.ringSeconds,
      cc_role: 'customer',
      cc_call_id: leg.callId,
      cc_project: leg.projectCode,
      cc_task: leg.taskCode,
      cc_gw: leg.gatewayCode,
    });
    continueOnFail(ctx);
    ctx.execute(e.id, FsApp.bridge(`${vars}${leg.customerDial ?? ''}`), bridgeCause);
  },
} satisfies Partial<EffectHandlers>;
