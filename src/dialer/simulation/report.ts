// What a simulated day measured (issue 8): occupancy, abandon rate, talk and attempts per agent hour, the wait
// between calls and the abandon rate over time. The simulator feeds a Tally; `summarise` turns it into a report.

interface AbandonBucket {
  fromS: number;
  liveAnswers: number;
  abandoned: number;
  /** abandoned / live answers within the bucket (0 when none). */
  rate: number;
  /** abandoned / live answers from the start of the day to the end of the bucket. */
  cumulativeRate: number;
}

export interface SimulationReport {
  scenario: string;
  mode: string;
  rate: number;
  seed: number;
  attempts: number;
  /** Answered by a person (who needs an agent): connected + abandoned (+ still waiting at the end). */
  liveAnswers: number;
  connected: number;
  abandoned: number;
  machineAnswers: number;
  noAnswers: number;
  /** Agent-seconds logged in, talking, and in wrap-up. */
  loggedInS: number;
  talkS: number;
  wrapS: number;
  /** talk / logged-in time. */
  occupancy: number;
  /** (talk + wrap-up) / logged-in time: the agents' time not spent waiting for a call. */
  busyOccupancy: number;
  /** abandoned / live answers that were settled (connected or abandoned). */
  abandonRate: number;
  talkMinutesPerAgentHour: number;
  attemptsPerAgentHour: number;
  /** Idle time of an agent before each call they got, in seconds. */
  waitBetweenCallsP50S: number;
  waitBetweenCallsP95S: number;
  abandonOverTime: AbandonBucket[];
  /** The most legs up at once and originates within one second: never above the scenario's limits. */
  peakConcurrentLegs: number;
  peakSessionsPerSecond: number;
}

/** The p-quantile (0..1) by the nearest-rank method; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

export class Tally {
  attempts = 0;
  connected = 0;
  abandoned = 0;
  waitingAtEnd = 0;
  machineAnswers = 0;
  noAnswers = 0;
  loggedInMs = 0;
  talkMs = 0;
  wrapMs = 0;
  peakLegs = 0;
  peakCps = 0;
  readonly idleGapsMs: number[] = [];
  private readonly buckets: { live: number; abandoned: number }[] = [];

  constructor(private readonly bucketMs: number) {}

  liveOutcome(atMs: number, abandoned: boolean): void {
    if (abandoned) this.abandoned++;
    else this.connected++;
    const i = Math.max(0, Math.floor(atMs / this.bucketMs));
    while (this.buckets.length <= i) this.buckets.push({ live: 0, abandoned: 0 });
    this.buckets[i].live++;
    if (abandoned) this.buckets[i].abandoned++;
  }

  summarise(run: {
    scenario: string;
    mode: string;
    rate: number;
    seed: number;
    durationMs: number;
  }): SimulationReport {
    const settled = this.connected + this.abandoned;
    const agentHours = this.loggedInMs / 3_600_000;
    const buckets = Math.ceil(run.durationMs / this.bucketMs);
    const overTime: AbandonBucket[] = [];
    let live = 0;
    let abandoned = 0;
    for (let i = 0; i < buckets; i++) {
      const b = this.buckets[i] ?? { live: 0, abandoned: 0 };
      live += b.live;
      abandoned += b.abandoned;
      overTime.push({
        fromS: (i * this.bucketMs) / 1000,
        liveAnswers: b.live,
        abandoned: b.abandoned,
        rate: b.live > 0 ? b.abandoned / b.live : 0,
        cumulativeRate: live > 0 ? abandoned / live : 0,
      });
    }
    return {
      scenario: run.scenario,
      mode: run.mode,
      rate: run.rate,
      seed: run.seed,
      attempts: this.attempts,
      liveAnswers: settled + this.waitingAtEnd,
      connected: this.connected,
      abandoned: this.abandoned,
      machineAnswers: this.machineAnswers,
      noAnswers: this.noAnswers,
      loggedInS: this.loggedInMs / 1000,
      talkS: this.talkMs / 1000,
      wrapS: this.wrapMs / 1000,
      occupancy: this.loggedInMs > 0 ? this.talkMs / this.loggedInMs : 0,
      busyOccupancy: this.loggedInMs > 0 ? (this.talkMs + this.wrapMs) / this.loggedInMs : 0,
      abandonRate: settled > 0 ? this.abandoned / settled : 0,
      talkMinutesPerAgentHour: agentHours > 0 ? this.talkMs / 60_000 / agentHours : 0,
      attemptsPerAgentHour: agentHours > 0 ? this.attempts / agentHours : 0,
      waitBetweenCallsP50S: percentile(this.idleGapsMs, 0.5) / 1000,
      waitBetweenCallsP95S: percentile(this.idleGapsMs, 0.95) / 1000,
      abandonOverTime: overTime,
      peakConcurrentLegs: this.peakLegs,
      peakSessionsPerSecond: this.peakCps,
    };
  }
}
