// scheduleType 1 (direct to agent), 2 (play, then agent) and 11 (inbound, queued): the answered customer is
// connected to the longest-idle available agent of the project (architecture §3). Agents who are busy or do not
// answer are skipped (up to maxAgentAttempts); with nobody free the customer waits (hold music) until an agent frees
// up or the wait ends (35, or 40 for the inbound queue). After the agent hangs up, the customer may rate the call.
import type { AgentRef, Effect, Flow, FlowEvent, FlowFacts, FlowSettings, LegInfo, Step } from './types.js';
import { Topics } from '../../core/topics.js';

type Phase =
  | 'playing'
  | 'seeking'
  | 'queued'
  | 'ringing'
  | 'talking'
  | 'transferring'
  | 'evaluating'
  | 'closing'
  | 'ended';

export interface ToAgentState {
  phase: Phase;
  callId: string;
  taskCode: string;
  telNo: string;
  inbound: boolean;
  evaluationEnabled: boolean;
  tried: string[];
  agent?: AgentRef;
  connectedAgent?: string;
  lastOutcome?: 'busy' | 'no-answer' | 'none-available';
  queueTimedOut: boolean;
  waiting: boolean;
  hungUpBy?: 'agent' | 'customer' | 'system';
  evaluation?: number;
  /** The agent who transferred the call away (told to the next agent on /topic/transfer). */
  transferredBy?: string;
}

/** FreeSWITCH's reason a bridge to the agent failed → what the result table calls it. */
function agentFailure(cause: string | undefined): 'busy' | 'no-answer' {
  return [
    'NO_ANSWER',
    'NO_USER_RESPONSE',
    'ALLOTTED_TIMEOUT',
    'ORIGINATOR_CANCEL',
    'RECOVERY_ON_TIMER_EXPIRE',
  ].includes(cause ?? '')
    ? 'no-answer'
    : 'busy';
}

