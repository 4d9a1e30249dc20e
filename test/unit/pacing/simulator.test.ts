import t from 'tap';
import { fixedPacer } from '../../../src/dialer/pacing/pacer.js';
import type { Pacer, PacingObservation, PacingSnapshot } from '../../../src/dialer/pacing/pacer.js';
import { percentile } from '../../../src/dialer/simulation/report.js';
import { createRng } from '../../../src/dialer/simulation/rng.js';
import { answerProbabilityAt } from '../../../src/dialer/simulation/scenario.js';
import type { Scenario } from '../../../src/dialer/simulation/scenario.js';
import { simulate } from '../../../src/dialer/simulation/simulator.js';

/** Everything fixed: one agent, every call answered live after 10 s, talk 60 s, no wrap-up. */
const tiny: Scenario = {
  name: 'tiny',
  durationS: 100,
  agents: 1,
  answerProbability: 1,
  ringS: { mean: 10 },
  noAnswerTimeoutS: 30,
  talkS: { mean: 60 },
  wrapS: { mean: 0 },
};

/** Wraps a pacer and records what the simulator told it. */
function spy(inner: Pacer): Pacer & { seen: PacingObservation[]; snapshots: PacingSnapshot[] } {
  const seen: PacingObservation[] = [];
  const snapshots: PacingSnapshot[] = [];
  return {
    mode: inner.mode,
    seen,
    snapshots,
    decide: (s) => {
      snapshots.push(s);
      return inner.decide(s);
    },
    observe: (o) => {
      seen.push(o);
      inner.observe(o);
    },
  };
}

/** Launches one attempt at each of the given times (ms), whatever the agents do. */
function scripted(times: number[]): Pacer {
  const due = [...times];
  return {
    mode: 'scripted',
    decide: (s) => {
      let n = 0;
      while (due.length > 0 && due[0] <= s.now) {
        due.shift();
        n++;
      }
      return Math.min(n, s.capacity);
    },
    observe: () => {},
  };
}

t.test('given one agent and sure answers at rate 1, the day is two calls and 80 s of talk', (t) => {
  const pacer = spy(fixedPacer());
  const r = simulate(tiny, { pacer, rate: 1, seed: 1 });
  // t=0 dial; t=10 answer, connect after 10 s idle; t=70 free, dial; t=80 connect; the day ends mid-call at 100.
  t.equal(r.attempts, 2);
  t.equal(r.liveAnswers, 2);
  t.equal(r.connected, 2);
  t.equal(r.abandoned, 0);
  t.equal(r.talkS, 60 + 20, 'the call still going at the end counts for its 20 s');
  t.equal(r.loggedInS, 100);
  t.equal(r.occupancy, 0.8);
  t.equal(r.abandonRate, 0);
  t.equal(r.talkMinutesPerAgentHour, (80 / 60) * 36);
  t.equal(r.attemptsPerAgentHour, 2 * 36);
  t.equal(r.waitBetweenCallsP50S, 10);
  t.equal(r.waitBetweenCallsP95S, 10);
  t.same(
    pacer.seen.map((o) => o.kind),
    ['attempt-ended', 'connected', 'agent-freed', 'attempt-ended', 'connected'],
  );
  t.same(pacer.seen[0], { kind: 'attempt-ended', at: 10_000, answered: true, ringMs: 10_000 });
  t.same(pacer.seen[2], { kind: 'agent-freed', at: 70_000, talkMs: 60_000, wrapMs: 0 });
  const atFree = pacer.snapshots.find((s) => s.now === 70_000)!;
  t.equal(atFree.idleAgents, 1);
  t.equal(atFree.staffedAgents, 1);
  const midCall = pacer.snapshots.find((s) => s.now === 30_000)!;
  t.same(midCall.busySince, [10_000], 'busy agents are reported with when their call connected');
  t.same(midCall.ringingSince, []);
  t.end();
});

