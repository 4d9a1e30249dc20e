// `cli cluster list` and `cluster move` (issue 20) against a real PostgreSQL: what an operator sees, and a move asked
// only of a live instance for an active project, refused with a clear message otherwise and changing nothing.
import t from 'tap';
import { runClusterCli } from '../../src/db/cluster-commands.js';
import { pgLeaseStore } from '../../src/db/pg/leases.js';
import { seededPg } from '../support/pg-seed.js';

t.test('an operator lists the cluster and moves a project to a live instance', async (t) => {
  const { store, url } = await seededPg(t);
  const leases = pgLeaseStore(store.db);
  await leases.heartbeat('cc-a', 7, '10.0.0.1:8084');
  await leases.heartbeat('cc-b', 0, '10.0.0.2:8084');
  await leases.take('P1', 'cc-a', 0, 10_000);

  const list = await runClusterCli(['cluster', 'list'], url);
  t.equal(list.code, 0);
  t.match(list.out, /instance cc-a\tlive\tseen [\d.]+ s ago\tsocket=10\.0\.0\.1:8084\tprojects=1\tcalls=7/);
  t.match(list.out, /instance cc-b\tlive\tseen [\d.]+ s ago\tsocket=10\.0\.0\.2:8084\tprojects=0\tcalls=0/);
  t.match(list.out, /project P1\towner=cc-a\tepoch=1\texpires in [\d.]+ s/);

  const unknown = await runClusterCli(['cluster', 'move', 'NOPE', 'cc-b'], url);
  t.same([unknown.code, unknown.out], [1, 'no active project NOPE'], 'an unknown project is named');
  const dead = await runClusterCli(['cluster', 'move', 'P1', 'cc-z'], url);
  t.equal(dead.code, 1);
  t.match(dead.out, /no live instance cc-z \(live: cc-a, cc-b\); nothing was changed/);
  t.equal((await leases.view()).leases[0]!.moveTo, null, 'a refused move changes nothing');

  const moved = await runClusterCli(['cluster', 'move', 'P1', 'cc-b'], url);
  t.equal(moved.code, 0);
  t.equal((await leases.view()).leases[0]!.moveTo, 'cc-b', 'the lease row asks its owner to hand it over');
  t.match((await runClusterCli(['cluster', 'list'], url)).out, /project P1\towner=cc-a.*\tmoving to cc-b/);
  const cancelled = await runClusterCli(['cluster', 'move', 'P1', '--cancel'], url);
  t.equal(cancelled.code, 0);
  t.equal((await leases.view()).leases[0]!.moveTo, null, 'cancelled');
});

t.test('the cluster commands need PostgreSQL and their arguments', async (t) => {
  t.equal((await runClusterCli(['cluster'], 'postgres://x@127.0.0.1:1/x')).code, 2);
  t.equal((await runClusterCli(['cluster', 'move', 'P1'], 'postgres://x@127.0.0.1:1/x')).code, 2);
  const noDb = await runClusterCli(['cluster', 'list'], undefined);
  t.same([noDb.code, noDb.out], [2, 'the cluster lives in PostgreSQL: set CC_DATABASE_URL to its database']);
});
