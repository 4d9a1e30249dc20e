// The lease store on a real PostgreSQL (issue 20, src/db/pg/leases.ts): every change a compare-and-set on the row,
// every time the database's, and the fencing of the number statements (a stale owner dispenses and marks nothing).
import t from 'tap';
import { pgLeaseStore } from '../../src/db/pg/leases.js';
import { openPgStore } from '../../src/db/pg/open.js';
import { seededPg, SEED_NOW } from '../support/pg-seed.js';

const TTL = 60_000;

t.test('take, renew and release are compare-and-set on the epoch', async (t) => {
  const { store } = await seededPg(t);
  const leases = pgLeaseStore(store.db);
  const v0 = await leases.view();
  t.same(
    v0.leases.map((l) => [l.projectCode, l.owner, l.epoch]),
    [['P1', null, 0]],
    'a project never leased is free at epoch 0',
  );
  t.ok(Math.abs(v0.dbNow - Date.now()) < 60_000, 'view reads the database clock in ms');

  const a = await leases.take('P1', 'a', 0, TTL);
  t.equal(a?.epoch, 1, 'the first take inserts epoch 1');
  t.equal(a!.expiresAt - a!.dbNow, TTL, 'expires ttl after the database now');
  t.equal(await leases.take('P1', 'b', 0, TTL), null, 'a second take from the same epoch loses');
  t.equal(await leases.take('P1', 'b', 1, TTL), null, 'an unexpired lease cannot be taken');
  t.equal(await leases.renew('P1', 'b', 1, TTL), null, 'only the owner renews');
  t.equal(await leases.renew('P1', 'a', 0, TTL), null, 'renewing needs the current epoch');
  t.equal((await leases.renew('P1', 'a', 1, TTL))?.epoch, 1, 'the owner renews at its epoch');
  t.equal(await leases.release('P1', 'b', 1), false, 'only the owner releases');
  t.equal(await leases.release('P1', 'a', 1), true);
  const v1 = await leases.view();
  t.same([v1.leases[0]!.owner, v1.leases[0]!.epoch], [null, 1], 'released: no owner, the epoch stays');
  t.equal(await leases.take('P1', 'b', 0, TTL), null, 'a take from a stale epoch loses');
  t.equal((await leases.take('P1', 'b', 1, TTL))?.epoch, 2, 'the next take bumps the epoch');
  t.equal(await leases.renew('P1', 'a', 1, TTL), null, 'the old owner cannot renew after a take');
});

t.test('an expired lease is taken by database time; concurrent takes: exactly one wins', async (t) => {
  const { store, url } = await seededPg(t);
  const leases = pgLeaseStore(store.db);
  t.equal((await leases.take('P1', 'a', 0, 50))?.epoch, 1);
  await new Promise((r) => setTimeout(r, 120));
  t.ok((await leases.view()).dbNow >= (await leases.view()).leases[0]!.expiresAt, 'expired in the database');
  // Five instances, each on its own connection pool, race for the expired lease.
  const others = await Promise.all([1, 2, 3, 4, 5].map(() => openPgStore(url)));
  t.teardown(() => Promise.all(others.map((o) => o.close())));
  const replies = await Promise.all(others.map((o, i) => pgLeaseStore(o.db).take('P1', `i${i}`, 1, TTL)));
  t.equal(replies.filter((r) => r !== null).length, 1, 'one take wins');
  t.equal(replies.find((r) => r)?.epoch, 2);
  // The same from a project with no row yet (epoch 0: an insert race).
  await store.db.execute(
    (await import('drizzle-orm')).sql`INSERT INTO projects (project_code, seats, node_id, certificate, status,
      created_at, updated_at) SELECT 'P2', 1, node_id, 'cert-p2', 1, 0, 0 FROM projects WHERE project_code = 'P1'`,
  );
  const first = await Promise.all(others.map((o, i) => pgLeaseStore(o.db).take('P2', `i${i}`, 0, TTL)));
  t.equal(first.filter((r) => r !== null).length, 1, 'one insert wins');
});

t.test('heartbeats, leave and hand-over requests', async (t) => {
  const { store } = await seededPg(t);
  const leases = pgLeaseStore(store.db);
  await leases.heartbeat('a', 2, '127.0.0.1:8040');
  await leases.heartbeat('b', 0, '127.0.0.1:8041');
  const v = await leases.view();
  t.same(
    v.instances.map((i) => [i.id, i.load, i.socketAt]),
    [
      ['a', 2, '127.0.0.1:8040'],
      ['b', 0, '127.0.0.1:8041'],
    ],
  );
  t.ok(
    v.instances.every((i) => Math.abs(i.seenAt - v.dbNow) < 5_000),
    'seen at the database time',
  );
  t.ok(
    v.instances.every((i) => i.liveSince === i.seenAt),
    'a new row is live since its first heartbeat',
  );
  await new Promise((r) => setTimeout(r, 30));
  await leases.heartbeat('b', 0, '127.0.0.1:8041');
  const b = async () => (await leases.view()).instances.find((i) => i.id === 'b')!;
  t.equal((await b()).liveSince, v.instances[1]!.liveSince, 'heartbeats without a gap keep it');
  await new Promise((r) => setTimeout(r, 30));
  await leases.heartbeat('b', 0, '127.0.0.1:8041', 20);
  const afterGap = await b();
  t.equal(
    afterGap.liveSince,
    afterGap.seenAt,
    'a heartbeat after a silence longer than the gap starts it again',
  );
  await leases.leave('a');
  t.same(
    (await leases.view()).instances.map((i) => i.id),
    ['b'],
  );
  await leases.heartbeat('a', 0, '127.0.0.1:8040');
  const back = (await leases.view()).instances.find((i) => i.id === 'a')!;
  t.equal(back.liveSince, back.seenAt, 'back after a stop (its row deleted): live since now');
  await leases.requestMove('P1', 'b');
  t.equal((await leases.view()).leases[0]!.moveTo, 'b', 'a move request on a project never leased');
  await leases.take('P1', 'b', 0, TTL);
  t.equal((await leases.view()).leases[0]!.moveTo, null, 'a take clears the request');
});

