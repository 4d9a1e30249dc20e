// Pacing benchmark (issue 8): every standard scenario under fixed rates 1, 1.5, 2, 3 and the adaptive mode,
// printing occupancy, abandon rate and talk minutes per agent hour. Figures, not assertions: run it with
//   node --import=tsx scripts/bench/pacing.ts [--seeds N] [--only <scenario name part>] [--json]
import { createPacer } from '../../src/dialer/pacing/modes.js';
import type { PacingMode } from '../../src/dialer/pacing/modes.js';
import type { SimulationReport } from '../../src/dialer/simulation/report.js';
import { simulate } from '../../src/dialer/simulation/simulator.js';
import { standardScenarios } from './scenarios/standard.js';

const args = process.argv.slice(2);
const seedsArg = args.indexOf('--seeds');
const seeds = seedsArg >= 0 ? Number(args[seedsArg + 1]) : 1;
const json = args.includes('--json');

const modes: { mode: PacingMode; rate: number; label: string }[] = [
  { mode: 'fixed', rate: 1, label: 'fixed 1' },
  { mode: 'fixed', rate: 1.5, label: 'fixed 1.5' },
  { mode: 'fixed', rate: 2, label: 'fixed 2' },
  { mode: 'fixed', rate: 3, label: 'fixed 3' },
  { mode: 'adaptive', rate: 1, label: 'adaptive' },
];

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1] : '';

const rows: string[][] = [];
const all: SimulationReport[] = [];
const verdicts: string[] = [];
for (const scenario of standardScenarios.filter((s) => s.name.includes(only))) {
  const byMode = new Map<string, { occupancy: number; worst: number }>();
  for (const m of modes) {
    const started = performance.now();
    const reports: SimulationReport[] = [];
    for (let seed = 1; seed <= seeds; seed++)
      reports.push(simulate(scenario, { pacer: createPacer(m.mode), rate: m.rate, seed }));
    all.push(...reports);
    const worstAbandon = Math.max(...reports.map((r) => r.abandonRate));
    byMode.set(m.label, { occupancy: mean(reports.map((r) => r.occupancy)), worst: worstAbandon });
    rows.push([
      scenario.name,
      m.label,
      pct(mean(reports.map((r) => r.occupancy))),
      pct(mean(reports.map((r) => r.busyOccupancy))),
      pct(mean(reports.map((r) => r.abandonRate))),
      pct(worstAbandon),
      mean(reports.map((r) => r.talkMinutesPerAgentHour)).toFixed(1),
      mean(reports.map((r) => r.attemptsPerAgentHour)).toFixed(0),
      `${mean(reports.map((r) => r.waitBetweenCallsP50S)).toFixed(0)}/${mean(reports.map((r) => r.waitBetweenCallsP95S)).toFixed(0)}`,
      worstAbandon <= 0.03 ? 'yes' : 'NO',
      ((performance.now() - started) / 1000).toFixed(1),
    ]);
  }
  const adaptive = byMode.get('adaptive')!;
  const holding = [...byMode].filter(([label, v]) => label !== 'adaptive' && v.worst <= 0.03);
  const best = holding.reduce((b, [, v]) => Math.max(b, v.occupancy), 0);
  verdicts.push(
    `${scenario.name}: adaptive ${adaptive.worst <= 0.03 ? 'holds' : 'BREAKS'} the 3% cap; ` +
      `best fixed rate within the cap ${pct(best)} vs adaptive ${pct(adaptive.occupancy)} ` +
      `(${adaptive.occupancy > best ? 'adaptive better' : 'ADAPTIVE NOT BETTER'})`,
  );
}

if (json) {
  console.log(JSON.stringify(all, null, 2));
} else {
  const header = [
    'scenario',
    'mode',
    'occupancy',
    'talk+wrap',
    'abandon',
    'worst abandon',
    'talk min/agent-h',
    'attempts/agent-h',
    'wait p50/p95 s',
    '≤ 3%',
    'run s',
  ];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`Pacing benchmark: 8-hour days, ${seeds} seed(s) each (occupancy = talk / logged-in time)\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const v of verdicts) console.log(v);
}
