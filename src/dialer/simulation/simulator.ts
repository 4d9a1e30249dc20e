// A discrete-event model of one outbound campaign (issue 8), driving the production pacer unchanged the way the
// task runner does: `decide()` on every tick and after every change of agents or attempts, `observe()` for every
// outcome. It shares no code with the runner, only the Pacer contract, so it measures the pacer and nothing else.
import type { Pacer, PacingSnapshot } from '../pacing/pacer.js';
import { splitAgents } from '../pacing/share.js';
import { EventQueue } from './event-queue.js';
import { Tally } from './report.js';
import type { SimulationReport } from './report.js';
import { createRng } from './rng.js';
import type { Rng } from './rng.js';
import { answerProbabilityAt, draw, s2ms } from './scenario.js';
import type { Scenario } from './scenario.js';

export interface SimulationRun {
  pacer: Pacer;
  /** The task's `rate` passed to the pacer (the fixed mode uses it). */
  rate: number;
  seed: number;
  /**
   * Several tasks dialling for the same team (issue 14.2). When given, `pacer` and `rate` are ignored; each task
   * has its own pacer and its own ringing and waiting customers, and agents take customers of any task.
   */
  tasks?: readonly { pacer: Pacer; rate: number; weight?: number }[];
  /**
   * With `tasks`: `split` (what the dialer does) gives each pacer its weighted share of the staffed agents;
   * `all` lets every pacer see every idle agent (the over-dialling that issue 14.2 removes).
   */
  agents?: 'split' | 'all';
}

/** Per task of a shared-team run: its live answers and abandons. */
export interface TaskTally {
  attempts: number;
  liveAnswers: number;
  abandoned: number;
  abandonRate: number;
}

interface Agent {
  id: number;
  state: 'idle' | 'talking' | 'wrap' | 'out';
  loginAt: number;
  idleSince: number;
  busySince: number;
  talkMs: number;
  /** Logs out when the current call and its wrap-up are over. */
  leaving: boolean;
}

interface Attempt {
  lane: number;
  since: number;
  /** Set while a live answer waits for an agent. */
  answeredAt?: number;
  settled: boolean;
}

type SimEvent =
  | { kind: 'tick' }
  | { kind: 'live-answer'; attempt: Attempt }
  | { kind: 'dropped'; attempt: Attempt; machine: boolean }
  | { kind: 'abandon'; attempt: Attempt }
  | { kind: 'talk-end'; agent: Agent }
  | { kind: 'wrap-end'; agent: Agent }
  | { kind: 'staffing'; agents: number };

export function simulate(scenario: Scenario, run: SimulationRun): SimulationReport & { tasks?: TaskTally[] } {
  return new Simulation(scenario, run).run();
}

interface Lane {
  pacer: Pacer;
  rate: number;
  weight: number;
  tally: TaskTally;
}

class Simulation {
  private readonly rng: Rng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly tally: Tally;
  private readonly agents: Agent[] = [];
  /** Idle agents, longest idle first (architecture §6: offer calls to the longest-idle agent). */
  private idle: Agent[] = [];
  private readonly ringing = new Set<Attempt>();
  private waiting: Attempt[] = [];
  private legs = 0;
  private readonly launches: number[] = [];
  private numbersLeft: number;
  private now = 0;
  private readonly end: number;
  private readonly maxWaitMs: number;
  private readonly lanes: Lane[];

  constructor(
    private readonly sc: Scenario,
    private readonly r: SimulationRun,
  ) {
    this.rng = createRng(r.seed);
    this.tally = new Tally(s2ms(sc.abandonBucketS ?? 3600));
    this.numbersLeft = sc.numbers ?? Infinity;
    this.end = s2ms(sc.durationS);
    this.maxWaitMs = s2ms(sc.maxWaitS ?? 2);
    const tally = (): TaskTally => ({ attempts: 0, liveAnswers: 0, abandoned: 0, abandonRate: 0 });
    this.lanes = (r.tasks ?? [{ pacer: r.pacer, rate: r.rate, weight: 1 }]).map((l) => ({
      pacer: l.pacer,
      rate: l.rate,
      weight: l.weight ?? 1,
      tally: tally(),
    }));
  }

  /** Agent-freed is told to every pacer, as the dialer tells every pacer of the project. */
  private observeAll(o: Parameters<Pacer['observe']>[0]): void {
    for (const l of this.lanes) l.pacer.observe(o);
  }

