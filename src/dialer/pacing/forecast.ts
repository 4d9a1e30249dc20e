// The adaptive pacer's view of the next ring time: for moments t at which a call dialled now may be answered, how
// many agents will be free by t + maxWait and how many live answers the attempts already ringing will bring by t.
// Per-age probabilities depend only on the learnt distributions, so they are tabulated once per change of those
// distributions; a decision then costs a few operations per busy agent and ringing attempt.
import type { DurationSample } from './estimators.js';

/** One moment t (ms after now) at which a call dialled now may be answered. */
export interface Checkpoint {
  /** Agents expected free by t + maxWait, minus live answers expected by t from attempts already ringing. */
  margin: number;
  variance: number;
  /** P(a new attempt is answered live by t). */
  perCall: number;
  /**
   * For small teams, where a normal approximation of a few yes/no chances misleads: the exact distribution of
   * (free agents − live answers) by t, P(value = offset + i) = pmf[i].
   */
  exact?: ExactDistribution;
}

/** P(value = i + offset) = pmf[i], non-zero only for i in [lo, hi]. */
export interface ExactDistribution {
  pmf: Float64Array;
  offset: number;
  lo: number;
  hi: number;
}

/** Up to this many busy agents and ringing attempts together, the exact distribution is computed. */
const EXACT_LIMIT = 24;

interface ForecastInput {
  now: number;
  idleAgents: number;
  waitingCustomers: number;
  busyCount: number;
  /** When each busy agent's call connected, if known (else a constant freeing rate is assumed). */
  busySince?: readonly number[];
  ringingCount: number;
  /** When each ringing attempt was originated, if known (else all are taken as just originated). */
  ringingSince?: readonly number[];
  /** Live answers per attempt. */
  p: number;
}

const RING_BUCKET_MS = 250;
const RING_BUCKETS = 480; // ages up to 2 min; older attempts are taken as 2 min old
const BUSY_BUCKET_MS = 1000;
const BUSY_BUCKETS = 1800; // busy up to 30 min; longer is taken as 30 min

export class Forecast {
  private ringKey = '';
  private busyKey = '';
  private times: number[] = [];
  /** Per ring-age bucket and checkpoint: [live answered by then, live still possible, other still ringing]. */
  private ring = new Float64Array(0);
  /** Per busy-age bucket and checkpoint: P(free by t + maxWait). */
  private busy = new Float64Array(0);
  private readonly ringCounts = new Float64Array(RING_BUCKETS);
  private readonly busyCounts = new Float64Array(BUSY_BUCKETS);

  constructor(
    private readonly liveRing: DurationSample,
    private readonly otherRing: DurationSample,
    private readonly busyTime: DurationSample,
    private readonly checkpoints: number,
    private readonly maxWaitMs: number,
  ) {}

  private refresh(): void {
    const ringKey = `${this.liveRing.revision()}/${this.otherRing.revision()}`;
    if (ringKey === this.ringKey) return;
    this.ringKey = ringKey;
    // The middle of each of `checkpoints` equally likely slices of the live ring time, on a 250 ms grid so that
    // small changes of the distribution keep the busy table.
    this.times = Array.from(
      { length: this.checkpoints },
      (_, k) =>
        Math.ceil(this.liveRing.quantile((k + 0.5) / this.checkpoints) / RING_BUCKET_MS) * RING_BUCKET_MS,
    );
    this.ring = new Float64Array(RING_BUCKETS * this.checkpoints * 3).fill(Number.NaN);
  }

  /** The busy table depends on the busy-time distribution and the checkpoint times only. */
  private refreshBusy(): void {
    const busyKey = `${this.busyTime.revision()}/${this.times.join(',')}`;
    if (busyKey === this.busyKey) return;
    this.busyKey = busyKey;
    this.busy = new Float64Array(BUSY_BUCKETS * this.checkpoints).fill(Number.NaN);
  }

  private ringEntry(bucket: number, k: number): number {
    const i = (bucket * this.checkpoints + k) * 3;
    if (Number.isNaN(this.ring[i])) {
      const age = (bucket + 0.5) * RING_BUCKET_MS;
      const gAge = this.liveRing.cdfAt(age);
      this.ring[i] = this.liveRing.cdfAt(age + this.times[k]) - gAge;
      this.ring[i + 1] = 1 - gAge;
      this.ring[i + 2] = this.otherRing.count() > 0 ? 1 - this.otherRing.cdfAt(age) : 1;
    }
    return i;
  }

  private busyEntry(bucket: number, k: number): number {
    const i = bucket * this.checkpoints + k;
    if (Number.isNaN(this.busy[i])) {
      const elapsed = (bucket + 0.5) * BUSY_BUCKET_MS;
      const t = this.times[k] + this.maxWaitMs;
      const survive = 1 - this.busyTime.cdfAt(elapsed);
      // Busier than nearly anything observed: fall back to a constant freeing rate.
      this.busy[i] =
        survive < 0.02
          ? 1 - Math.exp(-t / Math.max(1000, this.busyTime.mean()))
          : (this.busyTime.cdfAt(elapsed + t) - this.busyTime.cdfAt(elapsed)) / survive;
    }
    return this.busy[i];
  }

