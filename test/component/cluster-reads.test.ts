// Issue 20, item 5: a page's first-paint reads on an instance that does not own its project. Two whole apps joined
// by a real RabbitMQ, a fixed table of owners (test/support/ownership.ts). The owner holds the agents' live state:
// console/status, /extensions and /wallboard asked of B for a project A holds are A's answer; with no owner, or an
// owner that does not answer, B answers from the store and says so; a read on the bus that no instance signed is
// answered by nobody, and the owner checks the asker against its own view.
import t, { type Test } from 'tap';
import { createBus } from '../../src/cluster/bus.js';
import { forwardedReads } from '../../src/cluster/forward-reads.js';
import { TEST_SOCKET_SECRET } from '../../src/config.js';
import { FakeClock } from '../../src/core/clock.js';
import { ExtensionType, WorkStatus } from '../../src/core/codes.js';
import { Metrics } from '../../src/core/metrics.js';
import { ownedPair, rpcForger, until, type Instance } from '../support/cluster.js';
import { amqpUrl } from '../support/rabbitmq.js';

const A = { id: 'instance-a', socketAt: '127.0.0.1:1' };

async function cluster(t: Test, owner: { id: string; socketAt: string } | undefined, url?: string) {
  const p = await ownedPair(t, owner, { url });
  const manager = p.a.ta.app.ctx.services.agents
    .ofProject('pa')
    .find((x) => x.type === ExtensionType.manager)!;
  return { ...p, manager: manager.username };
}

/** A console GET on instance `i` as `username` with its password there (each instance has its own store). */
async function get(i: Instance, username: string, path: string) {
  const password = (await i.ta.app.ctx.repos.extensions.byUsername(username))!.password;
  const r = await i.ta.app.http.inject({
    method: 'GET',
    url: `/callcenter/console/${path}`,
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  });
  const body = r.json() as {
    data: Record<string, unknown> & unknown[];
    reqResult: { code: number; msg: string };
  };
  return { ...body, from: r.headers['x-cc-state-from'], status: r.statusCode };
}

const workOf = (i: Instance, username: string) =>
  i.ta.app.ctx.services.agents.get(username)!.state.workStatus;

t.test(
  "given project pa held by A and its agent set available there, B's console/status shows A's state",
  async (t) => {
    const { a, b, agent } = await cluster(t, A);
    t.ok(a.ta.app.ctx.services.agents.setWork(agent, WorkStatus.available).ok);
    t.equal(workOf(b, agent), WorkStatus.unavailable, "B's own registry is stale (the case this is about)");
    const r = await get(b, agent, 'status');
    t.equal(r.reqResult.code, 1, r.reqResult.msg);
    t.match(r.data, {
      username: agent,
      workStatus: WorkStatus.available,
      projectCode: 'pa',
      stateFrom: 'owner',
    });
    t.equal(r.from, 'owner');
    t.equal(b.metric('cluster.reads.forwarded'), 1);
    t.equal(a.metric('cluster.reads.served'), 1);
    // On the owner itself: answered locally, nothing forwarded.
    const here = await get(a, agent, 'status');
    t.match(here.data, { workStatus: WorkStatus.available, stateFrom: 'owner' });
    t.equal(a.metric('cluster.reads.forwarded'), 0);
  },
);

t.test("given project pa held by A, the manager's extensions and wallboard on B are A's", async (t) => {
  const { a, b, agent, manager } = await cluster(t, A);
  t.ok(a.ta.app.ctx.services.agents.setWork(agent, WorkStatus.available).ok);
  const exts = await get(b, manager, 'extensions?projectCode=pa');
  t.equal(exts.reqResult.code, 1, exts.reqResult.msg);
  t.match(
    (exts.data as { username: string }[]).find((r) => r.username === agent),
    { workStatus: WorkStatus.available },
  );
  t.equal(exts.from, 'owner');

  // Only the owner samples the project's wallboard (B's samples would be wrong and reach the page beside A's).
  await a.ta.app.wallboard.sampleAll();
  await b.ta.app.wallboard.sampleAll();
  t.same(b.ta.app.wallboard.lastHour('pa'), [], 'B does not sample a project it does not hold');
  const board = await get(b, manager, 'wallboard?projectCode=pa');
  t.equal(board.reqResult.code, 1, board.reqResult.msg);
  t.match(board.data, { samples: [{ agents: { offline: 1 } }] }, "A's sample");
  t.equal(board.from, 'owner');

  // An agent is no manager, at B or anywhere.
  const refused = await get(b, agent, 'extensions?projectCode=pa');
  t.equal(refused.status, 403);
});

