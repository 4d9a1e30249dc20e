// Live estimates an adaptive pacer learns from the task's own calls. Both forget old calls, so a drifting answer
// rate or a new kind of list is followed within a few hundred attempts.

/** A probability learnt from yes/no outcomes, forgetting with a half-life counted in outcomes. */
export class DecayingRate {
  private yes: number;
  private total: number;
  private readonly decay: number;

  /**
   * @param prior      starting guess, weighted as `priorWeight` outcomes; it fades as real outcomes arrive.
   * @param halfLife   after this many outcomes an old outcome weighs half as much.
   */
  constructor(
    prior: number,
    private readonly priorWeight: number,
    halfLife: number,
  ) {
    this.yes = prior * priorWeight;
    this.total = priorWeight;
    this.decay = Math.pow(0.5, 1 / halfLife);
  }

  add(outcome: boolean): void {
    this.yes = this.yes * this.decay + (outcome ? 1 : 0);
    this.total = this.total * this.decay + 1;
  }

  /** The current estimate. */
  mean(): number {
    return this.total > 0 ? this.yes / this.total : 0;
  }

  /** How many outcomes the estimate rests on (prior and forgetting included). */
  weight(): number {
    return this.total;
  }

  /** Mean minus `z` standard errors: clearly above a threshold only when this is. */
  lower(z: number): number {
    const m = this.mean();
    return Math.max(0, m - z * Math.sqrt((m * (1 - m)) / (this.total + 1)));
  }

  /** Mean plus `z` standard errors: a pessimistic value while few outcomes are known. */
  upper(z: number): number {
    const m = this.mean();
    return Math.min(1, m + z * Math.sqrt((m * (1 - m) + 1 / (this.total + 1)) / (this.total + 1)));
  }
}

/** Fewest observations still at risk for which a Kaplan-Meier hazard is trusted. */
const MIN_AT_RISK = 20;

/**
 * The distribution of a duration (ring time, busy time), from the last `capacity` observations, as a CDF on a
 * grid of `stepMs`. Prior samples stand in for real ones until as many real ones have arrived. Rebuilding the
 * grid costs one pass over samples and bins, so once the sample is large it is rebuilt every `capacity / 8`
 * observations rather than on each one: a few dozen calls barely move a distribution of hundreds.
 */
export class DurationSample {
  private readonly samples: number[] = [];
  private next = 0;
  private seen = 0;
  private builtAt = -1;
  private open: readonly number[] = [];
  private rebuilds = 0;
  private cdf: Float64Array = new Float64Array(1);
  private meanMs = 0;

  constructor(
    private readonly capacity: number,
    private readonly prior: readonly number[],
    readonly stepMs = 100,
  ) {}

  add(ms: number): void {
    if (!(ms >= 0)) return;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    this.seen++;
  }

  /** Real observations seen so far. */
  count(): number {
    return this.seen;
  }

  /**
   * Durations still running (right-censored), e.g. how long each busy agent has been busy. Until the sample is
   * full it holds every observation since the start, so finished and running ones form one cohort and the
   * Kaplan-Meier estimate applies: without it the first calls to end, the short ones, would pass for typical.
   */
  setOpen(elapsedMs: readonly number[]): void {
    if (this.wantsOpen()) this.open = elapsedMs;
  }

  /** Whether setOpen is still used (the sample is not yet full). */
  wantsOpen(): boolean {
    return this.seen < this.capacity;
  }

  private fresh(): void {
    if (this.builtAt === this.seen) return;
    if (this.builtAt >= 0 && this.seen >= this.capacity && this.seen - this.builtAt < this.capacity / 8)
      return;
    this.builtAt = this.seen;
    this.rebuilds++;
    const keepPrior = Math.max(0, this.prior.length - this.seen);
    const ended = keepPrior > 0 ? [...this.prior.slice(0, keepPrior), ...this.samples] : this.samples;
    const open = this.seen < this.capacity ? this.open : [];
    const total = ended.length + open.length;
    if (total === 0) {
      this.cdf = new Float64Array(1);
      this.meanMs = 0;
      return;
    }
    let max = 0;
    let sum = 0;
    for (const v of ended) max = Math.max(max, v);
    for (const v of open) max = Math.max(max, v);
    for (const v of ended) sum += v;
    for (const v of open) sum += v;
    // Running ones counted as if ending now: a lower bound, used only as a fallback rate.
    this.meanMs = sum / total;
    const bins = Math.floor(max / this.stepMs) + 2;
    const deaths = new Float64Array(bins);
    const censored = new Float64Array(bins);
    for (const v of ended) deaths[Math.floor(v / this.stepMs)]++;
    for (const v of open) censored[Math.floor(Math.max(0, v) / this.stepMs)]++;
    // cdf[i] = P(duration < (i + 1) steps); with nothing censored this is the plain empirical CDF.
    const cdf = new Float64Array(bins);
    let atRisk = total;
    let survive = 1;
    // With running ones in the cohort, a hazard from a handful still at risk is noise that would read as "many
    // agents about to free up": past that point the estimate stays flat (cautious: nobody else frees).
    const minAtRisk = open.length > 0 ? MIN_AT_RISK : 1;
    for (let i = 0; i < bins; i++) {
      if (atRisk >= minAtRisk) survive *= 1 - deaths[i] / atRisk;
      atRisk -= deaths[i] + censored[i];
      cdf[i] = 1 - survive;
    }
    this.cdf = cdf;
  }

  /** Changes whenever the distribution answered by cdfAt/quantile/mean changes: a key for caches built on it. */
  revision(): number {
    this.fresh();
    return this.rebuilds;
  }

  mean(): number {
    this.fresh();
    return this.meanMs;
  }

  /** P(duration ≤ ms), to within one grid step; past the grid, the last value (1 unless running ones remain). */
  cdfAt(ms: number): number {
    this.fresh();
    if (ms < 0) return 0;
    const i = Math.floor(ms / this.stepMs);
    return this.cdf[Math.min(i, this.cdf.length - 1)];
  }

  /** The duration (ms) by which a share `q` of samples has ended. */
  quantile(q: number): number {
    this.fresh();
    for (let i = 0; i < this.cdf.length; i++) if (this.cdf[i] >= q) return (i + 1) * this.stepMs;
    return this.cdf.length * this.stepMs;
  }
}
