// Dial codes agent_login / agent_logoff (spec 二.9): answer, set the agent's availability, confirm with a tone,
// hang up.
import type { Effect, Flow, FlowFacts, Step } from './types.js';

interface AgentCodeState {
  phase: 'confirming' | 'ended';
}

export function agentCodeFlow(confirmTone: string): Flow<AgentCodeState> {
  return {
    name: 'agent-code',
    start(leg): Step<AgentCodeState> {
      const effects: Effect[] = [];
      if (!leg.answered) effects.push({ kind: 'answer', id: 'answer' });
      effects.push(
        { kind: 'set-work', username: leg.callerIdNumber, workStatus: leg.flow === 'agent_login' ? 1 : 0 },
        { kind: 'playback', id: 'tone', file: confirmTone },
      );
      return { state: { phase: 'confirming' }, effects };
    },
    on(state, event): Step<AgentCodeState> {
      if (event.kind === 'hangup') return { state: { phase: 'ended' }, effects: [] };
      if (event.kind === 'executed' && event.id === 'tone')
        return { state, effects: [{ kind: 'hangup', cause: 'NORMAL_CLEARING' }] };
      return { state, effects: [] };
    },
    facts: (): FlowFacts => ({ agentConnected: false, waitingForAgent: false, isCustomerCall: false }),
    finished: (s) => s.phase === 'ended',
  };
}
