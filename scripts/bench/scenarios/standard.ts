// The standard pacing scenarios (issue 8). One simulated 8-hour day each; times in seconds.
import type { Scenario } from '../../../src/dialer/simulation/scenario.js';

const DAY_S = 8 * 3600;

/** The reference campaign: 20 agents, 30% answer, ring 15±7 s, talk 120±60 s, wrap 10 s, 8 h. */
export const reference: Scenario = {
  name: '20 agents, 30% answer',
  durationS: DAY_S,
  agents: 20,
  answerProbability: 0.3,
  ringS: { mean: 15, sd: 7, min: 1 },
  noAnswerTimeoutS: 30,
  talkS: { mean: 120, sd: 60, min: 10 },
  wrapS: { mean: 10 },
  sessionsPerSecond: 30,
  maxConcurrent: 600,
};

export const standardScenarios: readonly Scenario[] = [
  reference,
  { ...reference, name: '5 agents, 30% answer', agents: 5 },
  { ...reference, name: '100 agents, 10% answer', agents: 100, answerProbability: 0.1, maxConcurrent: 2000 },
  {
    ...reference,
    name: '20 agents, answer 35%→15%',
    answerProbability: [
      [0, 0.35],
      [DAY_S, 0.15],
    ],
  },
  // Long calls and a big team: here the ≥ 90% occupancy goal is within reach (talk/(talk + wrap) = 98%).
  {
    ...reference,
    name: '100 agents, talk 300±120 s, wrap 5 s',
    agents: 100,
    talkS: { mean: 300, sd: 120, min: 10 },
    wrapS: { mean: 5 },
    maxConcurrent: 2000,
  },
];
