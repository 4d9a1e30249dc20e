// The adaptive mode's promise (issue 8): under the 3% abandon cap across seeds, at start, when agents come and
// go and when the answer rate drifts, and never above the line limits. Short days keep this file to seconds.
import t from 'tap';
import { createPacer } from '../../../src/dialer/pacing/modes.js';
import { simulate } from '../../../src/dialer/simulation/simulator.js';
import { adaptive, CAP, HOUR, team20 } from './fixtures.js';

// Days are deterministic per seed, so the first half hour of these runs is what a fresh pacer did at start.
const days = [1, 2, 3, 4].map((seed) => adaptive(team20, seed));

t.test('given 20 agents, the adaptive mode stays under 3% abandoned on every seed', (t) => {
  days.forEach((r, i) => {
    t.ok(r.abandonRate <= CAP, `seed ${i + 1}: ${(r.abandonRate * 100).toFixed(2)}% abandoned`);
    t.ok(r.occupancy > 0.7, `seed ${i + 1}: occupancy ${(r.occupancy * 100).toFixed(1)}%`);
  });
  t.end();
});

t.test('a fresh pacer is safe in its first half hour, before it has learnt the campaign', (t) => {
  const live = days.reduce((n, r) => n + r.abandonOverTime[0].liveAnswers, 0);
  const abandoned = days.reduce((n, r) => n + r.abandonOverTime[0].abandoned, 0);
  t.ok(abandoned / live <= CAP, `${abandoned} of ${live} live answers abandoned`);
  t.end();
});

t.test('it never exceeds the gateway concurrency or the sessions per second', (t) => {
  const tight = { ...team20, durationS: HOUR, sessionsPerSecond: 1, maxConcurrent: 30 };
  const r = adaptive(tight, 1);
  t.ok(r.peakConcurrentLegs <= 30, `peak legs ${r.peakConcurrentLegs}`);
  t.ok(r.peakSessionsPerSecond <= 1, `peak originates/s ${r.peakSessionsPerSecond}`);
  t.ok(r.abandonRate <= CAP);
  t.end();
});

t.test(
  'on the reference campaign it keeps agents busier than any fixed rate that also holds the cap',
  (t) => {
    const seed = 1;
    const a = adaptive(team20, seed);
    for (const rate of [1, 1.5, 2, 3]) {
      const f = simulate(team20, { pacer: createPacer('fixed'), rate, seed });
      if (f.abandonRate <= CAP)
        t.ok(
          a.occupancy > f.occupancy,
          `rate ${rate}: adaptive ${a.occupancy.toFixed(3)} > fixed ${f.occupancy.toFixed(3)}`,
        );
      else t.pass(`rate ${rate} breaks the cap (${(f.abandonRate * 100).toFixed(1)}%)`);
    }
    t.end();
  },
);
