// The capacity ledger's own rules (src/cluster/capacity-ledger.ts), against an in-memory store that grants as the
// PostgreSQL one does (src/db/pg/capacity.ts: the others' unexpired claims leave room below the limit). Two races a
// loaded machine met in CI: calls started after the dialer last asked, and calls started while a renewal is in flight.
import t from 'tap';
import { CapacityLedger, type CapacityStore } from '../../src/cluster/capacity-ledger.js';
import { FakeClock } from '../../src/core/clock.js';

interface Row {
  amount: number;
  expiresAt: number;
}

/** PostgreSQL's claim in memory; `gate`, when set, holds a claim between computing the grant and storing it. */
function memoryStore(clock: FakeClock) {
  const rows = new Map<string, Map<string, Row>>();
  const state = { gate: undefined as Promise<void> | undefined };
  const store: CapacityStore = {
    async claim(resource, instanceId, want, limit, ttlMs) {
      const now = clock.now();
      const of = rows.get(resource) ?? new Map<string, Row>();
      rows.set(resource, of);
      const others = [...of].filter(([id, r]) => id !== instanceId && r.expiresAt > now);
      const asked = want(others.length + 1);
      const granted = Math.max(0, Math.min(asked, limit - others.reduce((s, [, r]) => s + r.amount, 0)));
      if (state.gate) await state.gate;
      if (asked === 0) of.delete(instanceId);
      else of.set(instanceId, { amount: granted, expiresAt: now + ttlMs });
      return { granted, expiresAt: now + ttlMs, dbNow: now };
    },
    async leave(instanceId) {
      for (const of of rows.values()) of.delete(instanceId);
    },
  };
  return { store, state };
}

function ledgers(clock: FakeClock, store: CapacityStore, ...ids: string[]): CapacityLedger[] {
  return ids.map(
    (me) =>
      new CapacityLedger({
        me,
        store,
        clock,
        ttlMs: 10_000,
        marginMs: 2000,
        tickMs: 1000,
        log: { warn: () => undefined },
      }),
  );
}

t.test(
  'a renewal counts the calls started since the dialer last asked: they are not given to another',
  async (t) => {
    const clock = new FakeClock();
    const { store } = memoryStore(clock);
    const [a, b] = ledgers(clock, store, 'a', 'b');
    const use = { a: 0, b: 0 };
    a!.allowance('gw:1', 4, () => use.a);
    await a!.renew();
    // a alone: all 4 lines, and it starts 4 calls without asking again.
    use.a = a!.allowance('gw:1', 4, () => use.a);
    t.equal(use.a, 4, 'alone, all the lines');
    // b starts dialling through the gateway: nothing is free while a's calls are up.
    b!.allowance('gw:1', 4, () => use.b);
    await b!.renew();
    clock.advance(1000);
    await a!.renew();
    await b!.renew();
    use.b = b!.allowance('gw:1', 4, () => use.b);
    t.equal(use.b, 0, "b gets nothing while a's 4 calls are up");
    t.ok(use.a + use.b <= 4, `never more than the lines in use (${use.a} + ${use.b})`);
    // a's calls end: its next renewal gives its fair part back, and b gets it.
    use.a = 0;
    clock.advance(1000);
    await a!.renew();
    await b!.renew();
    t.equal(
      b!.allowance('gw:1', 4, () => use.b),
      2,
      'the fair part once they ended',
    );
  },
);

t.test('while a renewal is in flight, no call is started above what it asked for', async (t) => {
  const clock = new FakeClock();
  const { store, state } = memoryStore(clock);
  const [a, b] = ledgers(clock, store, 'a', 'b');
  const use = { a: 0, b: 0 };
  a!.allowance('gw:1', 4, () => use.a);
  await a!.renew();
  t.equal(
    a!.allowance('gw:1', 4, () => use.a),
    4,
    'alone, all the lines (none used yet)',
  );
  b!.allowance('gw:1', 4, () => use.b);
  await b!.renew();
  // a renews with b claiming: it asks for its fair 2, and the grant is held back for a while.
  let open!: () => void;
  state.gate = new Promise((r) => (open = r));
  clock.advance(1000);
  const renewing = a!.renew();
  await new Promise((r) => setImmediate(r));
  use.a = a!.allowance('gw:1', 4, () => use.a);
  t.equal(use.a, 2, 'in flight, only what it asked for');
  state.gate = undefined;
  open();
  await renewing;
  await b!.renew();
  use.b = b!.allowance('gw:1', 4, () => use.b);
  t.equal(use.b, 2, 'b gets the rest');
  t.ok(use.a + use.b <= 4, `never more than the lines (${use.a} + ${use.b})`);
});
