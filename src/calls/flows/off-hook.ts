// scheduleType 4, off-hook agents (architecture §3): the agent dials fifo<projectCode> once and that leg is held
// with music; an answered customer of the project is connected to a held leg at once (uuid_bridge), and when the
// customer leaves FreeSWITCH parks the agent's leg again (park_after_bridge) and it goes back to waiting.
// Two flows: the agent's held leg (cc_flow=fifo) and the customer's leg (cc_flow=off-hook).
import type { Effect, Flow, FlowEvent, FlowFacts, FlowSettings, LegInfo, Step } from './types.js';
import { Topics } from '../../core/topics.js';

interface HeldLegState {
  phase: 'holding' | 'bridged' | 'closing' | 'ended';
  agent: string;
  accepted: boolean;
}

const HOLD: Effect = { kind: 'hold-music', id: 'moh' };

/** The off-hook agent's own leg: answered, made available, held with music between customers. */
export function heldLegFlow(): Flow<HeldLegState> {
  const step = (state: HeldLegState, effects: Effect[] = []): Step<HeldLegState> => ({ state, effects });
  return {
    name: 'off-hook-agent',
    start(leg: LegInfo): Step<HeldLegState> {
      const effects: Effect[] = leg.answered ? [] : [{ kind: 'answer', id: 'answer' }];
      // Set before any bridge: without it FreeSWITCH hangs the agent up with the first customer.
      effects.push({ kind: 'set-var', name: 'park_after_bridge', value: 'true' }, { kind: 'offer-held-leg' });
      return step({ phase: 'holding', agent: leg.callerIdNumber, accepted: false }, effects);
    },
    on(s: HeldLegState, e: FlowEvent): Step<HeldLegState> {
      if (s.phase === 'ended') return step(s);
      switch (e.kind) {
        case 'held':
          if (!e.ok) return step({ ...s, phase: 'closing' }, [{ kind: 'hangup', cause: 'CALL_REJECTED' }]);
          return step({ ...s, accepted: true }, [
            { kind: 'set-work', username: s.agent, workStatus: 1 },
            HOLD,
          ]);
        case 'seized':
          return s.phase === 'holding' ? step({ ...s, phase: 'bridged' }) : step(s);
        case 'unbridged':
          return s.phase === 'bridged' ? step({ ...s, phase: 'holding' }, [HOLD]) : step(s);
        case 'executed':
          // The music ended on its own (or was broken by a bridge): play it again while still waiting.
          return e.id === 'moh' && e.ok && s.phase === 'holding' && s.accepted ? step(s, [HOLD]) : step(s);
        case 'hangup':
          // Hanging up the held leg is how an off-hook agent stops taking calls.
          return step(
            { ...s, phase: 'ended' },
            s.accepted
              ? [{ kind: 'withdraw-held-leg' }, { kind: 'set-work', username: s.agent, workStatus: 0 }]
              : [],
          );
        default:
          return step(s);
      }
    },
    facts: (): FlowFacts => ({ agentConnected: false, waitingForAgent: false, isCustomerCall: false }),
    finished: (s) => s.phase === 'ended',
  };
}

interface OffHookCustomerState {
  phase: 'seeking' | 'queued' | 'connecting' | 'talking' | 'closing' | 'ended';
  callId: string;
  taskCode: string;
  telNo: string;
  tried: string[];
  agent?: string;
  connectedAgent?: string;
  lastOutcome?: 'busy' | 'none-available';
  hungUpBy?: 'agent' | 'customer' | 'system';
}

