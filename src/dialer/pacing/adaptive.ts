// Adaptive predictive pacing (issue 8; the algorithm and its parameters are explained in docs/pacing.md).
//
// Each decision compares, at several moments t within the ring time of a call dialled now, the live answers
// expected by t (from the attempts already ringing, given their age, plus n new ones) with the agents expected to
// be free by t + maxWait (idle now, plus busy ones finishing, given how long they have been busy). It launches the
// largest n for which demand + safety × σ ≤ supply at every such t. `safety` is the only thing tuned by
// abandons: every live outcome nudges it so that abandoned / live answers settles at target × headroom.
import { DecayingRate, DurationSample } from './estimators.js';
import type { Pacer, PacingObservation, PacingSnapshot } from './pacer.js';
import { clampToCapacity } from './pacer.js';

export interface AdaptiveOptions {
  /** Abandoned / live answers the mode holds under (US FTC/FCC and UK Ofcom: 3%). */
  targetAbandonRate: number;
  /** The controller aims at target × headroom, so that chance runs of abandons stay under the target. */
  headroom: number;
  /** A live answer without an agent within this is abandoned (regulators: 2 s). */
  maxWaitMs: number;
  /** How far one live outcome moves `safety` (an abandon by gain × (1 − aim), a connect by −gain × aim). */
  gain: number;
  /** `safety` at start: positive is cautious (demand kept σ·safety below supply). */
  initialSafety: number;
  minSafety: number;
  maxSafety: number;
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
  /** Half-life, in live answers, of the reported (windowed) abandon rate. */
  windowHalfLife: number;
}

const seconds = (list: number[]): number[] => list.map((s) => s * 1000);

export const defaultAdaptiveOptions: AdaptiveOptions = {
  targetAbandonRate: 0.03,
  headroom: 0.8,
  maxWaitMs: 2000,
  gain: 0.04,
  initialSafety: 1,
  minSafety: -4,
  maxSafety: 4,
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

export interface AdaptiveState {
  /** Estimated share of attempts answered live (pessimistic while few are known). */
  liveAnswerRate: number;
  safety: number;
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

const STEP_MS = 1000;

/** Counts of items per whole-second age, so the work per decision does not grow with the number of calls. */
function ageHistogram(now: number, since: readonly number[] | undefined, count: number): Map<number, number> {
  const h = new Map<number, number>();
  if (!since || since.length !== count) {
    if (count > 0) h.set(0, count);
    return h;
  }
  for (const t of since) {
    const bin = Math.max(0, Math.floor((now - t) / STEP_MS));
    h.set(bin, (h.get(bin) ?? 0) + 1);
  }
  return h;
}

export function adaptivePacer(options: Partial<AdaptiveOptions> = {}): AdaptivePacer {
  const o: AdaptiveOptions = { ...defaultAdaptiveOptions, ...options };
  const aim = o.targetAbandonRate * o.headroom;
  const live = new DecayingRate(o.priorAnswerRate, o.priorWeight, o.answerHalfLife);
  const liveRing = new DurationSample(o.sampleSize, o.priorRingMs, STEP_MS);
  const otherRing = new DurationSample(o.sampleSize, [], STEP_MS);
  const busy = new DurationSample(o.sampleSize, o.priorBusyMs, STEP_MS);
  const window = new DecayingRate(0, 0, o.windowHalfLife);
  let safety = o.initialSafety;
  let liveAnswers = 0;
  let abandoned = 0;

  const nudge = (delta: number): void => {
    safety = Math.min(o.maxSafety, Math.max(o.minSafety, safety + delta));
  };

  /** P(a busy agent, busy for `elapsedBin` s, is free within `tBins` s). */
  const freeWithin = (elapsedBin: number, tBins: number, meanBusy: number): number => {
    const survive = 1 - busy.cdfAt(elapsedBin - 1);
    // Busier than anything observed: fall back to a constant freeing rate.
    if (survive < 0.02) return 1 - Math.exp((-tBins * STEP_MS) / Math.max(STEP_MS, meanBusy));
    return (busy.cdfAt(elapsedBin + tBins) - busy.cdfAt(elapsedBin - 1)) / survive;
  };

  /** P(an attempt ringing for `ageBin` s is answered live within `tBins` s), given p live answers per attempt. */
  const liveWithin = (ageBin: number, tBins: number, p: number): number => {
    const liveLeft = p * (1 - liveRing.cdfAt(ageBin - 1));
    const otherLeft = (1 - p) * (otherRing.count() > 0 ? 1 - otherRing.cdfAt(ageBin - 1) : 1);
    if (liveLeft + otherLeft <= 0) return 0;
    return (p * (liveRing.cdfAt(ageBin + tBins) - liveRing.cdfAt(ageBin - 1))) / (liveLeft + otherLeft);
  };

  function decide(s: PacingSnapshot): number {
    if (s.capacity < 1 || s.staffedAgents <= 0) return 0;
    const p = live.upper(o.answerZ);
    const waitBins = Math.floor(o.maxWaitMs / STEP_MS);
    const meanBusy = busy.mean();
    const busyCount = Math.max(0, s.staffedAgents - s.idleAgents);
    const busyAges = ageHistogram(s.now, s.busySince, busyCount);
    const ringAges = ageHistogram(s.now, s.ringingSince, s.ringingAttempts);

    const points: { supply: number; demand: number; variance: number; perCall: number }[] = [];
    let lastBin = -1;
    for (let k = 1; k <= o.checkpoints; k++) {
      const t = liveRing.quantileBin(k / o.checkpoints);
      if (t === lastBin) continue;
      lastBin = t;
      let supply = s.idleAgents - s.waitingCustomers;
      let variance = 0;
      if (s.busySince && s.busySince.length === busyCount) {
        for (const [age, n] of busyAges) {
          const f = freeWithin(age, t + waitBins, meanBusy);
          supply += n * f;
          variance += n * f * (1 - f);
        }
      } else {
        const f = 1 - Math.exp((-(t + waitBins) * STEP_MS) / Math.max(STEP_MS, meanBusy));
        supply += busyCount * f;
        variance += busyCount * f * (1 - f);
      }
      let demand = 0;
      for (const [age, n] of ringAges) {
        const q = liveWithin(age, t, p);
        demand += n * q;
        variance += n * q * (1 - q);
      }
      points.push({ supply, demand, variance, perCall: p * liveRing.cdfAt(t) });
    }

    const fits = (n: number): boolean =>
      points.every(
        (pt) =>
          pt.demand + n * pt.perCall + safety * Math.sqrt(pt.variance + n * pt.perCall * (1 - pt.perCall)) <=
          pt.supply,
      );
    // Demand grows with n much faster than its spread does, so the largest n that fits is found by bisection.
    let lo = 0;
    let hi = Math.floor(s.capacity);
    if (!fits(0)) return 0;
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
        nudge(-o.gain * aim);
        return;
      case 'abandoned':
        liveAnswers++;
        abandoned++;
        window.add(true);
        nudge(o.gain * (1 - aim));
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
      safety,
      windowAbandonRate: window.mean(),
      liveAnswers,
      abandoned,
      meanRingMs: liveRing.mean(),
      meanBusyMs: busy.mean(),
    }),
  };
}
