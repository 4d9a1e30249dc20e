// What a simulated outbound campaign looks like. Times are in seconds, as people state them ("ring 15±7 s").
import type { Rng } from './rng.js';

/** A duration: normal(mean, sd) kept within [min, max] by redrawing (then clamping). */
interface Distribution {
  mean: number;
  sd?: number;
  min?: number;
  max?: number;
}

/** The share of attempts answered: a constant, or [atSecond, share] points joined by straight lines. */
type AnswerProbability = number | readonly (readonly [number, number])[];

export interface Scenario {
  name: string;
  durationS: number;
  /** Agents logged in at the start. */
  agents: number;
  /** Later changes of how many agents are logged in (breaks, shifts); busy agents leave after their call. */
  staffing?: readonly { atS: number; agents: number }[];
  /** Numbers in the call list; unlimited when absent. */
  numbers?: number;
  /** Share of attempts answered at all (by a person or a machine). */
  answerProbability: AnswerProbability;
  /** Share of answered attempts that are answering machines (detected and dropped, never sent to an agent). */
  machineShare?: number;
  /** How long detecting a machine keeps the line after it answers. */
  machineDetectS?: number;
  /**
   * Answering-machine detection's time for a person (issue 23): their live answer comes this long after they
   * answered (the attempt rings on for the pacer until then), and their 2 s wait still counts from the answer.
   */
  humanDetectS?: number;
  /** Time from originate to answer, for attempts that are answered. */
  ringS: Distribution;
  /** Unanswered attempts are dropped after this; an answer drawn later than this is a no-answer too. */
  noAnswerTimeoutS: number;
  talkS: Distribution;
  wrapS: Distribution;
  /** A live answer without an agent within this is abandoned (regulators: 2 s). */
  maxWaitS?: number;
  /** Originates per second the node accepts. */
  sessionsPerSecond?: number;
  /** Legs the task's gateways carry at once (ringing, waiting, talking). */
  maxConcurrent?: number;
  /** How often the runner asks the pacer when nothing happens (production: 250-1000 ms). */
  tickS?: number;
  /** Width of the buckets of the abandon-rate-over-time report. */
  abandonBucketS?: number;
}

export function answerProbabilityAt(p: AnswerProbability, atS: number): number {
  if (typeof p === 'number') return p;
  if (p.length === 0) return 0;
  if (atS <= p[0][0]) return p[0][1];
  for (let i = 1; i < p.length; i++) {
    const [t1, p1] = p[i];
    if (atS <= t1) {
      const [t0, p0] = p[i - 1];
      return t1 === t0 ? p1 : p0 + ((p1 - p0) * (atS - t0)) / (t1 - t0);
    }
  }
  return p[p.length - 1][1];
}

export const s2ms = (s: number): number => Math.round(s * 1000);

/** A duration in ms drawn from `d` (seconds). */
export function draw(rng: Rng, d: Distribution): number {
  const min = d.min ?? 0;
  const max = d.max ?? Infinity;
  for (let i = 0; i < 10; i++) {
    const v = rng.normal(d.mean, d.sd ?? 0);
    if (v >= min && v <= max) return s2ms(v);
  }
  return s2ms(Math.min(max, Math.max(min, d.mean)));
}
