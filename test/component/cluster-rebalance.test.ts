// Issue 20, spreading projects again (src/cluster/lease-rebalance.ts): LeaseKeepers over the in-memory lease store on
// an injected clock. An instance that joins, or comes back after a restart, gets projects from one holding more than
// its fair share, one at a time, drained first, never while two could dial one project, and never back and forth.
import t from 'tap';
import { DEFAULT_REBALANCE as R } from '../../src/cluster/lease-rebalance.js';
import { cluster } from '../support/lease-keepers.js';

const projects = ['p1', 'p2', 'p3', 'p4'];

t.test('given an instance that joins after the others took everything, it gets its fair share', async (t) => {
  const c = cluster(['a', 'b'], projects, { rebalance: R });
  await c.run(2000);
  t.same(c.counts('a', 'b'), [2, 2], 'two each');
  c.add('c');
  await c.run(R.settleMs - 2000);
  t.same(c.counts('c'), [0], 'nothing moves while the newcomer settles');
  await c.run(5000);
  t.same(c.counts('c'), [1], 'then one project moves to it (drained, released, taken: a few rounds)');
  t.ok(c.counts('a', 'b').includes(1), 'from one of the two');
  await c.run(R.intervalMs);
  t.same(
    c.counts('a', 'b', 'c').sort(),
    [1, 1, 2],
    'fair: nobody above ceil(4/3) = 2 or a newcomer left empty',
  );
  const owners = projects.map(c.owner);
  await c.run(120_000);
  t.same(projects.map(c.owner), owners, 'and it stays so for two minutes: no ping-pong');
  t.same(c.violations(), [], 'never two instances dialling one project');
});

t.test(
  'given a rolling restart, the instance restarted last gets projects again, nothing dialled twice',
  async (t) => {
    const ids = ['a', 'b', 'c'];
    const c = cluster(ids, ['p1', 'p2', 'p3'], { rebalance: R });
    await c.run(2000);
    t.same(c.counts(...ids), [1, 1, 1]);
    for (const id of ids) {
      await c.k(id).stop();
      c.frozen.add(id);
      await c.run(2000);
      c.add(id);
      await c.run(2000);
    }
    const last = ids.at(-1)!;
    t.same(c.counts(last), [0], 'without rebalancing, the last one back would own nothing');
    await c.run(R.settleMs + R.intervalMs);
    t.same(c.counts(...ids), [1, 1, 1], 'one project each again');
    t.same(c.violations(), []);
  },
);

t.test('a hand-over prefers a project with nobody rung or waiting, and waits for its drain', async (t) => {
  const c = cluster(['a'], ['p1', 'p2'], { rebalance: R });
  await c.run(2000);
  c.busy.get('a')!.add('p2'); // a customer of p2 waits for an agent at a
  c.add('b');
  await c.run(R.settleMs + 2000);
  t.same([c.owner('p1'), c.owner('p2')], ['b', 'a'], 'p1, the quiet one, moved (p2 comes first by code)');
  c.busy.get('a')!.add('p1');
  c.busy.get('a')!.delete('p2');
  c.add('c');
  c.busy.get('b')!.add('p1');
  await c.run(R.settleMs + R.intervalMs);
  t.same([c.owner('p1'), c.owner('p2')], ['b', 'a'], 'at the fair share (1 each), nobody gives to c');
  t.same(c.violations(), []);
});

t.test('a busy surplus project is handed over only once drained, and dialled by one at a time', async (t) => {
  const c = cluster(['a'], ['p1', 'p2'], { rebalance: R });
  await c.run(2000);
  for (const p of ['p1', 'p2']) c.busy.get('a')!.add(p);
  c.add('b');
  await c.run(R.settleMs + 2000);
  const moving = ['p1', 'p2'].find((p) => c.store.rows.get(p)!.moveTo === 'b');
  t.ok(moving, 'one is asked to move');
  t.notOk(c.k('a').mayDial(moving!), 'draining at a: no new call');
  t.equal(c.owner(moving!), 'a', 'kept while its customer is there');
  await c.run(20_000);
  t.same(c.counts('a', 'b'), [2, 0], 'no second hand-over while one is in progress');
  c.busy.get('a')!.delete(moving!);
  await c.run(2000);
  t.equal(c.owner(moving!), 'b', 'handed over once drained');
  t.same(c.violations(), []);
});

t.test(
  'with rebalancing off (CC_REBALANCE=off), a newcomer gets only new or orphaned projects',
  async (t) => {
    const c = cluster(['a', 'b'], projects);
    await c.run(2000);
    c.add('c');
    await c.run(60_000);
    t.same(c.counts('c'), [0], 'nothing was moved to it');
    c.store.addProject('p5');
    await c.run(1000);
    t.equal(c.owner('p5'), 'c', 'a new project goes to it, the least loaded');
  },
);

t.test(
  'a new project goes to the instance with fewest projects, then to the one with fewer calls',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1']);
    c.calls.set('a', 0);
    c.calls.set('b', 5);
    await c.run(2000);
    t.equal(c.owner('p1'), 'a', 'a, with no call, takes the first');
    t.equal(c.store.instances.get('b')?.load, 5, "the heartbeat carries the instance's calls");
    c.store.addProject('p2');
    await c.run(1000);
    t.equal(c.owner('p2'), 'b', 'b, with no project, takes the next however many calls it has');
    c.calls.set('a', 7);
    c.calls.set('b', 2);
    c.store.addProject('p3');
    await c.run(1000);
    t.equal(c.owner('p3'), 'b', 'as many projects: b, with fewer calls, takes it');
  },
);
