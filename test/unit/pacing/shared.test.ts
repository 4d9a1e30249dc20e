// Issue 14.2 in the simulator: two tasks dialling for one team.
import t from 'tap';
import { createPacer } from '../../../src/dialer/pacing/modes.js';
import { simulate } from '../../../src/dialer/simulation/simulator.js';
import { reference } from '../../../scripts/bench/scenarios/standard.js';

const hour = { ...reference, durationS: 3600 };
const twoTasks = (mode: 'fixed' | 'adaptive', rate: number, agents: 'all' | 'split', weights = [1, 1]) =>
  simulate(hour, {
    pacer: createPacer(mode),
    rate,
    seed: 1,
    agents,
    tasks: weights.map((weight) => ({ pacer: createPacer(mode), rate, weight })),
  });

t.test(
  'two fixed-rate tasks that each see every idle agent over-dial; split, they dial like one task',
  async (t) => {
    const one = simulate(hour, { pacer: createPacer('fixed'), rate: 2, seed: 1 });
    const all = twoTasks('fixed', 2, 'all');
    const split = twoTasks('fixed', 2, 'split');
    t.ok(all.abandonRate > 0.03, `all: ${all.abandonRate}`);
    t.ok(split.abandonRate <= 0.03, `split: ${split.abandonRate}`);
    t.ok(all.attempts > one.attempts * 1.1, 'seeing every agent, two tasks dial well beyond one task');
    t.ok(split.attempts <= one.attempts * 1.05, 'split, they dial no more than one task would');
    t.equal((split.tasks ?? []).length, 2);
  },
);

t.test('adaptive tasks split by weight hold the cap each and take the team in proportion', async (t) => {
  const split = twoTasks('adaptive', 1, 'split', [3, 1]);
  const [a, b] = split.tasks ?? [];
  t.ok(split.abandonRate <= 0.03, `overall ${split.abandonRate}`);
  t.ok((a?.abandonRate ?? 1) <= 0.03 && (b?.abandonRate ?? 1) <= 0.03, 'each task under the cap');
  t.ok((a?.attempts ?? 0) > 2.5 * (b?.attempts ?? 0), `3:1 weights: ${a?.attempts} vs ${b?.attempts}`);
  t.ok(twoTasks('adaptive', 1, 'all').abandonRate > 0.03, 'the same tasks seeing every agent break the cap');
});
