// Issue 20, project ownership by lease: LeaseKeepers over an in-memory store with the PostgreSQL side's semantics,
// an injected local clock, and database time 7 minutes ahead of it (the rules never compare the two). Whatever
// happens, at no instant may two instances dial for the same project.
import t from 'tap';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import { DEFAULT_LEASE_TIMINGS as T } from '../../src/cluster/lease-rules.js';
import { FakeClock } from '../../src/core/clock.js';
import { cluster, SKEW_MS, silent } from '../support/lease-keepers.js';
import { MemoryLeaseStore } from '../support/lease-store.js';

t.test(
  'given two instances and three projects, each project gets one owner and the load is spread',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1', 'p2', 'p3']);
    await c.run(1000);
    const owners = ['p1', 'p2', 'p3'].map(c.owner);
    t.same(
      owners.filter((o) => o === 'a').length + owners.filter((o) => o === 'b').length,
      3,
      'every project owned',
    );
    t.ok(c.k('a').owned().length >= 1 && c.k('b').owned().length >= 1, `spread: ${owners.join(',')}`);
    for (const p of ['p1', 'p2', 'p3']) t.same(c.dialers(p), [c.owner(p)], `${p}: only its owner dials`);
    await c.run(60_000);
    t.same(['p1', 'p2', 'p3'].map(c.owner), owners, 'renewals keep the same owners for a minute');
    t.same(c.violations(), []);
  },
);

t.test(
  'given an owner killed, a survivor takes its projects within the lease and a round, at a new epoch',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1', 'p2']);
    await c.run(1000);
    const victim = c.owner('p1')!;
    const survivor = victim === 'a' ? 'b' : 'a';
    const oldEpoch = c.k(victim).epochOf('p1')!;
    c.frozen.add(victim);
    const killedAt = c.clock.now();
    while (c.owner('p1') !== survivor) await c.run(500);
    const takeover = c.clock.now() - killedAt;
    t.ok(takeover <= T.ttlMs + 1000, `taken over after ${takeover} ms (lease ${T.ttlMs} ms)`);
    t.equal(c.store.rows.get('p1')!.epoch, oldEpoch + 1, 'the epoch moved on');
    t.notOk(
      c.store.accepts('p1', victim, oldEpoch),
      "the dead owner's writes are refused by the fencing epoch",
    );
    t.ok(c.store.accepts('p1', survivor, c.k(survivor).epochOf('p1')!));
    t.same(c.violations(), []);
  },
);

t.test('given an owner paused longer than its lease, it may not dial the moment it resumes', async (t) => {
  const c = cluster(['a', 'b'], ['p1']);
  await c.run(1000);
  const paused = c.owner('p1')!;
  const other = paused === 'a' ? 'b' : 'a';
  c.frozen.add(paused); // SIGSTOP
  await c.run(15_000);
  t.equal(c.owner('p1'), other, 'the other instance took the project');
  c.frozen.delete(paused); // SIGCONT: before its first round, its grant has already lapsed
  t.notOk(c.k(paused).mayDial('p1'), 'no dial on resume, before any round');
  await c.run(500);
  t.same(c.k(paused).owned(), [], 'its first round gives the project up');
  t.same(c.dialers('p1'), [other]);
  t.same(c.violations(), []);
});

t.test(
  'given an owner cut off from the database, it stops dialling a margin before another may take',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1']);
    await c.run(1000);
    const cut = c.owner('p1')!;
    c.store.cutOff.add(cut);
    let stoppedAt: number | undefined;
    while (c.owner('p1') === cut) {
      await c.run(100, 100);
      if (stoppedAt === undefined && !c.k(cut).mayDial('p1')) stoppedAt = c.clock.now();
    }
    const takenAt = c.clock.now();
    t.ok(
      stoppedAt !== undefined && takenAt - stoppedAt >= T.stopMarginMs,
      `stopped ${takenAt - stoppedAt!} ms before`,
    );
    t.same(c.violations(), []);
    c.store.cutOff.delete(cut);
    await c.run(2000);
    t.same(c.k(cut).owned(), [], 'back in reach, it learns the project is gone');
  },
);