  predict(s: ForecastInput): Checkpoint[] {
    this.refresh();
    const K = this.checkpoints;
    const base = s.idleAgents - s.waitingCustomers;
    const exact = s.busyCount + s.ringingCount <= EXACT_LIMIT;
    const points: Checkpoint[] = this.times.map((t) => ({
      margin: base,
      variance: 0,
      perCall: s.p * this.liveRing.cdfAt(t),
      exact: exact ? startExact(base, s.ringingCount, s.busyCount) : undefined,
    }));

    if (s.busySince && s.busySince.length === s.busyCount) {
      if (this.busyTime.wantsOpen()) this.busyTime.setOpen(s.busySince.map((t) => s.now - t));
      this.refreshBusy();
      const used = bucketise(s.now, s.busySince, BUSY_BUCKET_MS, this.busyCounts);
      for (const b of used) {
        const n = this.busyCounts[b];
        this.busyCounts[b] = 0;
        for (let k = 0; k < K; k++) add(points[k], n, this.busyEntry(b, k), 1);
      }
    } else {
      const mean = Math.max(1000, this.busyTime.mean());
      for (let k = 0; k < K; k++)
        add(points[k], s.busyCount, 1 - Math.exp(-(this.times[k] + this.maxWaitMs) / mean), 1);
    }

    const ringing =
      s.ringingSince && s.ringingSince.length === s.ringingCount
        ? bucketise(s.now, s.ringingSince, RING_BUCKET_MS, this.ringCounts)
        : fill(this.ringCounts, 0, s.ringingCount);
    for (const b of ringing) {
      const n = this.ringCounts[b];
      this.ringCounts[b] = 0;
      for (let k = 0; k < K; k++) {
        const i = this.ringEntry(b, k);
        const liveLeft = s.p * this.ring[i + 1];
        const otherLeft = (1 - s.p) * this.ring[i + 2];
        const q = liveLeft + otherLeft > 0 ? (s.p * this.ring[i]) / (liveLeft + otherLeft) : 0;
        add(points[k], n, q, -1);
      }
    }
    return points;
  }
}

/** Adds n independent yes/no chances of probability q: an agent freeing (sign 1) or a live answer (sign −1). */
function add(pt: Checkpoint, n: number, q: number, sign: 1 | -1): void {
  pt.margin += sign * n * q;
  pt.variance += n * q * (1 - q);
  if (pt.exact) for (let k = 0; k < n; k++) addBernoulli(pt.exact, q, sign);
}

/**
 * X ± Bernoulli(q), in place. The buffer is sized for every chance the forecast can add (one slot per busy agent
 * and ringing attempt), so values never fall outside it.
 */
function addBernoulli(x: ExactDistribution, q: number, sign: 1 | -1): void {
  const pmf = x.pmf;
  if (sign > 0) {
    for (let i = x.hi; i >= x.lo; i--) {
      pmf[i + 1] += pmf[i] * q;
      pmf[i] *= 1 - q;
    }
    x.hi++;
  } else {
    for (let i = x.lo; i <= x.hi; i++) {
      pmf[i - 1] += pmf[i] * q;
      pmf[i] *= 1 - q;
    }
    x.lo--;
  }
}

/** The distribution that is `base` for sure, with room for `below` decrements and `above` increments. */
function startExact(base: number, below: number, above: number): ExactDistribution {
  const pmf = new Float64Array(below + above + 1);
  pmf[below] = 1;
  return { pmf, offset: base - below, lo: below, hi: below };
}

export function binomialPmf(n: number, q: number): Float64Array {
  const b = new Float64Array(n + 1);
  b[0] = 1;
  // Built by adding one trial at a time: stable for any q, and n stays small where this is used.
  for (let k = 1; k <= n; k++) {
    for (let j = k; j >= 1; j--) b[j] = b[j] * (1 - q) + b[j - 1] * q;
    b[0] *= 1 - q;
  }
  return b;
}

/** Counts items per age bucket into `counts` (left zeroed by the caller); returns the buckets used. */
function bucketise(now: number, since: readonly number[], width: number, counts: Float64Array): number[] {
  const used: number[] = [];
  for (const t of since) {
    const b = Math.min(counts.length - 1, Math.floor(Math.max(0, now - t) / width));
    if (counts[b] === 0) used.push(b);
    counts[b]++;
  }
  return used;
}

function fill(counts: Float64Array, bucket: number, n: number): number[] {
  if (n <= 0) return [];
  counts[bucket] = n;
  return [bucket];
}