  run(): SimulationReport & { tasks?: TaskTally[] } {
    this.setStaffing(this.sc.agents);
    for (const change of this.sc.staffing ?? [])
      this.queue.push(s2ms(change.atS), { kind: 'staffing', agents: change.agents });
    this.queue.push(0, { kind: 'tick' });
    let changed = true;
    for (let next = this.queue.pop(); next && next.at <= this.end; next = this.queue.pop()) {
      const { at, value } = next;
      this.now = at;
      changed = this.handle(value) || changed;
      // Like the runner: one decision once everything due at this instant has been handled.
      if (changed && this.queue.peekTime() !== at) {
        this.dial();
        changed = false;
      }
    }
    this.now = this.end;
    for (const a of this.agents) this.logOut(a);
    this.tally.waitingAtEnd = this.waiting.length;
    const report = this.tally.summarise({
      scenario: this.sc.name,
      mode: this.lanes.map((l) => l.pacer.mode).join('+'),
      rate: this.r.rate,
      seed: this.r.seed,
      durationMs: this.end,
    });
    if (!this.r.tasks) return report;
    for (const l of this.lanes)
      l.tally.abandonRate = l.tally.liveAnswers ? l.tally.abandoned / l.tally.liveAnswers : 0;
    return { ...report, tasks: this.lanes.map((l) => l.tally) };
  }

  /** Returns whether the pacer should be asked again. */
  private handle(e: SimEvent): boolean {
    switch (e.kind) {
      case 'tick':
        this.queue.push(this.now + s2ms(this.sc.tickS ?? 0.5), { kind: 'tick' });
        return true;
      case 'live-answer':
        this.liveAnswer(e.attempt);
        return true;
      case 'dropped':
        this.ringing.delete(e.attempt);
        this.legs--;
        if (e.machine) this.tally.machineAnswers++;
        else this.tally.noAnswers++;
        this.laneOf(e.attempt).pacer.observe({
          kind: 'attempt-ended',
          at: this.now,
          answered: false,
          ringMs: this.now - e.attempt.since,
        });
        return true;
      case 'abandon':
        if (e.attempt.settled) return false;
        e.attempt.settled = true;
        this.waiting = this.waiting.filter((w) => w !== e.attempt);
        this.legs--;
        this.tally.liveOutcome(this.now, true);
        this.laneOf(e.attempt).tally.abandoned++;
        this.laneOf(e.attempt).tally.liveAnswers++;
        this.laneOf(e.attempt).pacer.observe({
          kind: 'abandoned',
          at: this.now,
          waitMs: this.now - (e.attempt.answeredAt ?? this.now),
        });
        return true;
      case 'talk-end':
        this.talkEnd(e.agent);
        return true;
      case 'wrap-end':
        this.wrapEnd(e.agent);
        return true;
      case 'staffing':
        this.setStaffing(e.agents);
        return true;
    }
  }

  private laneOf(a: Attempt): Lane {
    return this.lanes[a.lane] as Lane;
  }

  /** The agents each lane paces on: all of them, or (issue 14.2) its weighted share, as the dialer splits them. */
  private agentsOfLanes(): Agent[][] {
    const staffed = this.agents.filter((a) => a.state !== 'out' && !a.leaving);
    if (this.lanes.length === 1 || this.r.agents === 'all') return this.lanes.map(() => staffed);
    const split = splitAgents(
      staffed,
      this.lanes.map((l, i) => ({ id: i, weight: l.weight })),
      Math.floor(this.now / 60_000),
    );
    return this.lanes.map((_, i) => split.get(i) ?? []);
  }

  private snapshot(lane: number, agents: Agent[], spent: number): PacingSnapshot {
    const busySince: number[] = [];
    let staffed = 0;
    let idle = 0;
    for (const a of agents) {
      staffed++;
      if (a.state !== 'idle') busySince.push(a.busySince);
      else idle++;
    }
    const ringingSince: number[] = [];
    for (const at of this.ringing) if (at.lane === lane) ringingSince.push(at.since);
    while (this.launches.length > 0 && this.launches[0] <= this.now - 1000) this.launches.shift();
    const capacity = Math.min(
      (this.sc.maxConcurrent ?? Infinity) - this.legs,
      (this.sc.sessionsPerSecond ?? Infinity) - this.launches.length,
      this.numbersLeft,
    );
    return {
      now: this.now,
      idleAgents: idle,
      staffedAgents: staffed,
      ringingAttempts: ringingSince.length,
      waitingCustomers: this.waiting.filter((w) => w.lane === lane).length,
      rate: this.lanes[lane]?.rate ?? this.r.rate,
      capacity: Math.max(0, Math.min(capacity - spent, 1e6)),
      ringingSince,
      busySince,
    };
  }

  private dial(): void {
    const shares = this.agentsOfLanes();
    let spent = 0;
    this.lanes.forEach((lane, i) => {
      const n = lane.pacer.decide(this.snapshot(i, shares[i] ?? [], spent));
      spent += n;
      for (let k = 0; k < n; k++) this.originate(i);
    });
    this.tally.peakLegs = Math.max(this.tally.peakLegs, this.legs);
    this.tally.peakCps = Math.max(this.tally.peakCps, this.launches.length);
  }