t.test(
  'given an operator moves a project, the owner drains, releases when its calls end, the target takes',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1']);
    await c.run(1000);
    const from = c.owner('p1')!;
    const to = from === 'a' ? 'b' : 'a';
    c.busy.get(from)!.add('p1'); // a call in progress
    await c.store.for('operator').requestMove('p1', to);
    await c.run(1000);
    t.notOk(c.k(from).mayDial('p1'), 'draining: no new call');
    t.equal(c.owner('p1'), from, 'still owned while its call lasts');
    await c.run(20_000);
    t.equal(c.owner('p1'), from, 'the drain keeps renewing: a long call is not cut off');
    c.busy.get(from)!.delete('p1');
    await c.run(1500);
    t.equal(c.owner('p1'), to, 'released once drained, and taken by the target');
    t.same(c.dialers('p1'), [to]);
    t.equal(c.store.rows.get('p1')!.moveTo, null, 'the request is done');
    t.same(c.violations(), []);
  },
);

t.test(
  'given a move, a started keeper drains by what App.start told it of its calls (start(drained)), not its default',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1']);
    await c.run(1000);
    const from = c.owner('p1')!;
    const to = from === 'a' ? 'b' : 'a';
    const waiting = new Set(['p1']); // a customer of p1 waits for an agent at `from`'s socket
    c.frozen.add(from); // its rounds now run from its own timers
    c.k(from).start((p) => !waiting.has(p));
    t.teardown(() => c.k(from).stop());
    await c.store.for('operator').requestMove('p1', to);
    await c.run(3000);
    t.equal(c.owner('p1'), from, 'kept while its customer waits (the default `drained` says it has no call)');
    t.notOk(c.k(from).mayDial('p1'), 'and not dialled');
    waiting.clear();
    await c.run(3000);
    t.equal(c.owner('p1'), to, 'handed over once nobody waits');
    t.same(c.violations(), []);
  },
);

t.test('given a rolling restart, a stopping instance hands its projects over at once', async (t) => {
  const c = cluster(['a', 'b'], ['p1', 'p2']);
  await c.run(1000);
  await c.k('a').stop();
  c.frozen.add('a');
  t.same(c.k('a').owned(), [], 'a holds nothing');
  await c.run(500);
  t.same(
    [c.owner('p1'), c.owner('p2')],
    ['b', 'b'],
    'b took both in its next round, without waiting for expiry',
  );
  t.same(c.violations(), []);
});

t.test(
  'given a rolling restart, a stopping owner keeps a project while a customer of it still waits, then hands it over',
  async (t) => {
    const c = cluster(['a', 'b'], ['p1', 'p2']);
    await c.run(1000);
    const [held] = c.k('a').owned();
    t.ok(held, 'a holds a project');
    // App.close tells the keeper what it knows of its calls: a customer of `held` is still waiting for an agent.
    const waiting = new Set([held!]);
    c.frozen.add('a'); // its rounds now run from stop() alone
    let stopped = false;
    const stopping = c
      .k('a')
      .stop((p) => !waiting.has(p))
      .then(() => (stopped = true));
    await c.run(3000);
    t.equal(c.owner(held!), 'a', 'still a: its customer would be dropped with its socket');
    t.notOk(c.k('a').mayDial(held!), 'but a starts no new call for it');
    t.notOk(stopped, 'and has not finished stopping');
    waiting.clear();
    await c.run(2500);
    t.equal(c.owner(held!), 'b', 'handed over once nobody waits');
    await stopping;
    t.same(c.violations(), []);
  },
);

t.test('a new project goes to the least-loaded live instance', async (t) => {
  const c = cluster(['a', 'b', 'c'], ['p1', 'p2', 'p3', 'p4', 'p5']);
  await c.run(1000);
  const counts = ['a', 'b', 'c'].map((id) => c.k(id).owned().length).sort();
  t.same(counts, [1, 2, 2], 'five projects over three instances');
  const least = ['a', 'b', 'c'].find((id) => c.k(id).owned().length === 1)!;
  c.store.addProject('p6');
  await c.run(500);
  t.equal(c.owner('p6'), least);
});