t.test('given two live answers for one agent, the second waits 2 s and is abandoned', (t) => {
  const pacer = spy(fixedPacer());
  const r = simulate({ ...tiny, durationS: 50 }, { pacer, rate: 2, seed: 1 });
  t.equal(r.attempts, 2);
  t.equal(r.connected, 1);
  t.equal(r.abandoned, 1);
  t.equal(r.abandonRate, 0.5);
  t.same(pacer.seen.at(-1), { kind: 'abandoned', at: 12_000, waitMs: 2000 });
  t.same(r.abandonOverTime, [{ fromS: 0, liveAnswers: 2, abandoned: 1, rate: 0.5, cumulativeRate: 0.5 }]);
  t.end();
});

t.test('given an agent freeing 1 s after a live answer, the customer is connected after waiting 1 s', (t) => {
  const pacer = spy(scripted([0, 19_000]));
  const r = simulate({ ...tiny, durationS: 40, talkS: { mean: 20 } }, { pacer, rate: 1, seed: 1 });
  // First call: answer 10, talk to 30. Second: dialled 19, answered 29, agent free at 30.
  t.equal(r.connected, 2);
  t.equal(r.abandoned, 0);
  t.same(
    pacer.seen.filter((o) => o.kind === 'connected'),
    [
      { kind: 'connected', at: 10_000, waitMs: 0 },
      { kind: 'connected', at: 30_000, waitMs: 1000 },
    ],
  );
  t.equal(r.waitBetweenCallsP95S, 10, 'the agent did not wait before the second call');
  t.equal(percentile([10_000, 0], 0.5), 0);
  t.end();
});

t.test('answering machines and unanswered attempts end without an agent and count apart', (t) => {
  const machines = spy(scripted([0]));
  const m = simulate({ ...tiny, machineShare: 1, machineDetectS: 3 }, { pacer: machines, rate: 1, seed: 1 });
  t.equal(m.machineAnswers, 1);
  t.equal(m.liveAnswers, 0);
  t.same(machines.seen, [{ kind: 'attempt-ended', at: 13_000, answered: false, ringMs: 13_000 }]);

  const silent = spy(scripted([0]));
  const n = simulate({ ...tiny, answerProbability: 0 }, { pacer: silent, rate: 1, seed: 1 });
  t.equal(n.noAnswers, 1);
  t.same(silent.seen, [{ kind: 'attempt-ended', at: 30_000, answered: false, ringMs: 30_000 }]);
  t.equal(n.occupancy, 0);
  t.end();
});

t.test('wrap-up keeps the agent busy without counting as talk', (t) => {
  const r = simulate({ ...tiny, wrapS: { mean: 10 } }, { pacer: fixedPacer(), rate: 1, seed: 1 });
  // Call 1: talk 10-70, wrap to 80, next call answers at 90 and talks to the end (10 s).
  t.equal(r.talkS, 70);
  t.equal(r.wrapS, 10);
  t.equal(r.waitBetweenCallsP50S, 10);
  t.end();
});

t.test('no pacer can exceed the gateway concurrency, the sessions per second or the numbers left', (t) => {
  const greedy = {
    ...tiny,
    agents: 5,
    durationS: 600,
    answerProbability: 0.3,
    ringS: { mean: 10, sd: 5, min: 1 },
  };
  const limited = simulate(
    { ...greedy, maxConcurrent: 7, sessionsPerSecond: 2 },
    { pacer: fixedPacer(), rate: 100, seed: 3 },
  );
  t.equal(limited.peakConcurrentLegs, 7);
  t.equal(limited.peakSessionsPerSecond, 2);
  const listed = simulate({ ...greedy, numbers: 3 }, { pacer: fixedPacer(), rate: 100, seed: 3 });
  t.equal(listed.attempts, 3);
  t.end();
});

