import t from 'tap';
import { normalCdf } from '../../../src/dialer/pacing/adaptive.js';
import { DecayingRate, DurationSample } from '../../../src/dialer/pacing/estimators.js';
import { binomialPmf } from '../../../src/dialer/pacing/forecast.js';

t.test('a decaying rate starts at its prior and follows the outcomes it sees', (t) => {
  const r = new DecayingRate(0.5, 10, 100);
  t.equal(r.mean(), 0.5);
  t.ok(r.upper(1) > 0.6, 'few outcomes: a wide, pessimistic upper bound');
  for (let i = 0; i < 1000; i++) r.add(i % 10 === 0);
  t.ok(Math.abs(r.mean() - 0.1) < 0.01, `learnt ~10% (${r.mean()})`);
  t.ok(r.upper(1) - r.mean() < 0.03, 'many outcomes: a narrow bound');
  t.ok(r.weight() < 200, 'old outcomes are forgotten (half-life 100)');
  for (let i = 0; i < 300; i++) r.add(i % 2 === 0);
  t.ok(Math.abs(r.mean() - 0.5) < 0.06, `a drift is followed (${r.mean()})`);
  t.end();
});

t.test('a duration sample answers CDF and quantiles to within one grid step', (t) => {
  const d = new DurationSample(100, [], 100);
  t.equal(d.cdfAt(5000), 0, 'no sample yet: nothing known to end');
  for (let s = 1; s <= 10; s++) d.add(s * 1000);
  t.equal(d.count(), 10);
  t.equal(d.mean(), 5500);
  t.equal(d.cdfAt(-1), 0);
  t.equal(d.cdfAt(500), 0);
  t.equal(d.cdfAt(5000), 0.5);
  t.equal(d.cdfAt(10_000), 1);
  t.equal(d.quantile(0.5), 5100, 'the upper edge of the step holding the median');
  d.add(-1);
  d.add(Number.NaN);
  t.equal(d.count(), 10, 'nonsense durations are ignored');
  t.end();
});

t.test('prior samples stand in until as many real ones have arrived, and old samples roll out', (t) => {
  const d = new DurationSample(4, [100_000, 100_000], 100);
  t.equal(d.mean(), 100_000);
  d.add(10_000);
  t.equal(d.mean(), 55_000, 'one prior left beside one real sample');
  d.add(10_000);
  t.equal(d.mean(), 10_000);
  for (let i = 0; i < 4; i++) d.add(20_000);
  t.equal(d.mean(), 20_000, 'capacity 4: only the last four count');
  t.end();
});

t.test('the normal CDF is accurate', (t) => {
  t.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  t.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  t.ok(Math.abs(normalCdf(-1) - 0.158655) < 1e-6);
  t.end();
});

t.test('the binomial distribution used for small teams is exact', (t) => {
  const b = binomialPmf(3, 0.3);
  t.same(
    [...b].map((x) => Math.round(x * 1e6) / 1e6),
    [0.343, 0.441, 0.189, 0.027],
  );
  t.equal(binomialPmf(0, 0.5)[0], 1);
  t.end();
});

t.test('busy times still running count as censored while the sample is young (Kaplan-Meier)', (t) => {
  const d = new DurationSample(100, [], 1000);
  d.setOpen(Array.from({ length: 30 }, () => 300_000));
  for (let i = 0; i < 10; i++) d.add(60_000);
  // Ten of forty ended at 60 s; thirty are still going at 300 s: P(≤ 60 s) = 1/4, and nothing more is known.
  t.equal(d.cdfAt(60_000), 0.25);
  t.equal(d.cdfAt(250_000), 0.25);
  t.equal(d.cdfAt(10_000_000), 0.25, 'past the data the estimate stays where it was');
  t.ok(d.wantsOpen());
  for (let i = 0; i < 100; i++) d.add(120_000);
  t.notOk(d.wantsOpen(), 'once full, the sample is recent calls only');
  t.equal(d.cdfAt(120_000), 1);
  t.end();
});

t.test('a hazard from a handful of calls still at risk is not trusted', (t) => {
  const d = new DurationSample(100, [], 1000);
  d.setOpen(Array.from({ length: 30 }, () => 30_000));
  for (let i = 0; i < 5; i++) d.add(60_000);
  // Past 30 s only the five that ended remain at risk: too few to say agents free up at 60 s.
  t.equal(d.cdfAt(60_000), 0);
  t.end();
});