/** The customer's leg: connected at once to the longest-idle held agent leg of the project, else it waits. */
export function offHookCustomerFlow(
  settings: Pick<FlowSettings, 'agentWaitMs' | 'maxAgentAttempts'>,
): Flow<OffHookCustomerState> {
  const step = (state: OffHookCustomerState, effects: Effect[] = []): Step<OffHookCustomerState> => ({
    state,
    effects,
  });
  const body = (s: OffHookCustomerState) => ({ callId: s.callId, callTaskCode: s.taskCode, telNo: s.telNo });
  const seek = (s: OffHookCustomerState, extra: Effect[] = []): Step<OffHookCustomerState> =>
    step({ ...s, phase: 'seeking', agent: undefined }, [
      ...extra,
      { kind: 'find-held-agent', exclude: s.tried },
    ]);
  const close = (s: OffHookCustomerState, extra: Effect[] = []): Step<OffHookCustomerState> =>
    step({ ...s, phase: 'closing', hungUpBy: 'system' }, [
      ...extra,
      { kind: 'hangup', cause: 'NORMAL_CLEARING' },
    ]);

  function onAgent(s: OffHookCustomerState, agent: { username: string; leg: string } | null) {
    if (agent) {
      const effects: Effect[] =
        s.phase === 'queued'
          ? [{ kind: 'stop-waiting' }, { kind: 'clear-timer', name: 'queue' }, { kind: 'stop-media' }]
          : [];
      effects.push({ kind: 'bridge-held', id: 'bridge', agent: agent.username, leg: agent.leg });
      return step(
        { ...s, phase: 'connecting', agent: agent.username, tried: [...s.tried, agent.username] },
        effects,
      );
    }
    if (s.phase === 'queued') return step(s);
    return step({ ...s, phase: 'queued' }, [
      { kind: 'wait-for-agent' },
      { kind: 'set-timer', name: 'queue', ms: settings.agentWaitMs },
      { kind: 'hold-music', id: 'moh' },
    ]);
  }

  function onHangup(s: OffHookCustomerState): Step<OffHookCustomerState> {
    const effects: Effect[] = [];
    if (s.agent && s.phase === 'connecting') effects.push({ kind: 'release-agent', username: s.agent });
    if (s.agent && s.phase === 'talking')
      effects.push(
        { kind: 'agent-done', username: s.agent },
        { kind: 'publish', destination: Topics.bye(s.agent), body: body(s) },
      );
    if (s.phase === 'queued') effects.push({ kind: 'stop-waiting' });
    // While talking, who sent BYE is read from the SIP disposition (the agent's hangup kills this leg: send_bye).
    const hungUpBy = s.hungUpBy ?? (s.phase === 'talking' ? undefined : 'customer');
    return step({ ...s, phase: 'ended', agent: undefined, hungUpBy }, effects);
  }

  return {
    name: 'off-hook-customer',
    start(leg: LegInfo): Step<OffHookCustomerState> {
      const s: OffHookCustomerState = {
        phase: 'seeking',
        callId: leg.callId,
        taskCode: leg.taskCode,
        telNo: leg.destinationNumber,
        tried: [],
      };
      const effects: Effect[] = leg.answered ? [] : [{ kind: 'answer', id: 'answer' }];
      return seek(s, [...effects, { kind: 'record' }]);
    },
    on(s: OffHookCustomerState, e: FlowEvent): Step<OffHookCustomerState> {
      if (s.phase === 'ended') return step(s);
      switch (e.kind) {
        case 'hangup':
          return onHangup(s);
        case 'held-agent':
          return s.phase === 'seeking' || s.phase === 'queued' ? onAgent(s, e.agent) : step(s);
        case 'agent-available':
          return s.phase === 'queued' ? step(s, [{ kind: 'find-held-agent', exclude: s.tried }]) : step(s);
        case 'bridged':
          if (s.phase !== 'connecting' || !s.agent) return step(s);
          return step({ ...s, phase: 'talking', connectedAgent: s.agent }, [
            { kind: 'agent-connected', username: s.agent },
            { kind: 'publish', destination: Topics.call(s.agent), body: body(s) },
          ]);
        case 'executed': {
          // uuid_bridge refused (the held leg went away meanwhile): try the next held leg.
          if (e.id !== 'bridge' || e.ok || s.phase !== 'connecting' || !s.agent) return step(s);
          const released: Effect[] = [{ kind: 'release-agent', username: s.agent }];
          const next = { ...s, lastOutcome: 'busy' as const };
          return s.tried.length >= settings.maxAgentAttempts ? close(next, released) : seek(next, released);
        }
        case 'timer':
          if (e.name !== 'queue' || s.phase !== 'queued') return step(s);
          return close({ ...s, lastOutcome: s.lastOutcome ?? 'none-available' }, [
            { kind: 'stop-waiting' },
            { kind: 'stop-media' },
          ]);
        default:
          return step(s);
      }
    },
    facts: (s): FlowFacts => ({
      agentConnected: s.connectedAgent !== undefined,
      waitingForAgent: s.connectedAgent === undefined,
      agentOutcome: s.connectedAgent ? undefined : s.lastOutcome,
      hungUpBy: s.hungUpBy,
      agent: s.connectedAgent,
      isCustomerCall: true,
    }),
    finished: (s) => s.phase === 'ended',
  };
}
