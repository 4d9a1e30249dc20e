// scheduleType 5: the customer answers, hears the task's voice, and we hang up (architecture §3).
import type { Flow, FlowFacts, Step } from './types.js';

interface PlayOnlyState {
  phase: 'answering' | 'playing' | 'hanging-up' | 'ended';
  hungUpBy?: 'customer' | 'system';
}

export const playOnlyFlow: Flow<PlayOnlyState> = {
  name: 'play',
  start(leg): Step<PlayOnlyState> {
    const effects: Step<PlayOnlyState>['effects'] = [];
    if (!leg.answered) effects.push({ kind: 'answer', id: 'answer' });
    if (!leg.voiceFile)
      return {
        state: { phase: 'hanging-up', hungUpBy: 'system' },
        effects: [...effects, { kind: 'hangup', cause: 'NORMAL_CLEARING' }],
      };
    effects.push({ kind: 'record' }, { kind: 'playback', id: 'voice', file: leg.voiceFile });
    return { state: { phase: 'playing' }, effects };
  },
  on(state, event): Step<PlayOnlyState> {
    if (event.kind === 'hangup') {
      return { state: { phase: 'ended', hungUpBy: state.hungUpBy ?? 'customer' }, effects: [] };
    }
    if (event.kind === 'executed' && event.id === 'voice' && state.phase === 'playing')
      return {
        state: { phase: 'hanging-up', hungUpBy: 'system' },
        effects: [{ kind: 'hangup', cause: 'NORMAL_CLEARING' }],
      };
    return { state, effects: [] };
  },
  facts: (s): FlowFacts => ({
    agentConnected: false,
    waitingForAgent: false,
    playOnly: true,
    hungUpBy: s.hungUpBy,
    isCustomerCall: true,
  }),
  finished: (s) => s.phase === 'ended',
};
