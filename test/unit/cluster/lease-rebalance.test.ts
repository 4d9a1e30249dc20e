// Issue 20: the rebalancing rules as tables. Who gives (only an instance holding the most, two more than the
// receiver), to whom (settled, least loaded), which project (quiet first), and when not (a move or an orphan in
// flux, within the interval).
import t from 'tap';
import { DEFAULT_REBALANCE as R, liveSince, planRebalance } from '../../../src/cluster/lease-rebalance.js';
import {
  DEFAULT_LEASE_TIMINGS as T,
  type LeaseRow,
  type LeaseView,
} from '../../../src/cluster/lease-rules.js';

const DB = 1_000_000_000;
const held = (projectCode: string, owner: string, over: Partial<LeaseRow> = {}): LeaseRow => ({
  projectCode,
  owner,
  epoch: 3,
  expiresAt: DB + 5000,
  moveTo: null,
  ...over,
});
const view = (leases: LeaseRow[], live = ['a', 'b'], load: Record<string, number> = {}): LeaseView => ({
  dbNow: DB,
  leases,
  instances: live.map((id) => ({ id, seenAt: DB - 500, load: load[id] ?? 0 })),
});
/** Every instance live since long before (settled). */
const settled = (v: LeaseView) => new Map(v.instances.map((i) => [i.id, DB - R.settleMs]));
const plan = (v: LeaseView, over: Partial<Parameters<typeof planRebalance>[0]> = {}) =>
  planRebalance({
    me: 'a',
    view: v,
    timings: T,
    rebalance: R,
    since: settled(v),
    held: new Map(v.leases.filter((r) => r.owner === 'a').map((r) => [r.projectCode, r.epoch])),
    quiet: new Set(v.leases.map((r) => r.projectCode)),
    localNow: 50_000,
    ...over,
  });

t.test('two projects more than another: one is handed to it; one more only: none', async (t) => {
  const two = view([held('p1', 'a'), held('p2', 'a')]);
  t.same(plan(two), { kind: 'handOver', projectCode: 'p2', epoch: 3, to: 'b', moveToWas: null });
  t.equal(plan(view([held('p1', 'a'), held('p2', 'a'), held('p3', 'b')])), undefined, '2 against 1');
  t.equal(plan(two, { me: 'b' }), undefined, 'the receiver gives nothing');
});

t.test('the receiver must have been live for settleMs without a break', async (t) => {
  const v = view([held('p1', 'a'), held('p2', 'a')]);
  t.equal(
    plan(v, {
      since: new Map([
        ['a', DB - R.settleMs],
        ['b', DB - R.settleMs + 1],
      ]),
    }),
    undefined,
  );
  const restarted = { ...v, instances: v.instances.map((i) => ({ ...i, liveSince: DB - 1000 })) };
  t.equal(
    plan(restarted),
    undefined,
    "the store's live_since counts too: a restart this instance's reads did not see (its round was slower)",
  );
  t.ok(plan({ ...v, instances: v.instances.map((i) => ({ ...i, liveSince: DB - R.settleMs })) }));
  const first = liveSince(new Map(), v, T);
  t.same(
    [...first],
    [
      ['a', DB],
      ['b', DB],
    ],
    'first seen live now',
  );
  const later = { ...v, dbNow: DB + 4000, instances: [{ id: 'a', seenAt: DB + 3900, load: 0 }] };
  t.same([...liveSince(first, later, T)], [['a', DB]], 'b missing: forgotten, a kept');
  const back = { ...v, dbNow: DB + 8000, instances: v.instances.map((i) => ({ ...i, seenAt: DB + 7900 })) };
  t.same(
    [...liveSince(liveSince(first, later, T), back, T)],
    [
      ['a', DB],
      ['b', DB + 8000],
    ],
    'b starts again',
  );
  const stale = { ...back, instances: [...back.instances, { id: 'c', seenAt: DB - 5000, load: 0 }] };
  t.notOk(liveSince(first, stale, T).has('c'), 'an instance whose heartbeats stopped is not live');
});

t.test('only an instance holding the most gives; a move under way counts for its receiver', async (t) => {
  const leases = [held('p1', 'a'), held('p2', 'a'), held('p3', 'c'), held('p4', 'c'), held('p5', 'c')];
  t.equal(plan(view(leases, ['a', 'b', 'c'])), undefined, 'c holds more: c gives, not a');
  t.same(
    plan(view(leases, ['a', 'b', 'c']), {
      me: 'c',
      held: new Map([
        ['p3', 3],
        ['p4', 3],
        ['p5', 3],
      ]),
    })?.to,
    'b',
  );
  const underWay = [held('p1', 'a'), held('p2', 'a'), held('p3', 'a'), held('p4', 'c', { moveTo: 'b' })];
  t.equal(
    plan(view(underWay, ['a', 'b', 'c']))?.to,
    'c',
    'b already receives p4 (1 project), c gives it away (0): c receives',
  );
});

t.test(
  'nothing while a move of this instance is under way, a project is orphaned, or within the interval',
  async (t) => {
    const leases = [held('p1', 'a'), held('p2', 'a'), held('p3', 'a')];
    t.equal(
      plan(view([held('p1', 'a', { moveTo: 'b' }), ...leases.slice(1)])),
      undefined,
      'a move under way',
    );
    t.equal(plan(view([...leases, held('p4', 'b', { expiresAt: DB })])), undefined, 'an orphan');
    t.equal(
      plan(view(leases), { lastHandOverAt: 50_000 - R.intervalMs + 1 }),
      undefined,
      'within the interval',
    );
    t.ok(plan(view(leases), { lastHandOverAt: 50_000 - R.intervalMs }), 'after it');
    t.equal(plan(view(leases, ['b'])), undefined, 'not live itself');
  },
);

t.test('a target no longer live is replaced (compare-and-set on what was read)', async (t) => {
  const v = view([held('p1', 'a', { moveTo: 'gone' }), held('p2', 'a', { moveTo: 'gone' })]);
  t.same(plan(v, { quiet: new Set(['p1']) }), {
    kind: 'handOver',
    projectCode: 'p1',
    epoch: 3,
    to: 'b',
    moveToWas: 'gone',
  });
});

t.test(
  'the quiet project goes first; the receiver is the least loaded by projects, calls, then id',
  async (t) => {
    const leases = [held('p1', 'a'), held('p2', 'a'), held('p3', 'a'), held('p4', 'a')];
    t.equal(plan(view(leases), { quiet: new Set(['p1']) })?.projectCode, 'p1');
    t.equal(plan(view(leases), { quiet: new Set() })?.projectCode, 'p4', 'none quiet: a fixed order');
    t.equal(plan(view(leases, ['a', 'b', 'c'], { b: 4, c: 1 }))?.to, 'c', 'fewer calls');
    t.equal(plan(view(leases, ['a', 'b', 'c']))?.to, 'b', 'then the first id');
    t.equal(
      plan(view(leases, ['a', 'b', 'c']), { held: new Map([['p2', 3]]) })?.projectCode,
      'p2',
      'only a project it holds and may act on (the others are draining or recovering)',
    );
  },
);
