// The adaptive mode stays under the 3% abandon cap in harder campaigns (issue 8): a small team, agents coming and
// going, an answer rate that drifts or jumps. (adaptive-cap.test.ts has the reference campaign.)
import t from 'tap';
import { adaptive, CAP, HOUR, team20 } from './fixtures.js';

t.test('given only 5 agents for a whole day, it still stays under the cap', (t) => {
  for (const seed of [1, 2, 3]) {
    const r = adaptive({ ...team20, agents: 5, durationS: 8 * HOUR }, seed);
    t.ok(r.abandonRate <= CAP, `seed ${seed}: ${(r.abandonRate * 100).toFixed(2)}% abandoned`);
  }
  t.end();
});

t.test('when the answer rate drifts or jumps, it follows and stays under the cap', (t) => {
  const drift = {
    ...team20,
    answerProbability: [
      [0, 0.35],
      [3 * HOUR, 0.15],
    ] as const,
  };
  const jump = {
    ...team20,
    answerProbability: [
      [0, 0.15],
      [HOUR, 0.15],
      [HOUR + 1, 0.45],
    ] as const,
  };
  for (const [name, sc] of [
    ['drift 35%→15%', drift],
    ['jump 15%→45%', jump],
  ] as const)
    for (const seed of [1, 2]) {
      const r = adaptive(sc, seed);
      t.ok(r.abandonRate <= CAP, `${name}, seed ${seed}: ${(r.abandonRate * 100).toFixed(2)}%`);
    }
  t.end();
});

t.test('when agents log out and back in, it stays under the cap', (t) => {
  const shifts = {
    ...team20,
    staffing: [
      { atS: HOUR, agents: 6 },
      { atS: 1.5 * HOUR, agents: 20 },
      { atS: 2 * HOUR, agents: 35 },
    ],
  };
  for (const seed of [1, 2]) {
    const r = adaptive(shifts, seed);
    t.ok(r.abandonRate <= CAP, `seed ${seed}: ${(r.abandonRate * 100).toFixed(2)}%`);
  }
  t.end();
});
