// The adaptive pacer with answering-machine detection over a whole simulated day (issue 23): a campaign whose
// answers are half machines, detected in a few seconds and never given to an agent, against a campaign with the
// same rate of live answers and no machines. Machines ring on for the pacer until detected and end as attempts
// that needed no agent; a person's live answer comes after their detection (humanDetectS) and their 2 s still
// count from the answer, as in the dialer (src/dialer/customer-calls.ts). Figures, not assertions:
//   node --import=tsx scripts/bench/amd-pacing.ts [--seeds N]
import { createPacer } from '../../src/dialer/pacing/modes.js';
import type { Scenario } from '../../src/dialer/simulation/scenario.js';
import { simulate } from '../../src/dialer/simulation/simulator.js';
import { reference } from './scenarios/standard.js';

const args = process.argv.slice(2);
const seeds = args.includes('--seeds') ? Number(args[args.indexOf('--seeds') + 1]) : 3;

/** Detection times measured by scripts/bench/amd.ts (median verdicts after the answer). */
const AMD = { machineShare: 0.5, machineDetectS: 2.2, humanDetectS: 1.8 };

const cases: { name: string; scenario: Scenario }[] = [];
for (const agents of [5, 20, 100]) {
  const base = { ...reference, agents, maxConcurrent: agents * 30 };
  cases.push(
    { name: `${agents} agents, 30% live, no machines`, scenario: { ...base, answerProbability: 0.3 } },
    {
      name: `${agents} agents, 30% live + 30% machines, AMD`,
      scenario: { ...base, answerProbability: 0.6, ...AMD },
    },
  );
}

console.log('| campaign | occupancy | abandon | worst seed | attempts/agent-h | wait p50/p95 s |');
console.log('|---|---|---|---|---|---|');
for (const c of cases) {
  const runs = Array.from({ length: seeds }, (_, seed) =>
    simulate({ ...c.scenario, name: c.name }, { pacer: createPacer('adaptive'), rate: 1, seed: seed + 1 }),
  );
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(
    `| ${c.name} | ${pc(mean((r) => r.occupancy))} | ${pc(mean((r) => r.abandonRate))} | ${pc(Math.max(...runs.map((r) => r.abandonRate)))} | ${mean((r) => r.attemptsPerAgentHour).toFixed(0)} | ${mean((r) => r.waitBetweenCallsP50S).toFixed(0)}/${mean((r) => r.waitBetweenCallsP95S).toFixed(0)} |`,
  );
}
