// Issue 20, /app commands across instances: two whole apps joined by a real RabbitMQ, a fixed table of owners
// (test/support/ownership.ts). A command an agent sends to instance B for a project A holds runs at A, with B's
// authenticated principal, and is answered to the agent as if local; with no owner, or an owner that does not answer,
// the agent is told so; a message on the bus that no instance signed runs nothing.
import t, { type Test } from 'tap';
import { createBus } from '../../src/cluster/bus.js';
import { forwardedCommands } from '../../src/cluster/forward.js';
import { TEST_SOCKET_SECRET } from '../../src/config.js';
import { FakeClock } from '../../src/core/clock.js';
import { WorkStatus } from '../../src/core/codes.js';
import { Metrics } from '../../src/core/metrics.js';
import { Topics } from '../../src/core/topics.js';
import { ownedPair, rpcForger, subscribed, until, type Instance } from '../support/cluster.js';
import { OwnerTable } from '../support/ownership.js';
import { amqpUrl } from '../support/rabbitmq.js';

const A = { id: 'instance-a', socketAt: '127.0.0.1:1' };

const cluster = (
  t: Test,
  owner: { id: string; socketAt: string } | undefined,
  timeoutMs = 5000,
  url?: string,
) => ownedPair(t, owner, { timeoutMs, url });

const workOf = (i: Instance, username: string) =>
  i.ta.app.ctx.services.agents.get(username)!.state.workStatus;

t.test(
  'given project pa held by A, /app/idle sent by its agent on B runs at A and is answered on B',
  async (t) => {
    const { a, b, agent, login } = await cluster(t, A);
    const onB = await login(b);
    const notify = Topics.notify('pa', agent);
    await subscribed(onB, notify, Topics.status(agent));
    t.equal(workOf(a, agent), WorkStatus.unavailable);

    const receipt = new Promise<number>((resolve) =>
      onB.client.watchForReceipt('idle-1', () => resolve(onB.messages.get(notify)?.length ?? 0)),
    );
    onB.client.publish({
      destination: '/app/idle',
      body: JSON.stringify({ username: agent, workType: 10 }),
      headers: { receipt: 'idle-1' },
    });
    t.equal(await receipt, 1, "the RECEIPT comes after the owner's answer, as for a local command");
    t.match(onB.messages.get(notify), [{ msgType: 'success', data: '置闲成功' }]);
    t.equal(workOf(a, agent), WorkStatus.available, "the owner's registry holds the agent's live state");
    t.equal(workOf(b, agent), WorkStatus.unavailable, 'B changed nothing itself');
    await onB.next(Topics.status(agent), (m) => m.workStatus === WorkStatus.available, 10_000);
    t.equal(b.metric('cluster.commands.forwarded'), 1);
    t.equal(a.metric('cluster.commands.served'), 1);
    t.same(onB.errors, []);
  },
);

t.test(
  'given project pa has no owner at the moment, the command is refused clearly and runs nowhere',
  async (t) => {
    const { a, b, agent, login } = await cluster(t, undefined);
    const onB = await login(b);
    const notify = Topics.notify('pa', agent);
    await subscribed(onB, notify);
    onB.send('/app/idle', { username: agent });
    const m = await onB.next<{ msgType: string; data: string }>(notify, () => true, 10_000);
    t.equal(m.msgType, 'error');
    t.match(m.data, /\/app\/idle: project pa has no owning instance at the moment/);
    t.equal(workOf(a, agent), WorkStatus.unavailable);
    t.equal(workOf(b, agent), WorkStatus.unavailable);
    t.equal(b.metric('cluster.commands.forwarded'), 0);
  },
);