t.test(
  "an owner's hand-over to even out the load is a compare-and-set on owner, epoch and move_to",
  async (t) => {
    const { store } = await seededPg(t);
    const leases = pgLeaseStore(store.db);
    await leases.take('P1', 'a', 0, TTL);
    const moveTo = async () => (await leases.view()).leases[0]!.moveTo;
    t.notOk(await leases.handOver('P1', 'b', 1, 'c', null), 'not the owner');
    t.notOk(await leases.handOver('P1', 'a', 2, 'c', null), 'not its epoch');
    t.notOk(await leases.handOver('P1', 'a', 1, 'c', 'x'), 'move_to is not what was read');
    t.equal(await moveTo(), null, 'none of them changed anything');
    t.ok(await leases.handOver('P1', 'a', 1, 'c', null));
    t.equal(await moveTo(), 'c');
    t.notOk(await leases.handOver('P1', 'a', 1, 'b', null), 'a second one, from a stale read, loses');
    t.ok(await leases.handOver('P1', 'a', 1, 'b', 'c'), 'from what it read (c gone): replaced');
    t.equal(await moveTo(), 'b');
    await leases.renew('P1', 'a', 1, 1);
    await new Promise((r) => setTimeout(r, 50));
    t.notOk(await leases.handOver('P1', 'a', 1, 'c', 'b'), 'an expired lease is not handed over');
  },
);

t.test('fencing: a stale owner dispenses nothing', async (t) => {
  const { store, repos, taskId } = await seededPg(t);
  const leases = pgLeaseStore(store.db);
  await repos.tasks.addNumbers(taskId, ['1', '2', '3', '4'], SEED_NOW);
  // Long enough for the owner's statements below even on a loaded machine; then waited out.
  const a = (await leases.take('P1', 'a', 0, 1500))!;
  const fenceA = { instanceId: 'a', projectCode: 'P1', epoch: a.epoch };
  const [n1] = await repos.numbers.dispenseNumbers(taskId, 1, SEED_NOW, undefined, fenceA);
  t.ok(n1?.callId, 'the owner dispenses, with the call id on the number');
  await new Promise((r) => setTimeout(r, 1600));
  t.same(
    await repos.numbers.dispenseNumbers(taskId, 1, SEED_NOW, undefined, fenceA),
    [],
    'expired: nothing dispensed even before anyone takes it',
  );
  const [n2] = await repos.numbers.dispenseNumbers(taskId, 1, SEED_NOW);
  const b = (await leases.take('P1', 'b', a.epoch, TTL))!;
  t.equal(b.epoch, 2);
  t.same(await repos.numbers.dispenseNumbers(taskId, 4, SEED_NOW, undefined, fenceA), [], 'taken: refused');
  const fenceB = { instanceId: 'b', projectCode: 'P1', epoch: b.epoch };
  const got = await repos.numbers.dispenseNumbers(taskId, 4, SEED_NOW, undefined, fenceB);
  t.equal(got.length, 2, 'the new owner dispenses the rest');
  const rows = await repos.numbers.dialingInProject('P1', 2);
  t.same(
    rows.map((r) => [r.id, r.callUuid]).sort(),
    [
      [n1!.id, n1!.callId],
      [n2!.id, n2!.callId],
    ].sort(),
    'the numbers left under older epochs, with their calls',
  );
  t.same(
    (await repos.numbers.dialingInProject('P1', 3)).map((r) => r.id).sort(),
    [n1!.id, n2!.id, ...got.map((n) => n.id)].sort(),
    "the new owner's numbers carry its epoch",
  );
  t.equal(
    await repos.numbers.releaseUnoriginated([n1!.id, n2!.id], SEED_NOW),
    0,
    'a number handed out with its call id is never put back (the call may have been made)',
  );
});

t.test('a take waits for a dispensing transaction under the old grant (FOR SHARE)', async (t) => {
  const { store, url } = await seededPg(t);
  const leases = pgLeaseStore(store.db);
  await leases.take('P1', 'a', 0, 1000);
  const other = await openPgStore(url);
  t.teardown(() => other.close());
  const { sql } = await import('drizzle-orm');
  const { leaseIsCurrent } = await import('../../src/db/pg/leases.js');
  let takenAt = 0;
  let committedAt = 0;
  await store.db.transaction(async (tx) => {
    const ok = await tx.execute<{ ok: boolean }>(
      sql`SELECT ${leaseIsCurrent({ instanceId: 'a', projectCode: 'P1', epoch: 1 })} AS ok`,
    );
    t.equal(ok.rows[0]!.ok, true);
    await new Promise((r) => setTimeout(r, 1100)); // the lease expires meanwhile
    void pgLeaseStore(other.db)
      .take('P1', 'b', 1, TTL)
      .then(() => (takenAt = Date.now()));
    await new Promise((r) => setTimeout(r, 150));
    committedAt = Date.now();
  });
  await new Promise((r) => setTimeout(r, 100));
  t.ok(takenAt >= committedAt, 'the take committed only after the fenced transaction');
});
