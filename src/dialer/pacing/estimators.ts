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

  /** Mean plus `z` standard errors: a pessimistic value while few outcomes are known. */
  upper(z: number): number {
    const m = this.mean();
    return Math.min(1, m + z * Math.sqrt((m * (1 - m) + 1 / (this.total + 1)) / (this.total + 1)));
  }
}

/**
 * The distribution of a duration (ring time, busy time), from the last `capacity` observations, as a CDF on a
 * grid of `stepMs`. Prior samples stand in for real ones until as many real ones have arrived.
 */
export class DurationSample {
  private readonly samples: number[] = [];
  private next = 0;
  private seen = 0;
  private cdf: Float64Array = new Float64Array(1);
  private dirty = true;
  private meanMs = 0;

  constructor(
    private readonly capacity: number,
    private readonly prior: readonly number[],
    readonly stepMs = 1000,
  ) {}

  add(ms: number): void {
    if (!(ms >= 0)) return;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    this.seen++;
    this.dirty = true;
  }

  /** Real observations seen so far. */
  count(): number {
    return this.seen;
  }

  private current(): readonly number[] {
    const keepPrior = Math.max(0, this.prior.length - this.seen);
    return keepPrior > 0 ? [...this.prior.slice(0, keepPrior), ...this.samples] : this.samples;
  }

  private rebuild(): void {
    this.dirty = false;
    const all = this.current();
    if (all.length === 0) {
      this.cdf = new Float64Array(1);
      this.meanMs = 0;
      return;
    }
    let max = 0;
    let sum = 0;
    for (const v of all) {
      if (v > max) max = v;
      sum += v;
    }
    this.meanMs = sum / all.length;
    const bins = Math.floor(max / this.stepMs) + 2;
    const counts = new Float64Array(bins);
    for (const v of all) counts[Math.floor(v / this.stepMs)]++;
    // cdf[i] = share of samples below (i + 1) steps, so cdf[i] answers "ended by the end of bin i".
    this.cdf = new Float64Array(bins);
    let acc = 0;
    for (let i = 0; i < bins; i++) {
      acc += counts[i];
      this.cdf[i] = acc / all.length;
    }
  }

  /** True when there is neither a real nor a prior sample. */
  empty(): boolean {
    return this.seen === 0 && this.prior.length === 0;
  }

  mean(): number {
    if (this.dirty) this.rebuild();
    return this.meanMs;
  }

  /** P(duration ≤ bin × stepMs); bins past the last sample give 1. */
  cdfAt(bin: number): number {
    if (this.dirty) this.rebuild();
    if (bin < 0) return 0;
    if (bin >= this.cdf.length) return 1;
    return this.cdf[bin];
  }

  /** The duration (in bins) by which a share `q` of samples has ended. */
  quantileBin(q: number): number {
    if (this.dirty) this.rebuild();
    for (let i = 0; i < this.cdf.length; i++) if (this.cdf[i] >= q) return i;
    return this.cdf.length - 1;
  }
}
