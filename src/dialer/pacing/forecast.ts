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
}

export interface ForecastInput {
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
    const points: Checkpoint[] = this.times.map((t) => ({
      margin: s.idleAgents - s.waitingCustomers,
      variance: 0,
      perCall: s.p * this.liveRing.cdfAt(t),
    }));

    if (s.busySince && s.busySince.length === s.busyCount) {
      if (this.busyTime.wantsOpen()) this.busyTime.setOpen(s.busySince.map((t) => s.now - t));
      this.refreshBusy();
      const used = bucketise(s.now, s.busySince, BUSY_BUCKET_MS, this.busyCounts);
      for (const b of used) {
        const n = this.busyCounts[b];
        this.busyCounts[b] = 0;
        for (let k = 0; k < K; k++) add(points[k], n, this.busyEntry(b, k));
      }
    } else {
      const mean = Math.max(1000, this.busyTime.mean());
      for (let k = 0; k < K; k++)
        add(points[k], s.busyCount, 1 - Math.exp(-(this.times[k] + this.maxWaitMs) / mean));
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
        add(points[k], n, -q);
      }
    }
    return points;
  }
}

/** Adds n independent yes/no chances of probability |f| to a checkpoint's margin (signed) and variance. */
function add(pt: Checkpoint, n: number, f: number): void {
  pt.margin += n * f;
  pt.variance += n * Math.abs(f) * (1 - Math.abs(f));
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
