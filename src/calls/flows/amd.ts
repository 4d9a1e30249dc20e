// Answering-machine detection in front of a task's flow (issue 23), as a pure wrapper: while the customer's first
// seconds are analysed the leg's own flow has not started; a human (or "not sure") starts it at once, a machine
// is hung up on or gets the task's message after its beep. Effects stay data: the runner starts and stops the
// audio stream (`amd-listen`, `amd-wait-beep`, `amd-stop`, legs/effects/amd.ts), feeds the detector's verdicts back
// as events and carries out the rest as usual.
import type { AmdOutcome, Effect, Flow, FlowEvent, FlowFacts, LegInfo, Step } from './types.js';

/** What to do with a machine: hang up, or play `file` after the beep, then hang up. */
type MachineAction = { kind: 'hangup' } | { kind: 'message'; file: string };

export interface AmdPolicy {
  machine: MachineAction;
  /** Wall-clock limit on the analysis (a stream that never comes): then the call goes on as "not sure". */
  guardMs: number;
}

type AmdState<S> =
  | {
      phase: 'listening' | 'waiting-beep' | 'messaging' | 'closing' | 'ended';
      leg: LegInfo;
      amd?: AmdOutcome;
      hungUpBy?: 'customer' | 'system';
    }
  | { phase: 'inner'; inner: S; amd: AmdOutcome };

const GUARD_TIMER = 'amd-guard';
const MESSAGE_ID = 'amd-message';

export function withAmd<S>(inner: Flow<S>, policy: AmdPolicy): Flow<AmdState<S>> {
  type St = AmdState<S>;
  type Own = Extract<St, { leg: LegInfo }>;
  const step = (state: St, effects: Effect[] = []): Step<St> => ({ state, effects });
  const hangup: Effect = { kind: 'hangup', cause: 'NORMAL_CLEARING' };
  const cleared: Effect = { kind: 'clear-timer', name: GUARD_TIMER };

  function goOn(leg: LegInfo, amd: AmdOutcome, now: number): Step<St> {
    // The task's flow starts in the same step as the verdict: for a human with an idle agent, the bridge command
    // leaves with the stream's stop, and nothing (no database, no round trip) stands in between.
    const first: Step<S> = inner.start(leg, now);
    const stop: Effect[] = [cleared, { kind: 'amd-stop' }, { kind: 'amd-decided', outcome: amd }];
    return step({ phase: 'inner', inner: first.state, amd }, [...stop, ...first.effects]);
  }

  function onMachine(s: Own, amd: AmdOutcome): Step<St> {
    const decided: Effect = { kind: 'amd-decided', outcome: amd };
    if (policy.machine.kind === 'hangup')
      return step({ ...s, phase: 'closing', amd }, [cleared, { kind: 'amd-stop' }, decided, hangup]);
    return step({ ...s, phase: 'waiting-beep', amd }, [cleared, decided, { kind: 'amd-wait-beep' }]);
  }

  function onOwn(s: Own, e: FlowEvent, now: number): Step<St> {
    if (e.kind === 'hangup') {
      const hungUpBy = s.phase === 'closing' ? 'system' : 'customer';
      return step({ ...s, phase: 'ended', hungUpBy }, [cleared, { kind: 'amd-stop' }]);
    }
    if (s.phase === 'listening') {
      if (e.kind === 'amd-verdict') {
        const amd = { verdict: e.verdict, reason: e.reason, atMs: e.atMs };
        return e.verdict === 'machine' ? onMachine(s, amd) : goOn(s.leg, amd, now);
      }
      if (e.kind === 'timer' && e.name === GUARD_TIMER)
        return goOn(s.leg, { verdict: 'notsure', reason: 'no-audio', atMs: 0 }, now);
    }
    if (s.phase === 'waiting-beep' && policy.machine.kind === 'message' && e.kind === 'amd-beep') {
      const amd = s.amd && { ...s.amd, message: true };
      return step({ ...s, phase: 'messaging', amd }, [
        { kind: 'amd-stop' },
        { kind: 'playback', id: MESSAGE_ID, file: policy.machine.file },
      ]);
    }
    if (s.phase === 'messaging' && e.kind === 'executed' && e.id === MESSAGE_ID)
      return step({ ...s, phase: 'closing' }, [hangup]);
    return step(s);
  }

  return {
    name: `amd+${inner.name}`,
    start: (leg) =>
      step({ phase: 'listening', leg }, [
        { kind: 'amd-listen' },
        { kind: 'set-timer', name: GUARD_TIMER, ms: policy.guardMs },
      ]),
    on(s, e, now) {
      if (s.phase !== 'inner') return onOwn(s, e, now);
      // Late detector events (a verdict racing the start) mean nothing to the task's flow.
      if (e.kind === 'amd-verdict' || e.kind === 'amd-beep') return step(s);
      const next = inner.on(s.inner, e, now);
      return step({ ...s, inner: next.state }, next.effects);
    },
    facts(s): FlowFacts {
      if (s.phase === 'inner') return { ...inner.facts(s.inner), amd: s.amd };
      // Hung up while listening: a person who left before the verdict waited for an agent from the answer on.
      return {
        agentConnected: false,
        waitingForAgent: s.amd === undefined,
        hungUpBy: s.hungUpBy,
        isCustomerCall: true,
        amd: s.amd,
      };
    },
    finished: (s) => (s.phase === 'inner' ? inner.finished(s.inner) : s.phase === 'ended'),
  };
}