  private originate(lane: number): void {
    this.numbersLeft--;
    this.legs++;
    this.launches.push(this.now);
    this.tally.attempts++;
    (this.lanes[lane] as Lane).tally.attempts++;
    const attempt: Attempt = { lane, since: this.now, settled: false };
    this.ringing.add(attempt);
    const timeout = s2ms(this.sc.noAnswerTimeoutS);
    const answered = this.rng.next() < answerProbabilityAt(this.sc.answerProbability, this.now / 1000);
    const ring = answered ? draw(this.rng, this.sc.ringS) : timeout;
    if (!answered || ring >= timeout) {
      this.queue.push(this.now + timeout, { kind: 'dropped', attempt, machine: false });
    } else if (this.rng.next() < (this.sc.machineShare ?? 0)) {
      this.queue.push(this.now + ring + s2ms(this.sc.machineDetectS ?? 3), {
        kind: 'dropped',
        attempt,
        machine: true,
      });
    } else {
      this.queue.push(this.now + ring + s2ms(this.sc.humanDetectS ?? 0), { kind: 'live-answer', attempt });
    }
  }

  private liveAnswer(attempt: Attempt): void {
    this.ringing.delete(attempt);
    this.laneOf(attempt).pacer.observe({
      kind: 'attempt-ended',
      at: this.now,
      answered: true,
      ringMs: this.now - attempt.since,
    });
    // The person answered before detection said so: their wait, and the abandon rule's 2 s, run from the answer.
    attempt.answeredAt = this.now - s2ms(this.sc.humanDetectS ?? 0);
    const agent = this.idle.shift();
    if (agent) return this.connect(attempt, agent);
    this.waiting.push(attempt);
    this.queue.push(Math.max(this.now, attempt.answeredAt + this.maxWaitMs), { kind: 'abandon', attempt });
  }

  private connect(attempt: Attempt, agent: Agent): void {
    attempt.settled = true;
    this.tally.liveOutcome(this.now, false);
    this.tally.idleGapsMs.push(this.now - agent.idleSince);
    this.laneOf(attempt).tally.liveAnswers++;
    this.laneOf(attempt).pacer.observe({
      kind: 'connected',
      at: this.now,
      waitMs: this.now - (attempt.answeredAt ?? this.now),
    });
    agent.state = 'talking';
    agent.busySince = this.now;
    agent.talkMs = draw(this.rng, { min: 1, ...this.sc.talkS });
    this.queue.push(this.now + agent.talkMs, { kind: 'talk-end', agent });
  }

  private talkEnd(agent: Agent): void {
    if (agent.state !== 'talking') return;
    this.tally.talkMs += agent.talkMs;
    this.legs--;
    agent.state = 'wrap';
    this.queue.push(this.now + draw(this.rng, this.sc.wrapS), { kind: 'wrap-end', agent });
  }

  private wrapEnd(agent: Agent): void {
    if (agent.state !== 'wrap') return;
    const talkMs = agent.talkMs;
    this.tally.wrapMs += this.now - agent.busySince - talkMs;
    this.observeAll({
      kind: 'agent-freed',
      at: this.now,
      talkMs,
      wrapMs: this.now - agent.busySince - talkMs,
    });
    if (agent.leaving) return this.logOut(agent);
    this.becomeIdle(agent);
  }

  private becomeIdle(agent: Agent): void {
    agent.state = 'idle';
    agent.idleSince = this.now;
    const customer = this.waiting.shift();
    if (customer) this.connect(customer, agent);
    else this.idle.push(agent);
  }

  private setStaffing(target: number): void {
    let staffed = this.agents.filter((a) => a.state !== 'out' && !a.leaving).length;
    for (const a of this.agents) {
      if (staffed >= target) break;
      if (a.state !== 'out' && a.leaving) {
        a.leaving = false;
        staffed++;
      }
    }
    while (staffed < target) {
      const agent: Agent = {
        id: this.agents.length,
        state: 'idle',
        loginAt: this.now,
        idleSince: this.now,
        busySince: 0,
        talkMs: 0,
        leaving: false,
      };
      this.agents.push(agent);
      this.becomeIdle(agent);
      staffed++;
    }
    // Idle agents leave at once, most recently idle first; busy ones after their call.
    for (let a = this.idle.at(-1); staffed > target && a; a = this.idle.at(-1)) {
      this.logOut(a);
      staffed--;
    }
    for (const a of this.agents) {
      if (staffed <= target) break;
      if (a.state !== 'out' && a.state !== 'idle' && !a.leaving) {
        a.leaving = true;
        staffed--;
      }
    }
  }

  private logOut(agent: Agent): void {
    if (agent.state === 'out') return;
    // A call still going at the end of the day counts for the talk done so far.
    if (agent.state === 'talking') this.tally.talkMs += Math.max(0, this.now - agent.busySince);
    if (agent.state === 'wrap') this.tally.wrapMs += Math.max(0, this.now - agent.busySince - agent.talkMs);
    this.tally.loggedInMs += this.now - agent.loginAt;
    this.idle = this.idle.filter((a) => a !== agent);
    agent.state = 'out';
  }
}
