// The wallboard's pure part (src/pages/shared/wallboard-data.ts): an hour of samples as chart series.
import t from 'tap';
import {
  lastHour,
  percentText,
  toSeries,
  type WallboardSample,
} from '../../src/pages/shared/wallboard-data.js';

const sample = (at: number, over: Partial<WallboardSample> = {}): WallboardSample => ({
  at,
  agents: { offline: 1, notAvailable: 2, idle: 3, talking: 4, conference: 1 },
  waiting: 2,
  callsPerMinute: 7,
  occupancy: 0.5,
  abandonRate: 0.024,
  liveAnswersLastHour: 40,
  machinesLastHour: 0,
  cap: 0.03,
  ...over,
});

t.test('the last hour: sorted, without repeats, older samples dropped as new ones arrive', async (t) => {
  const h = 3600_000;
  const kept = lastHour(
    [sample(2 * h), sample(h), sample(h + 60_000), sample(h + 60_000)],
    sample(2 * h + 30_000),
  );
  t.same(
    kept.map((s) => s.at),
    [h + 60_000, 2 * h, 2 * h + 30_000],
  );
});

t.test(
  'series: seconds on x, agents by state (conference counts as talking), percentages, gaps kept',
  async (t) => {
    const s = toSeries([sample(1_000_000), sample(1_005_000, { abandonRate: null, occupancy: 0.756 })]);
    t.same(s.x, [1000, 1005]);
    t.same(s.talking, [5, 5]);
    t.same(s.idle, [3, 3]);
    t.same(s.occupancy, [50, 75.6]);
    t.same(s.abandon, [2.4, null], 'no live answers yet: a gap, not 0%');
    t.same(s.cap, [3, 3]);
    t.equal(percentText(0.0345), '3.5%');
    t.equal(percentText(null), '—');
  },
);
