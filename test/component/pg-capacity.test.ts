// The capacity ledger on a real PostgreSQL (issue 20, src/cluster/capacity-ledger.ts + src/db/pg/capacity.ts): the
// claims never add up to more than the limit, and the fair part is split among the instances that dial under it,
// not among every live instance: a third instance that never dials through the gateway leaves no line idle.
import t from 'tap';
import { CapacityLedger } from '../../src/cluster/capacity-ledger.js';
import { FakeClock } from '../../src/core/clock.js';
import { pgCapacityStore } from '../../src/db/pg/capacity.js';
import { seededPg } from '../support/pg-seed.js';

const silent = { warn: () => undefined };

t.test(
  'two of three instances dialling through a 3-line gateway get all 3 lines between them, never more',
  async (t) => {
    const { store } = await seededPg(t);
    const clock = new FakeClock();
    const ledger = (me: string) =>
      new CapacityLedger({
        me,
        store: pgCapacityStore(store.db),
        clock,
        ttlMs: 10_000,
        marginMs: 2000,
        tickMs: 1000,
        log: silent,
      });
    const [a, b, c] = ['a', 'b', 'c'].map(ledger);
    // c runs (it has claims elsewhere) but never asks for this gateway.
    c!.allowance('gw:other', 5, () => 0);
    await c!.renew();
    // Calls last one round: each round every instance that dials fills what it is allowed, then renews.
    const round = async (...dialling: CapacityLedger[]) => {
      clock.advance(1000);
      const used = dialling.map((l) => l.allowance('gw:1', 3, () => 0));
      for (const l of [a!, b!]) await l.renew();
      return used;
    };
    let peak = 0;
    let last: number[] = [];
    for (let i = 0; i < 5; i++) {
      last = await round(a!, b!);
      peak = Math.max(peak, last[0]! + last[1]!);
    }
    t.ok(peak <= 3, `never more than the 3 lines (peak ${peak})`);
    t.same([...last].sort(), [1, 2], 'the two dialling instances use all 3 lines: ceil(3/2) and the rest');
    // a stops dialling: once its demand is idle its claim goes, and b alone may use every line.
    for (let i = 0; i < 12; i++) last = await round(b!);
    t.same(last, [3], 'an instance alone under the limit may use all of it');
    t.equal(
      a!.allowance('gw:1', 3, () => 0),
      0,
      'the idle one holds nothing',
    );
  },
);
