// Answering-machine detection in front of a task's flow (issue 23), as a pure wrapper: while the customer's first
// seconds are analysed the leg's own flow has not started; a human (or "not sure") starts it at once, a machine
// is hung up on or gets the task's message after its beep. Effects stay data: the runner starts and stops the
// audio stream (`amd-listen`, `amd-stop`), feeds the verdicts back as events and carries out the rest as usual.
// Not yet used by the runner (see README, "Answering-machine detection").
import type { Effect, Flow, FlowEvent, FlowFacts, LegInfo, Step } from './types.js';

type AmdVerdictKind = 'human' | 'machine' | 'notsure';

/** What to do with a machine: hang up, or play `file` after the beep, then hang up. */
type MachineAction = { kind: 'hangup' } | { kind: 'message'; file: string };

export interface AmdPolicy {
  machine: MachineAction;
  /** Wall-clock limit on the analysis (a stream that never comes): then the call goes on as "not sure". */
  guardMs: number;
}

export type AmdFlowEvent =
  | FlowEvent
  /** The classifier's verdict (calls/amd/classifier.ts), `atMs` of audio after the answer. */
  | { kind: 'amd-verdict'; verdict: AmdVerdictKind; reason: string; atMs: number }
  /** After a machine verdict with a message: the beep (or the greeting's end, or the wait's limit). */
  | { kind: 'amd-beep'; reason: 'beep' | 'silence' | 'timeout' };

type AmdEffect =
  | Effect
  /** Start streaming this leg's audio to the classifier. */
  | { kind: 'amd-listen' }
  /** Keep streaming, now to the beep detector. */
  | { kind: 'amd-wait-beep' }
  /** Stop feeding the classifier (FreeSWITCH 1.11.1 has no nounicast: its next playback or the hangup stops it). */
  | { kind: 'amd-stop' };

interface AmdOutcome {
  verdict: AmdVerdictKind;
  reason: string;
  atMs: number;
}

type AmdState<S> =
  | {
      phase: 'listening' | 'waiting-beep' | 'messaging' | 'closing' | 'ended';
      leg: LegInfo;
      amd?: AmdOutcome;
      hungUpBy?: 'customer' | 'system';
    }
  | { phase: 'inner'; inner: S; amd: AmdOutcome };

interface AmdStep<S> {
  state: AmdState<S>;
  effects: AmdEffect[];
}

/** Call facts with the detector's verdict (a machine's call log carries it; results.ts decides the codes). */
type AmdFacts = FlowFacts & { amd?: AmdOutcome };

const GUARD_TIMER = 'amd-guard';
const MESSAGE_ID = 'amd-message';

interface AmdFlow<S> {
  readonly name: string;
  start(leg: LegInfo, now: number): AmdStep<S>;
  on(state: AmdState<S>, event: AmdFlowEvent, now: number): AmdStep<S>;
  facts(state: AmdState<S>): AmdFacts;
  finished(state: AmdState<S>): boolean;
}

export function withAmd<S>(inner: Flow<S>, policy: AmdPolicy): AmdFlow<S> {
  type St = AmdState<S>;
  const step = (state: St, effects: AmdEffect[] = []): AmdStep<S> => ({ state, effects });
  const hangup: Effect = { kind: 'hangup', cause: 'NORMAL_CLEARING' };

  function goOn(leg: LegInfo, amd: AmdOutcome, now: number): AmdStep<S> {
    const first: Step<S> = inner.start(leg, now);
    const stop: AmdEffect[] = [{ kind: 'clear-timer', name: GUARD_TIMER }, { kind: 'amd-stop' }];
    return step({ phase: 'inner', inner: first.state, amd }, [...stop, ...first.effects]);
  }

  function onMachine(s: Extract<St, { leg: LegInfo }>, amd: AmdOutcome): AmdStep<S> {
    const cleared: AmdEffect = { kind: 'clear-timer', name: GUARD_TIMER };
    if (policy.machine.kind === 'hangup')
      return step({ ...s, phase: 'closing', amd }, [cleared, { kind: 'amd-stop' }, hangup]);
    return step({ ...s, phase: 'waiting-beep', amd }, [cleared, { kind: 'amd-wait-beep' }]);
  }

  function onOwn(s: Extract<St, { leg: LegInfo }>, e: AmdFlowEvent, now: number): AmdStep<S> {
    if (e.kind === 'hangup') {
      const hungUpBy = s.phase === 'closing' ? 'system' : 'customer';
      return step({ ...s, phase: 'ended', hungUpBy }, [
        { kind: 'clear-timer', name: GUARD_TIMER },
        { kind: 'amd-stop' },
      ]);
    }
    if (s.phase === 'listening') {
      if (e.kind === 'amd-verdict') {
        const amd = { verdict: e.verdict, reason: e.reason, atMs: e.atMs };
        return e.verdict === 'machine' ? onMachine(s, amd) : goOn(s.leg, amd, now);
      }
      if (e.kind === 'timer' && e.name === GUARD_TIMER)
        return goOn(s.leg, { verdict: 'notsure', reason: 'no-audio', atMs: 0 }, now);
    }
    if (s.phase === 'waiting-beep' && policy.machine.kind === 'message' && e.kind === 'amd-beep')
      return step({ ...s, phase: 'messaging' }, [
        { kind: 'amd-stop' },
        { kind: 'playback', id: MESSAGE_ID, file: policy.machine.file },
      ]);
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
    facts(s) {
      if (s.phase === 'inner') return { ...inner.facts(s.inner), amd: s.amd };
      return {
        agentConnected: false,
        waitingForAgent: false,
        hungUpBy: s.hungUpBy,
        isCustomerCall: true,
        amd: s.amd,
      };
    },
    finished: (s) => (s.phase === 'inner' ? inner.finished(s.inner) : s.phase === 'ended'),
  };
}