t.test('agents logging out leave after their call; logged-in time follows the staffing', (t) => {
  const idleDay = { ...tiny, agents: 2, answerProbability: 0, staffing: [{ atS: 50, agents: 1 }] };
  t.equal(simulate(idleDay, { pacer: fixedPacer(), rate: 0, seed: 1 }).loggedInS, 50 + 100);
  const up = { ...idleDay, staffing: [{ atS: 40, agents: 3 }] };
  t.equal(simulate(up, { pacer: fixedPacer(), rate: 0, seed: 1 }).loggedInS, 200 + 60);
  // One busy agent asked to leave at 30 s finishes the call (talk to 70) and leaves then.
  const busy = { ...tiny, staffing: [{ atS: 30, agents: 0 }] };
  const r = simulate(busy, { pacer: fixedPacer(), rate: 1, seed: 1 });
  t.equal(r.loggedInS, 70);
  t.equal(r.talkS, 60);
  t.equal(r.attempts, 1, 'a leaving agent is no longer staffed, so nothing more is dialled for them');
  t.end();
});

t.test('the same seed gives the same day; another seed another day', (t) => {
  const sc: Scenario = {
    ...tiny,
    agents: 5,
    durationS: 1800,
    answerProbability: 0.3,
    ringS: { mean: 15, sd: 7, min: 1 },
    talkS: { mean: 120, sd: 60, min: 10 },
  };
  const a = simulate(sc, { pacer: fixedPacer(), rate: 2, seed: 7 });
  const b = simulate(sc, { pacer: fixedPacer(), rate: 2, seed: 7 });
  const c = simulate(sc, { pacer: fixedPacer(), rate: 2, seed: 8 });
  t.same(a, b);
  t.not(JSON.stringify(a), JSON.stringify(c));
  t.end();
});

t.test('answer probability may drift along straight lines between points', (t) => {
  const p = [
    [0, 0.35],
    [100, 0.15],
  ] as const;
  t.equal(answerProbabilityAt(0.3, 50), 0.3);
  t.equal(answerProbabilityAt(p, -5), 0.35);
  t.ok(Math.abs(answerProbabilityAt(p, 50) - 0.25) < 1e-12);
  t.equal(answerProbabilityAt(p, 500), 0.15);
  t.equal(answerProbabilityAt([], 5), 0);
  t.end();
});

t.test('the seeded random source is uniform and its normals have the asked mean and spread', (t) => {
  const rng = createRng(42);
  let sum = 0;
  let sq = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    if (u < 0 || u >= 1) t.fail('out of range');
    const v = rng.normal(15, 7);
    sum += v;
    sq += v * v;
  }
  const mean = sum / n;
  t.ok(Math.abs(mean - 15) < 0.2, `mean ${mean}`);
  t.ok(Math.abs(Math.sqrt(sq / n - mean * mean) - 7) < 0.2);
  t.equal(rng.normal(3, 0), 3);
  t.end();
});

t.test(
  'with AMD a person is a live answer once detected, and the 2 s they may wait run from their answer',
  (t) => {
    // Two attempts at once, one agent: the first person gets the agent; the second waits from their answer (10 s),
    // detected 1.5 s later, so they are abandoned at 12 s, 0.5 s after the pacer heard of them.
    const pacer = spy(scripted([0, 0]));
    const r = simulate({ ...tiny, humanDetectS: 1.5 }, { pacer, rate: 1, seed: 1 });
    t.same(
      pacer.seen.filter((o) => o.kind !== 'agent-freed'),
      [
        { kind: 'attempt-ended', at: 11_500, answered: true, ringMs: 11_500 },
        { kind: 'connected', at: 11_500, waitMs: 1500 },
        { kind: 'attempt-ended', at: 11_500, answered: true, ringMs: 11_500 },
        { kind: 'abandoned', at: 12_000, waitMs: 2000 },
      ],
    );
    t.equal(r.abandoned, 1);
    t.end();
  },
);
