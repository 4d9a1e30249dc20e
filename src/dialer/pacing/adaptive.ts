// Adaptive predictive pacing (issue 8; the algorithm and its parameters are explained in docs/pacing.md).
//
// Each decision looks at moments t spread over the ring time of a call dialled now and compares the agents
// expected free by t + maxWait (idle now, plus busy ones finishing, given how long they have been busy) with the
// live answers expected by t (attempts already ringing, given their age, plus the other new ones). From that it
// estimates each new attempt's risk: the chance that, answered live, it finds no agent. It launches attempts while
// that risk stays under a limit; the limit is the only thing tuned by abandons: every live outcome nudges it so
// that abandoned / live answers settles at target × headroom, and it never rises while the recent window of live
// answers is over the target.
import { DecayingRate, DurationSample } from './estimators.js';
import { Forecast, binomialPmf } from './forecast.js';
import type { Checkpoint, ExactDistribution } from './forecast.js';
import type { Pacer, PacingObservation, PacingSnapshot } from './pacer.js';
import { clampToCapacity } from './pacer.js';

export interface AdaptiveOptions {
  /** Abandoned / live answers the mode holds under (US FTC/FCC and UK Ofcom: 3%). */
  targetAbandonRate: number;
  /** The controller aims at target × headroom, so that chance runs of abandons stay under the target. */
  headroom: number;
  /** A live answer without an agent within this is abandoned (regulators: 2 s). */
  maxWaitMs: number;
  /**
   * How far one live outcome moves log(risk): an abandon by −gain × (1 − aim), a connect by +gain × aim, so the
   * risk settles where abandoned / live answers = aim.
   */
  gain: number;
  /** The risk a new attempt may carry at start (its chance, if answered live, of finding no agent). */
  initialRisk: number;
  minRisk: number;
  maxRisk: number;
  /** Half-life, in attempts, of the live-answer probability. */
  answerHalfLife: number;
  /** Starting live-answer probability (pessimistic: high) and how many attempts it weighs. */
  priorAnswerRate: number;
  priorWeight: number;
  /** Standard errors added to the live-answer probability, so few observations mean a cautious estimate. */
  answerZ: number;
  /** Stand-in ring times (ms) of live answers until real ones are known: short, so cautious. */
  priorRingMs: readonly number[];
  /** Stand-in busy times (talk + wrap-up, ms) until real ones are known: long, so cautious. */
  priorBusyMs: readonly number[];
  /** Recent observations kept per duration distribution. */
  sampleSize: number;
  /** Moments within the ring-time distribution where supply and demand are compared. */
  checkpoints: number;
  /** Half-life, in live answers, of the windowed abandon rate (reported; over the target it stops any rise). */
  windowHalfLife: number;
}

const seconds = (list: number[]): number[] => list.map((s) => s * 1000);

const defaultAdaptiveOptions: AdaptiveOptions = {
  targetAbandonRate: 0.03,
  headroom: 0.8,
  maxWaitMs: 2000,
  gain: 0.1,
  initialRisk: 0.02,
  minRisk: 0.002,
  maxRisk: 0.9,
  answerHalfLife: 300,
  priorAnswerRate: 0.5,
  priorWeight: 10,
  answerZ: 1,
  priorRingMs: seconds([2, 3, 4, 5, 6, 7, 8, 9, 10, 12]),
  priorBusyMs: seconds([120, 180, 240, 300, 360, 420, 480, 540, 600, 660]),
  sampleSize: 400,
  checkpoints: 10,
  windowHalfLife: 500,
};

interface AdaptiveState {
  /** Estimated share of attempts answered live (pessimistic while few are known). */
  liveAnswerRate: number;
  /** The marginal risk currently accepted (see `initialRisk`). */
  risk: number;
  /** Abandoned / live answers over the recent window (half-life `windowHalfLife` live answers). */
  windowAbandonRate: number;
  liveAnswers: number;
  abandoned: number;
  meanRingMs: number;
  meanBusyMs: number;
}