export function toAgentFlow(settings: FlowSettings): Flow<ToAgentState> {
  const callBody = (s: ToAgentState) => ({ callId: s.callId, callTaskCode: s.taskCode, telNo: s.telNo });
  const step = (state: ToAgentState, effects: Effect[] = []): Step<ToAgentState> => ({ state, effects });
  const seek = (s: ToAgentState, extra: Effect[] = []): Step<ToAgentState> =>
    step({ ...s, phase: 'seeking', agent: undefined }, [...extra, { kind: 'find-agent', exclude: s.tried }]);
  const close = (s: ToAgentState, patch: Partial<ToAgentState>, extra: Effect[] = []): Step<ToAgentState> =>
    step({ ...s, ...patch, phase: 'closing' }, [...extra, { kind: 'hangup', cause: 'NORMAL_CLEARING' }]);
  const leaveQueue: Effect[] = [
    { kind: 'stop-waiting' },
    { kind: 'clear-timer', name: 'queue' },
    { kind: 'stop-media' },
  ];

  function onAgent(s: ToAgentState, agent: AgentRef | null): Step<ToAgentState> {
    if (agent) {
      const effects: Effect[] = s.phase === 'queued' ? [...leaveQueue] : [];
      effects.push(
        { kind: 'publish', destination: Topics.invite(agent.username), body: callBody(s) },
        { kind: 'bridge-agent', id: 'bridge', agent, ringSeconds: settings.agentRingSeconds },
      );
      return step({ ...s, phase: 'ringing', agent, tried: [...s.tried, agent.username] }, effects);
    }
    if (s.phase === 'queued') return step(s);
    return step({ ...s, phase: 'queued' }, [
      { kind: 'wait-for-agent' },
      { kind: 'set-timer', name: 'queue', ms: s.inbound ? settings.queueTimeoutMs : settings.agentWaitMs },
      { kind: 'hold-music', id: 'moh' },
    ]);
  }

  function onBridgeEnded(s: ToAgentState, cause: string | undefined): Step<ToAgentState> {
    const agent = s.agent;
    if (!agent) return step(s);
    if (s.phase === 'ringing') {
      const failed: Effect[] = [
        { kind: 'release-agent', username: agent.username },
        { kind: 'publish', destination: Topics.bye(agent.username), body: callBody(s) },
      ];
      const next = { ...s, lastOutcome: agentFailure(cause) };
      if (s.tried.length >= settings.maxAgentAttempts) return close(next, { agent: undefined }, failed);
      return seek(next, failed);
    }
    // The bridge ended with the customer still here: the agent hung up.
    const done: Effect[] = [
      { kind: 'agent-done', username: agent.username },
      { kind: 'publish', destination: Topics.bye(agent.username), body: callBody(s) },
    ];
    const ended = { ...s, hungUpBy: 'agent' as const, agent: undefined };
    if (s.evaluationEnabled)
      return step({ ...ended, phase: 'evaluating' }, [
        ...done,
        {
          kind: 'get-digits',
          id: 'rate',
          file: settings.evaluationFile,
          validDigits: '123',
          timeoutMs: 8000,
        },
      ]);
    return close(ended, {}, done);
  }

  // Blind transfer: the current agent is done at once; when its bridge ends, the customer rings the reserved
  // agent, who is told on /topic/transfer. From there it is an ordinary offer (busy/no answer → the next agent).
  function onTransfer(s: ToAgentState, e: FlowEvent & { kind: 'transfer' }): Step<ToAgentState> {
    if (s.phase !== 'talking' || s.agent?.username !== e.from)
      return step(s, [{ kind: 'release-agent', username: e.agent.username }]);
    return step({ ...s, phase: 'transferring', agent: e.agent, transferredBy: e.from }, [
      { kind: 'agent-done', username: e.from },
      { kind: 'publish', destination: Topics.bye(e.from), body: callBody(s) },
      { kind: 'kill-leg', uuid: e.agentLeg },
    ]);
  }

  function ringTransferTarget(s: ToAgentState): Step<ToAgentState> {
    const agent = s.agent;
    if (!agent) return step(s);
    return step({ ...s, phase: 'ringing', tried: [...s.tried, agent.username] }, [
      {
        kind: 'publish',
        destination: Topics.transfer(agent.username),
        body: { callId: s.callId, username: s.transferredBy ?? '', telNo: s.telNo },
      },
      { kind: 'bridge-agent', id: 'bridge', agent, ringSeconds: settings.agentRingSeconds },
    ]);
  }

  function onHangup(s: ToAgentState): Step<ToAgentState> {
    const effects: Effect[] = [];
    const agent = s.agent;
    if (agent && (s.phase === 'ringing' || s.phase === 'transferring'))
      effects.push({ kind: 'release-agent', username: agent.username });
    if (agent && s.phase === 'talking') effects.push({ kind: 'agent-done', username: agent.username });
    if (agent && (s.phase === 'ringing' || s.phase === 'talking'))
      effects.push({ kind: 'publish', destination: Topics.bye(agent.username), body: callBody(s) });
    if (s.phase === 'queued') effects.push({ kind: 'stop-waiting' });
    const hungUpBy = s.hungUpBy ?? (s.phase === 'closing' ? 'system' : 'customer');
    return step({ ...s, phase: 'ended', agent: undefined, hungUpBy }, effects);
  }

  return {
    name: 'to-agent',
    start(leg: LegInfo): Step<ToAgentState> {
      const s: ToAgentState = {
        phase: 'seeking',
        callId: leg.callId,
        taskCode: leg.taskCode,
        telNo: leg.role === 'customer' && leg.flow === 'inbound' ? leg.callerIdNumber : leg.destinationNumber,
        inbound: leg.flow === 'inbound',
        evaluationEnabled: leg.evaluation,
        tried: [],
        queueTimedOut: false,
        waiting: true,
      };
      const effects: Effect[] = leg.answered ? [] : [{ kind: 'answer', id: 'answer' }];
      effects.push({ kind: 'record' });
      if (leg.voiceFile)
        return step({ ...s, phase: 'playing' }, [
          ...effects,
          { kind: 'playback', id: 'voice', file: leg.voiceFile },
        ]);
      return seek(s, effects);
    },
    on(s: ToAgentState, e: FlowEvent): Step<ToAgentState> {
      if (s.phase === 'ended') return step(s);
      switch (e.kind) {
        case 'hangup':
          return onHangup(s);
        case 'executed':
          if (e.id === 'voice' && s.phase === 'playing') return seek(s);
          if (e.id === 'bridge' && (s.phase === 'ringing' || s.phase === 'talking'))
            return onBridgeEnded(s, e.cause);
          if (e.id === 'bridge' && s.phase === 'transferring') return ringTransferTarget(s);
          if (e.id === 'rate' && s.phase === 'evaluating') {
            const n = Number(e.digits);
            return close(s, { evaluation: n >= 1 && n <= 3 ? n : undefined });
          }
          return step(s);
        case 'agent':
          return s.phase === 'seeking' || s.phase === 'queued' ? onAgent(s, e.agent) : step(s);
        case 'transfer':
          return onTransfer(s, e);
        case 'agent-available':
          return s.phase === 'queued' ? step(s, [{ kind: 'find-agent', exclude: s.tried }]) : step(s);
        case 'bridged':
          if (s.phase !== 'ringing' || !s.agent) return step(s);
          return step({ ...s, phase: 'talking', waiting: false, connectedAgent: s.agent.username }, [
            { kind: 'agent-connected', username: s.agent.username },
            { kind: 'publish', destination: Topics.call(s.agent.username), body: callBody(s) },
          ]);
        case 'timer':
          if (e.name !== 'queue' || s.phase !== 'queued') return step(s);
          return close(
            s,
            { lastOutcome: s.lastOutcome ?? 'none-available', queueTimedOut: s.inbound, hungUpBy: 'system' },
            leaveQueue.filter((x) => x.kind !== 'clear-timer'),
          );
        default:
          return step(s);
      }
    },
    facts: (s): FlowFacts => ({
      agentConnected: s.connectedAgent !== undefined,
      waitingForAgent: s.connectedAgent === undefined && s.waiting,
      agentOutcome: s.connectedAgent ? undefined : s.lastOutcome,
      queueTimedOut: s.queueTimedOut,
      hungUpBy: s.hungUpBy,
      agent: s.connectedAgent,
      evaluation: s.evaluation,
      isCustomerCall: true,
    }),
    finished: (s) => s.phase === 'ended',
  };
}