t.test(
  'under random kills, pauses and partitions, never two dial one project; healed, all are owned',
  async (t) => {
    const ids = ['a', 'b', 'c'];
    const projects = ['p1', 'p2', 'p3', 'p4'];
    const c = cluster(ids, projects);
    let seed = 20;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let step = 0; step < 150; step++) {
      const id = ids[Math.floor(random() * ids.length)]!;
      const r = random();
      if (r < 0.1) c.frozen.add(id);
      else if (r < 0.2) c.frozen.delete(id);
      else if (r < 0.27) c.store.cutOff.add(id);
      else if (r < 0.35) c.store.cutOff.delete(id);
      await c.run(Math.floor(random() * 4000) + 100, 100);
    }
    t.same(c.violations(), [], 'no instant with two dialling instances for one project');
    c.frozen.clear();
    c.store.cutOff.clear();
    await c.run(T.ttlMs + T.takeoverGraceMs + 2000);
    for (const p of projects) t.equal(c.dialers(p).length, 1, `${p} has one dialling owner again`);
    t.same(c.violations(), []);
  },
);

t.test('started, keepers run their rounds on their own clock', async (t) => {
  const c = cluster(['a', 'b'], ['p1', 'p2']);
  c.k('a').start();
  c.k('b').start();
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setImmediate(r));
    c.clock.advance(1000);
  }
  await new Promise((r) => setImmediate(r));
  t.same([c.k('a').owned(), c.k('b').owned()], [['p1'], ['p2']]);
  await c.k('a').stop();
  await c.k('b').stop();
  t.same([c.owner('p1'), c.owner('p2')], [null, null], 'both released on stop');
});

t.test(
  'a take is announced (and a loss), and with recoverTakes it is dialled only once recovered',
  async (t) => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore(() => clock.now() + SKEW_MS);
    store.addProject('p1');
    const keeper = (id: string, recoverTakes: boolean) =>
      new LeaseKeeper({
        me: id,
        store: store.for(id),
        clock,
        timings: T,
        tickMs: 1000,
        load: () => 0,
        drained: () => true,
        log: silent,
        recoverTakes,
      });
    const a = keeper('a', true);
    const b = keeper('b', true);
    const seen: string[] = [];
    a.onChange((p, owned) => seen.push(`a ${p} ${owned}`));
    b.onChange((p, owned) => seen.push(`b ${p} ${owned}`));
    const round = async (...ks: LeaseKeeper[]) => {
      clock.advance(500);
      for (const k of ks) await k.tick();
    };
    await round(a, b);
    await round(a, b);
    const owner = store.rows.get('p1')!.owner === 'a' ? a : b;
    const other = owner === a ? b : a;
    t.same(seen, [`${owner === a ? 'a' : 'b'} p1 true`], 'the take is announced');
    t.notOk(owner.mayDial('p1'), 'not dialled before its recovery is over');
    owner.recovered('p1', owner.epochOf('p1')! + 1);
    t.notOk(owner.mayDial('p1'), 'a recovery of another epoch does not count');
    owner.recovered('p1', owner.epochOf('p1')!);
    t.ok(owner.mayDial('p1'), 'dialled once recovered');
    owner.halt();
    for (let i = 0; i < 30; i++) await round(other);
    t.notOk(owner.mayDial('p1'), 'the halted owner stopped on its own deadline');
    t.equal(store.rows.get('p1')!.owner, other === a ? 'a' : 'b', 'the other took it');
    t.notOk(other.mayDial('p1'), 'the taker waits for its own recovery');
    other.resume();
    owner.resume();
    await round(owner, other);
    t.match(seen.slice(-2).sort(), [/p1 false$/, /p1 true$/], 'the loss and the take are announced');
    other.halt();
    owner.halt();
  },
);