export interface AdaptivePacer extends Pacer {
  state(): AdaptiveState;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** P(X − Binomial(others, a) < 1) for X given exactly. */
function exactRisk(x: ExactDistribution, others: number, a: number): number {
  // tail[k] = P(Binomial(others, a) ≥ k)
  const b = binomialPmf(others, a);
  const tail = new Float64Array(others + 2);
  for (let k = others; k >= 0; k--) tail[k] = tail[k + 1] + b[k];
  let risk = 0;
  for (let i = x.lo; i <= x.hi; i++) {
    const need = x.offset + i; // answers by then that would use up every free agent
    risk += x.pmf[i] * (need <= 0 ? 1 : need > others ? 0 : tail[need]);
  }
  return risk;
}

export function adaptivePacer(options: Partial<AdaptiveOptions> = {}): AdaptivePacer {
  const o: AdaptiveOptions = { ...defaultAdaptiveOptions, ...options };
  const aim = o.targetAbandonRate * o.headroom;
  const live = new DecayingRate(o.priorAnswerRate, o.priorWeight, o.answerHalfLife);
  const liveRing = new DurationSample(o.sampleSize, o.priorRingMs);
  const otherRing = new DurationSample(o.sampleSize, []);
  const busy = new DurationSample(o.sampleSize, o.priorBusyMs);
  const window = new DecayingRate(0, 0, o.windowHalfLife);
  let logRisk = Math.log(o.initialRisk);
  let liveAnswers = 0;
  let abandoned = 0;

  const nudge = (delta: number): void => {
    logRisk = Math.min(Math.log(o.maxRisk), Math.max(Math.log(o.minRisk), logRisk + delta));
  };

  const forecast = new Forecast(liveRing, otherRing, busy, o.checkpoints, o.maxWaitMs);

  /** P(the n-th new attempt, if answered live, finds no agent), averaged over when it may be answered. */
  const marginalRisk = (points: readonly Checkpoint[], n: number): number => {
    let sum = 0;
    for (const pt of points) {
      const others = n - 1;
      if (pt.exact) {
        sum += exactRisk(pt.exact, others, pt.perCall);
        continue;
      }
      const mean = pt.margin - others * pt.perCall;
      const sd = Math.sqrt(pt.variance + others * pt.perCall * (1 - pt.perCall));
      // It needs one agent more than the others take: X ≥ 1, i.e. X > 0.5 with a continuity correction.
      sum += sd > 1e-9 ? normalCdf((0.5 - mean) / sd) : mean < 0.5 ? 1 : 0;
    }
    return sum / points.length;
  };

  function decide(s: PacingSnapshot): number {
    if (s.capacity < 1 || s.staffedAgents <= 0) return 0;
    const points = forecast.predict({
      now: s.now,
      idleAgents: s.idleAgents,
      waitingCustomers: s.waitingCustomers,
      busyCount: Math.max(0, s.staffedAgents - s.idleAgents),
      busySince: s.busySince,
      ringingCount: s.ringingAttempts,
      ringingSince: s.ringingSince,
      p: live.upper(o.answerZ),
    });
    const limit = Math.exp(logRisk);
    const fits = (n: number): boolean => marginalRisk(points, n) <= limit;
    // Risk grows with n: most decisions stop at 0 or 1; otherwise double, then bisect.
    if (!fits(1)) return 0;
    const capacity = Math.floor(s.capacity);
    let lo = 1;
    while (lo < capacity && fits(Math.min(capacity, lo * 2))) lo = Math.min(capacity, lo * 2);
    let hi = Math.min(capacity, lo * 2 - 1);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    return clampToCapacity(lo, s.capacity);
  }

  function observe(ob: PacingObservation): void {
    switch (ob.kind) {
      case 'attempt-ended':
        live.add(ob.answered);
        (ob.answered ? liveRing : otherRing).add(ob.ringMs);
        return;
      case 'connected':
        liveAnswers++;
        window.add(false);
        // Never bolder while the recent window is over the target itself: a run of abandons must first be
        // diluted by connects, whatever the long-run balance says.
        if (window.lower(1) <= o.targetAbandonRate) nudge(o.gain * aim);
        return;
      case 'abandoned':
        liveAnswers++;
        abandoned++;
        window.add(true);
        nudge(-o.gain * (1 - aim));
        return;
      case 'agent-freed':
        busy.add(ob.talkMs + (ob.wrapMs ?? 0));
        return;
    }
  }

  return {
    mode: 'adaptive',
    decide,
    observe,
    state: () => ({
      liveAnswerRate: live.upper(o.answerZ),
      risk: Math.exp(logRisk),
      windowAbandonRate: window.mean(),
      liveAnswers,
      abandoned,
      meanRingMs: liveRing.mean(),
      meanBusyMs: busy.mean(),
    }),
  };
}
