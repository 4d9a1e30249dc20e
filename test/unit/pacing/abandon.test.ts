import t from 'tap';
import { checkAbandonTarget, judgeLiveAnswer } from '../../../src/dialer/pacing/abandon.js';

t.test('the 2 s rule: connected within 2 s is a connection, later or never is an abandon', async (t) => {
  const rows: [number, number | null, object][] = [
    [55, 0, { live: true, abandoned: false, waitMs: 0 }],
    [50, 2000, { live: true, abandoned: false, waitMs: 2000 }],
    [55, 2001, { live: true, abandoned: true, waitMs: 2001 }],
    [28, null, { live: true, abandoned: true }],
    [35, null, { live: true, abandoned: true }],
    [40, null, { live: true, abandoned: true }],
    [20, null, { live: false }],
    [25, null, { live: false }],
    [5, null, { live: false }],
  ];
  for (const [detail, wait, verdict] of rows)
    t.match(judgeLiveAnswer(detail, wait), verdict, `resultDetail ${detail}, wait ${wait}`);
});

t.test('a task target must lie within the 3% cap', async (t) => {
  t.equal(checkAbandonTarget(0.02), 0.02);
  t.equal(checkAbandonTarget('0.03'), 0.03);
  for (const bad of [0, -0.01, 0.031, 'x', null, Infinity])
    t.match(checkAbandonTarget(bad), { error: /abandonTarget must be .* at most 0.03/ });
});

t.test("a task's lower target makes the adaptive pacer abandon less (the per-task option)", async (t) => {
  const { createPacer } = await import('../../../src/dialer/pacing/modes.js');
  const { simulate } = await import('../../../src/dialer/simulation/simulator.js');
  const { reference } = await import('../../../scripts/bench/scenarios/standard.js');
  const sc = { ...reference, durationS: 4 * 3600 };
  const run = (target?: number) =>
    simulate(sc, {
      pacer: createPacer('adaptive', {
        adaptive: target === undefined ? undefined : { targetAbandonRate: target },
      }),
      rate: 1,
      seed: 2,
    });
  const strict = run(0.01);
  const normal = run();
  t.ok(
    strict.abandonRate <= 0.015,
    `1% target: ${strict.abandonRate} (aim 0.8%, the start-up costs a little)`,
  );
  t.ok(strict.abandonRate < normal.abandonRate, 'below the default 3% target');
  t.ok(strict.occupancy < normal.occupancy, 'paid for with occupancy');
});
