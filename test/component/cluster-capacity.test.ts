// Issue 20, shared capacity: two instances dialling different projects through ONE gateway never hold more calls on
// it together than its lines, whatever each would allow itself alone (each task's own limit is the whole gateway);
// the same for a node's sessions (each task on a gateway of its own).
import { sql } from 'drizzle-orm';
import t from 'tap';
import { bothLive, leaseCluster, originates, playTask, settled, until } from '../support/lease-cluster.js';

t.test("a gateway's lines hold across instances: the claims never add up to more", async (t) => {
  const c = await leaseCluster(t, 2, { defaultPlaybackMs: 40_000 });
  await bothLive(c);
  const [a] = c.members;
  await a!.app.ctx.services.projects.createProject('ca', 1);
  await a!.app.ctx.services.projects.createProject('cb', 1);
  const owners = await until('both owned', async () => {
    const o = [await c.ownerOf('ca'), await c.ownerOf('cb')];
    return o.every(Boolean) && o;
  });
  t.not(owners[0], owners[1], 'owned by different instances');
  const LINES = 4;
  await playTask(c, 'ca', 14, LINES, 'gw-shared');
  await playTask(c, 'cb', 14, LINES, 'gw-shared');
  let peak = 0;
  const watch = setInterval(() => {
    const onGateway = c.fs.channels().filter((ch) => ch.variables['cc_gw'] === 'gw-shared').length;
    peak = Math.max(peak, onGateway);
  }, 3);
  t.teardown(() => clearInterval(watch));
  // What each instance's heartbeat says it carries (cluster_instances.load: its calls in progress).
  const heaviest = new Map<string, number>();
  const heartbeats = setInterval(() => {
    void c.exec(sql`select id, load from cluster_instances`).then((rows) => {
      for (const r of rows)
        heaviest.set(String(r.id), Math.max(heaviest.get(String(r.id)) ?? 0, Number(r.load)));
    });
  }, 200);
  t.teardown(() => clearInterval(heartbeats));
  await until(
    'every number settled',
    async () => (await settled(c, 'ca', 14)) && (await settled(c, 'cb', 14)),
    60_000,
  );
  clearInterval(watch);
  clearInterval(heartbeats);
  t.ok(peak <= LINES, `at most ${LINES} calls on the gateway at once across both instances (peak ${peak})`);
  t.ok(peak >= 2, `the gateway was used (peak ${peak})`);
  const byInstance = new Set(originates(c).map((o) => o.instance));
  t.same([...byInstance].sort(), [...owners].sort(), 'both instances dialled through it');
  for (const id of owners as string[])
    t.ok((heaviest.get(id) ?? 0) >= 1, `${id}'s heartbeats reported its calls (at most ${heaviest.get(id)})`);
  const claims = await c.exec(
    sql`select instance_id, amount from capacity_claims where resource like 'gw:%' order by instance_id`,
  );
  t.ok(
    claims.reduce((sum, r) => sum + Number(r.amount), 0) <= LINES,
    `the ledger's claims add up to no more than the lines (${JSON.stringify(claims)})`,
  );
});

t.test("a node's sessions hold across instances: the customer legs never add up to more", async (t) => {
  const c = await leaseCluster(t, 2, { defaultPlaybackMs: 3000 });
  await bothLive(c);
  const [a] = c.members;
  await a!.app.ctx.services.projects.createProject('na', 1);
  await a!.app.ctx.services.projects.createProject('nb', 1);
  const owners = await until('both owned', async () => {
    const o = [await c.ownerOf('na'), await c.ownerOf('nb')];
    return o.every(Boolean) && o;
  });
  t.not(owners[0], owners[1], 'owned by different instances');
  // Half of a node's sessions are kept for agent legs: 6 sessions leave 3 customer legs to the whole cluster,
  // while each task's own gateway would allow 10.
  const LEGS = 3;
  await c.exec(sql`update fs_nodes set max_sessions = ${LEGS * 2}`);
  await playTask(c, 'na', 8, 10);
  await playTask(c, 'nb', 8, 10);
  let peak = 0;
  const watch = setInterval(() => {
    const customers = c.fs.channels().filter((ch) => /^gw-n[ab]$/.test(ch.variables['cc_gw'] ?? ''));
    peak = Math.max(peak, customers.length);
  }, 3);
  t.teardown(() => clearInterval(watch));
  await until(
    'every number settled',
    async () => (await settled(c, 'na', 8)) && (await settled(c, 'nb', 8)),
    60_000,
  );
  clearInterval(watch);
  t.ok(
    peak <= LEGS,
    `at most ${LEGS} customer legs on the node at once across both instances (peak ${peak})`,
  );
  t.ok(peak >= 2, `the node was used (peak ${peak})`);
  const dialled = new Set(originates(c).map((o) => o.instance));
  t.same([...dialled].sort(), [...(owners as string[])].sort(), 'both instances dialled on it');
  const claims = await c.exec(
    sql`select instance_id, amount from capacity_claims where resource like 'node:%:sessions'`,
  );
  t.ok(
    claims.reduce((sum, r) => sum + Number(r.amount), 0) <= LEGS,
    `the ledger's session claims add up to no more (${JSON.stringify(claims)})`,
  );
});
