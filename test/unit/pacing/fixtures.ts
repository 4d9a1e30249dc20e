// The campaign the adaptive-mode tests share: the benchmark's reference scenario (scripts/bench/scenarios), cut to
// 3 h with 30-minute abandon buckets so each run takes a fraction of a second.
import { reference } from '../../../scripts/bench/scenarios/standard.js';
import { createPacer } from '../../../src/dialer/pacing/modes.js';
import type { Scenario } from '../../../src/dialer/simulation/scenario.js';
import { simulate } from '../../../src/dialer/simulation/simulator.js';

export const CAP = 0.03;
export const HOUR = 3600;

export const team20: Scenario = {
  ...reference,
  name: '20 agents, 30% answer, 3 h',
  durationS: 3 * HOUR,
  abandonBucketS: 1800,
};

export const adaptive = (sc: Scenario, seed: number) =>
  simulate(sc, { pacer: createPacer('adaptive'), rate: 1, seed });
