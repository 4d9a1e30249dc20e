// Two tasks, one team (issue 14.2): the reference campaign's 20 agents dialled for by two running tasks at once,
// with every pacer seeing every idle agent (`all`, what the dialer did before) and with the dialer's weighted
// split of the agents (`split`). Figures, not assertions:
//   node --import=tsx scripts/bench/shared-agents.ts [--seeds N] [--hours H]
import { createPacer, type PacingMode } from '../../src/dialer/pacing/modes.js';
import { simulate } from '../../src/dialer/simulation/simulator.js';
import { reference } from './scenarios/standard.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const seeds = arg('--seeds', 3);
const hours = arg('--hours', 8);
const scenario = { ...reference, name: `20 agents, 30% answer, two tasks`, durationS: hours * 3600 };

const cases: { label: string; mode: PacingMode; rate: number; weights: [number, number] }[] = [
  { label: 'fixed 2, weights 1:1', mode: 'fixed', rate: 2, weights: [1, 1] },
  { label: 'fixed 3, weights 1:1', mode: 'fixed', rate: 3, weights: [1, 1] },
  { label: 'adaptive, weights 1:1', mode: 'adaptive', rate: 1, weights: [1, 1] },
  { label: 'adaptive, weights 3:1', mode: 'adaptive', rate: 1, weights: [3, 1] },
];

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const rows: string[][] = [];
for (const c of cases)
  for (const agents of ['all', 'split'] as const) {
    const reports = Array.from({ length: seeds }, (_, i) =>
      simulate(scenario, {
        pacer: createPacer(c.mode),
        rate: c.rate,
        seed: i + 1,
        agents,
        tasks: c.weights.map((weight) => ({ pacer: createPacer(c.mode), rate: c.rate, weight })),
      }),
    );
    const task = (k: number) => reports.map((r) => r.tasks?.[k]);
    rows.push([
      c.label,
      agents,
      pct(mean(reports.map((r) => r.occupancy))),
      pct(mean(reports.map((r) => r.abandonRate))),
      pct(Math.max(...reports.map((r) => r.abandonRate))),
      `${pct(mean(task(0).map((x) => x?.abandonRate ?? 0)))} / ${pct(mean(task(1).map((x) => x?.abandonRate ?? 0)))}`,
      `${mean(task(0).map((x) => x?.attempts ?? 0)).toFixed(0)} / ${mean(task(1).map((x) => x?.attempts ?? 0)).toFixed(0)}`,
      Math.max(...reports.map((r) => r.abandonRate)) <= 0.03 ? 'yes' : 'NO',
    ]);
  }

const header = [
  'tasks',
  'agents seen',
  'occupancy',
  'abandon',
  'worst',
  'abandon A / B',
  'attempts A / B',
  '≤ 3%',
];
const table = [header, ...rows];
const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
const line = (r: string[]) => `| ${r.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(`${scenario.name}: ${hours} h, ${seeds} seed(s)\n`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