t.test('given the owner does not answer, the agent is told once the wait is over', async (t) => {
  const gone = { id: 'instance-c', socketAt: '127.0.0.1:1' };
  const { a, b, agent, login } = await cluster(t, gone, 2000);
  const onB = await login(b);
  const notify = Topics.notify('pa', agent);
  await subscribed(onB, notify);
  onB.send('/app/busy', { username: agent });
  await until('the command is waiting', () => b.metric('cluster.commands.pending') === 1);
  b.ta.clock.advance(1999);
  t.equal(b.metric('cluster.commands.pending'), 1, 'still waiting just before the timeout');
  b.ta.clock.advance(1);
  const m = await onB.next<{ msgType: string; data: string }>(notify, () => true, 10_000);
  t.match(m, {
    msgType: 'error',
    data: /instance instance-c, which holds project pa, did not answer within 2000 ms/,
  });
  t.equal(b.metric('cluster.commands.timedOut'), 1);
  t.equal(workOf(a, agent), WorkStatus.unavailable);
  t.same(onB.errors, [], 'the session stays open');
});

t.test(
  'given an agent on B naming another agent, B refuses it before anything reaches the owner',
  async (t) => {
    const { a, b, agent, login } = await cluster(t, A);
    // The project's manager: another extension of the same project.
    const other = a.ta.app.ctx.services.agents.ofProject('pa').find((x) => x.username !== agent)!;
    const onB = await login(b);
    onB.send('/app/idle', { username: other.username });
    await until('the session is refused', () => onB.errors.length > 0, undefined, 10_000);
    t.match(onB.errors[0]!.headers.message, 'send refused');
    t.equal(b.metric('cluster.commands.forwarded'), 0);
    t.equal(workOf(a, other.username), WorkStatus.unavailable);
  },
);

t.test('given messages on the bus no instance of the cluster signed, the owner runs nothing', async (t) => {
  const url = await amqpUrl(t);
  const { a, agent, exchange } = await cluster(t, A, 5000, url);
  const manager = a.ta.app.ctx.services.agents.ofProject('pa').find((x) => x.type === 3);
  const send = await rpcForger(t, url, exchange);
  const forged = {
    kind: 'command',
    id: 'f1',
    from: 'instance-b',
    to: 'instance-a',
    command: {
      principal: { username: agent, projectCode: 'pa', role: 'agent' },
      destination: '/app/idle',
      body: JSON.stringify({ username: agent }),
      projectCode: 'pa',
    },
  };
  send({ ...forged, sig: '00'.repeat(32) }); // a wrong signature
  send(forged); // none
  send({ ...forged, sig: 'zz' }); // not hex
  await until('A counted the three', () => a.metric('cluster.commands.forged') === 3);
  t.equal(workOf(a, agent), WorkStatus.unavailable, 'nothing ran');
  t.equal(a.metric('cluster.commands.served'), 0);

  // An instance of the cluster (it has the secret) forwarding a principal the owner would not have authenticated:
  // an agent claiming to be a manager is refused by the owner's own check.
  const clock = new FakeClock();
  const log = { info: () => undefined, warn: () => undefined };
  const x = createBus({ url, instanceId: 'instance-x', exchange, clock, metrics: new Metrics(), log });
  t.teardown(() => x.close());
  x.start();
  await until('instance-x is up', () => x.state() === 'up');
  const owners = new OwnerTable();
  owners.set('pa', A);
  const remote = forwardedCommands({
    link: x,
    ownership: owners.viewOf('instance-x'),
    secret: TEST_SOCKET_SECRET,
    clock,
    metrics: new Metrics(),
    log,
  });
  const answer = await remote.forward('instance-a', {
    principal: { username: agent, projectCode: 'pa', role: 'manager' },
    destination: '/app/idle',
    body: JSON.stringify({ username: manager?.username ?? agent }),
    projectCode: 'pa',
  });
  t.match(answer, { kind: 'refused', reason: new RegExp(`${agent} is not a manager of project pa`) });
  t.equal(workOf(a, agent), WorkStatus.unavailable);
  if (manager) t.equal(workOf(a, manager.username), WorkStatus.unavailable);
});

t.test('given the same table with A as owner, A runs its own agents’ commands itself', async (t) => {
  const { a, agent, login } = await cluster(t, A);
  const onA = await login(a);
  const notify = Topics.notify('pa', agent);
  await subscribed(onA, notify);
  onA.send('/app/idle', { username: agent });
  await onA.next(notify, () => true, 10_000);
  t.equal(workOf(a, agent), WorkStatus.available);
  t.equal(a.metric('cluster.commands.forwarded'), 0);
});
