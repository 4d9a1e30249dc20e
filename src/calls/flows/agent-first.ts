// scheduleType 3 (agent first), callType 2 (preview) and /app/call: we rang the agent first (originate user/EXT with
// the socket app); now that the agent has answered, the agent's leg bridges to the customer through the gateway the
// originator chose (cc_dial). The leg is the agent's, so the customer's outcome comes from the bridge: its failure
// cause when the customer never answered, CHANNEL_BRIDGE when they did (architecture §3, issue 5).
import type { Effect, Flow, FlowEvent, FlowFacts, FlowSettings, LegInfo, Step } from './types.js';
import { Topics } from '../../core/topics.js';

export interface AgentFirstState {
  phase: 'dialing' | 'talking' | 'closing' | 'ended';
  callId: string;
  taskCode: string;
  telNo: string;
  agent: string;
  customerAnsweredAt?: number;
  /** Why the bridge to the customer ended (originate_disposition, or the customer's hangup cause). */
  customerCause?: string;
  hungUpBy?: 'agent' | 'customer' | 'system';
}

export function agentFirstFlow(settings: Pick<FlowSettings, 'customerRingSeconds'>): Flow<AgentFirstState> {
  const step = (state: AgentFirstState, effects: Effect[] = []): Step<AgentFirstState> => ({
    state,
    effects,
  });
  const body = (s: AgentFirstState) => ({ callId: s.callId, callTaskCode: s.taskCode, telNo: s.telNo });
  const bye = (s: AgentFirstState): Effect => ({
    kind: 'publish',
    destination: Topics.bye(s.agent),
    body: body(s),
  });

  /** The agent is free again: released if the customer never answered, done if they talked. */
  const freeAgent = (s: AgentFirstState): Effect[] => [
    s.phase === 'talking'
      ? { kind: 'agent-done', username: s.agent }
      : { kind: 'release-agent', username: s.agent },
    bye(s),
  ];

  function onBridgeEnded(s: AgentFirstState, e: FlowEvent & { kind: 'executed' }): Step<AgentFirstState> {
    // The bridge returned with the agent still on the line: the customer never answered, or hung up.
    const hungUpBy = s.phase === 'talking' ? ('customer' as const) : s.hungUpBy;
    const cause = s.phase === 'talking' ? 'NORMAL_CLEARING' : e.cause || 'NORMAL_TEMPORARY_FAILURE';
    return step({ ...s, phase: 'closing', hungUpBy, customerCause: s.customerCause ?? cause }, [
      ...freeAgent(s),
      { kind: 'hangup', cause: 'NORMAL_CLEARING' },
    ]);
  }

  function onHangup(s: AgentFirstState): Step<AgentFirstState> {
    if (s.phase === 'closing') return step({ ...s, phase: 'ended' });
    // The agent hung up: while the customer rang we cancelled it (ORIGINATOR_CANCEL), else the agent ended the talk.
    const ended: AgentFirstState = {
      ...s,
      phase: 'ended',
      hungUpBy: 'agent',
      customerCause: s.customerCause ?? (s.phase === 'talking' ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'),
    };
    return step(ended, freeAgent(s));
  }

  return {
    name: 'agent-first',
    start(leg: LegInfo): Step<AgentFirstState> {
      const s: AgentFirstState = {
        phase: 'dialing',
        callId: leg.callId,
        taskCode: leg.taskCode,
        telNo: leg.destinationNumber,
        agent: leg.agent || leg.callerIdNumber,
      };
      const effects: Effect[] = leg.answered ? [] : [{ kind: 'answer', id: 'answer' }];
      if (!leg.customerDial)
        // Nothing to dial: the originator always sets cc_dial, so this is a leg someone else sent us.
        return step({ ...s, phase: 'closing', customerCause: 'NO_ROUTE_DESTINATION', hungUpBy: 'system' }, [
          ...effects,
          { kind: 'release-agent', username: s.agent },
          { kind: 'hangup', cause: 'NO_ROUTE_DESTINATION' },
        ]);
      return step(s, [
        ...effects,
        { kind: 'record' },
        { kind: 'publish', destination: Topics.call(s.agent), body: body(s) },
        { kind: 'bridge-customer', id: 'bridge', ringSeconds: settings.customerRingSeconds },
      ]);
    },
    on(s: AgentFirstState, e: FlowEvent, now: number): Step<AgentFirstState> {
      if (s.phase === 'ended') return step(s);
      switch (e.kind) {
        case 'hangup':
          return onHangup(s);
        case 'bridged':
          if (s.phase !== 'dialing') return step(s);
          return step({ ...s, phase: 'talking', customerAnsweredAt: now }, [
            { kind: 'agent-connected', username: s.agent },
          ]);
        case 'executed':
          if (e.id !== 'bridge' || (s.phase !== 'dialing' && s.phase !== 'talking')) return step(s);
          // The execute failed because this leg is gone: the agent hung up (the hangup event may come later).
          if (!e.ok && e.cause === 'hangup') return onHangup(s);
          return onBridgeEnded(s, e);
        default:
          return step(s);
      }
    },
    facts: (s): FlowFacts => ({
      agentConnected: s.customerAnsweredAt !== undefined,
      waitingForAgent: false,
      hungUpBy: s.hungUpBy,
      agent: s.agent,
      isCustomerCall: true,
      customer: {
        answered: s.customerAnsweredAt !== undefined,
        answeredAt: s.customerAnsweredAt,
        hangupCause: s.customerCause ?? 'NORMAL_CLEARING',
      },
    }),
    finished: (s) => s.phase === 'ended',
  };
}