t.test('given project pa has no owner at the moment, B answers from the store and says so', async (t) => {
  const { b, agent } = await cluster(t, undefined);
  // What the last owner stored (every change is stored there): B's registry still says unavailable.
  await b.ta.app.ctx.repos.extensions.setStatus(
    agent,
    { workStatus: WorkStatus.available },
    b.ta.clock.now(),
  );
  t.equal(workOf(b, agent), WorkStatus.unavailable);
  const r = await get(b, agent, 'status');
  t.equal(r.reqResult.code, 1, r.reqResult.msg);
  t.match(r.data, { workStatus: WorkStatus.available, stateFrom: 'store' });
  t.equal(r.from, 'store');
  t.equal(b.metric('cluster.reads.forwarded'), 0);
});

t.test('given the owner does not answer, B answers from the store once the wait is over', async (t) => {
  const { b, agent } = await cluster(t, { id: 'instance-c', socketAt: '127.0.0.1:1' });
  await b.ta.app.ctx.repos.extensions.setStatus(
    agent,
    { workStatus: WorkStatus.available },
    b.ta.clock.now(),
  );
  const answer = get(b, agent, 'status');
  await until('the read is waiting', () => b.metric('cluster.reads.pending') === 1);
  b.ta.clock.advance(1999);
  t.equal(b.metric('cluster.reads.pending'), 1, 'still waiting just before the timeout');
  b.ta.clock.advance(1);
  const r = await answer;
  t.match(r.data, { workStatus: WorkStatus.available, stateFrom: 'store' });
  t.equal(b.metric('cluster.reads.timedOut'), 1);
});

t.test(
  'given reads on the bus no instance signed, or an asker the owner does not know, A answers none',
  async (t) => {
    const url = await amqpUrl(t);
    const { a, agent, manager, exchange } = await cluster(t, A, url);
    const send = await rpcForger(t, url, exchange);
    const forged = {
      kind: 'read',
      id: 'f1',
      from: 'instance-b',
      to: 'instance-a',
      body: { asker: { username: agent, projectCode: 'pa', type: 2 }, read: 'status', projectCode: 'pa' },
    };
    send({ ...forged, sig: '00'.repeat(32) });
    send(forged);
    await until('A counted both', () => a.metric('cluster.reads.forged') === 2);
    t.equal(a.metric('cluster.reads.served'), 0);
    t.equal(a.metric('cluster.commands.forged'), 0, 'the commands handler leaves reads alone');

    // An instance of the cluster (it has the secret) asking for what the owner's own view does not grant.
    const clock = new FakeClock();
    const log = { info: () => undefined, warn: () => undefined };
    const x = createBus({ url, instanceId: 'instance-x', exchange, clock, metrics: new Metrics(), log });
    t.teardown(() => x.close());
    x.start();
    await until('instance-x is up', () => x.state() === 'up');
    const reads = forwardedReads({
      link: x,
      me: 'instance-x',
      secret: TEST_SOCKET_SECRET,
      clock,
      metrics: new Metrics(),
      log,
    });
    const ask = (
      asker: { username: string; projectCode: string; type: number },
      read: 'status' | 'extensions',
    ) => reads.read('instance-a', { asker, read, projectCode: 'pa' });
    t.match(await ask({ username: agent, projectCode: 'pa', type: ExtensionType.manager }, 'extensions'), {
      kind: 'refused',
      reason: new RegExp(`${agent} is not of project pa`),
    });
    t.match(await ask({ username: agent, projectCode: 'pa', type: ExtensionType.agent }, 'extensions'), {
      kind: 'refused',
      reason: /is not a manager/,
    });
    t.match(await ask({ username: manager, projectCode: 'pa', type: ExtensionType.manager }, 'extensions'), {
      kind: 'data',
    });
  },
);
