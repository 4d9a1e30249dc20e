// Issue 20, STOMP across instances: two whole apps (SQLite each) joined by a real RabbitMQ. An agent's session on
// one instance receives what the other publishes for its destinations, once each; a lone instance is unchanged.
import { connect } from 'amqplib';
import t from 'tap';
import { Topics } from '../../src/core/topics.js';
import { startTestApp } from '../support/app.js';
import { pair, subscribed } from '../support/cluster.js';
import { amqpUrl } from '../support/rabbitmq.js';
import type { AppStompClient } from '../support/stomp-client.js';

t.test(
  'given an agent connected to instance B, every frame instance A publishes for it arrives once, in order',
  async (t) => {
    const { a, b, agent, login } = await pair(t, await amqpUrl(t));
    const onB = await login(b);
    const onA = await login(a);
    const status = Topics.status(agent);
    const notify = Topics.notify('pa', agent);
    await subscribed(onB, status, notify, Topics.register(agent));
    await subscribed(onA, status);

    for (let seq = 1; seq <= 200; seq++) a.ta.app.broker.publish(status, { seq });
    // The outbox path the areas publish through: the agent registry's own status frames.
    const registry = a.ta.app.ctx.services.agents;
    registry.publish(registry.get(agent)!);
    // An /app command on A: the answer A publishes for the agent's notify topic reaches its session on B as well.
    onA.send('/app/none', {});

    await onB.next(notify, () => true, 10_000);
    await onB.next(Topics.register(agent), () => true, 10_000);
    // A frame B publishes after it has all of A's: it reaches A after A's own 201 came back from RabbitMQ (one queue,
    // in order), so by then any own frame A delivered twice would be in A's list.
    await onB.next<{ seq?: number }>(status, (m) => 'workStatus' in m, 10_000);
    b.ta.app.broker.publish(status, { seq: 'from B' });
    await onA.next<{ seq?: number | string }>(status, (m) => m.seq === 'from B', 10_000);

    const seqs = (c: AppStompClient) =>
      (c.messages.get(status) as { seq?: number }[])
        .filter((m) => typeof m.seq === 'number')
        .map((m) => m.seq);
    const all = Array.from({ length: 200 }, (_, i) => i + 1);
    t.same(seqs(onB), all, 'B has the 200 frames, once each, in order');
    t.same(seqs(onA), all, 'A delivered its own frames once, not again when RabbitMQ brought them back');
    t.equal(onB.messages.get(status)!.length, 202, "and the registry's status frame, and B's own");
    t.equal(onA.messages.get(status)!.length, 202, "A: its 200, the registry's, and B's");
    t.match(onB.messages.get(notify), [{ msgType: 'error', data: 'unknown command /app/none' }]);
    t.equal(onB.messages.get(notify)!.length, 1);
    t.equal(
      b.metric('cluster.frames.in'),
      204,
      'B took in all A relayed: 200, status, register, callExtStatus, notify',
    );
    t.equal(a.metric('cluster.frames.in'), 1, "A took in only B's frame");
    t.equal(a.metric('cluster.frames.malformed') + b.metric('cluster.frames.malformed'), 0);

    const health = (await a.ta.app.http.inject({ url: '/health' })).json();
    t.match(health.data, { instance: 'instance-a', amqp: { link: 'up' } });
    t.same(health.data.amqp, { link: 'up', reconnects: 0, framesIn: 1, framesOut: 204, framesDropped: 0 });
    t.match(health.data.metrics, { 'cluster.amqp.up': 1, 'cluster.frames.out': 204 });
    const metrics = (await b.ta.app.http.inject({ url: '/metrics' })).body;
    t.match(metrics, /^callcenter_instance_info\{instance="instance-b"\} 1$/m);
    t.match(metrics, /^callcenter_cluster_frames_in 204$/m);
  },
);

t.test(
  'given no CC_AMQP_URL, the instance runs alone: no link, nothing relayed, /health says so',
  async (t) => {
    const ta = await startTestApp({ cluster: { instanceId: 'alone', exchange: 'unused' } });
    t.teardown(ta.close);
    await ta.app.ctx.services.projects.createProject('pa', 1);
    ta.app.broker.publish(Topics.status('1000'), { seq: 1 });
    const health = (await ta.app.http.inject({ url: '/health' })).json();
    t.match(health.data, { instance: 'alone', amqp: { link: 'off' } });
    t.notOk(
      Object.keys(health.data.metrics).some((k) => k.startsWith('cluster.')),
      'no cluster counter exists',
    );
  },
);

t.test(
  'given a burst bigger than the AMQP client’s default write buffer (every agent’s status at once), none is dropped',
  async (t) => {
    const { a, b, agent, login } = await pair(t, await amqpUrl(t));
    const onB = await login(b);
    const status = Topics.status(agent);
    await subscribed(onB, status);
    const burst = 5000;
    for (let seq = 1; seq <= burst; seq++) a.ta.app.broker.publish(status, { seq });
    await onB.next<{ seq: number }>(status, (m) => m.seq === burst, 30_000);
    t.equal(onB.messages.get(status)!.length, burst, 'B has every frame of the burst');
    t.equal(a.metric('cluster.frames.dropped'), 0);
  },
);

t.test('given junk on the exchange, an instance counts it and keeps delivering what is sound', async (t) => {
  const url = await amqpUrl(t);
  const { a, b, agent, login, exchange } = await pair(t, url);
  const onB = await login(b);
  const status = Topics.status(agent);
  await subscribed(onB, status);
  const conn = await connect(url);
  t.teardown(() => conn.close());
  const ch = await conn.createChannel();
  const key = 'topic.status.' + agent;
  ch.publish(exchange, key, Buffer.from('{}'), { headers: {} }); // no destination
  ch.publish(exchange, key, Buffer.from('{}'), { headers: { 'cc-destination': '/queue/x' } }); // not a topic
  ch.publish(exchange, key, Buffer.from('{not json'), {
    type: 'json',
    headers: { 'cc-destination': status },
  });
  ch.publish(exchange, key, Buffer.from('"x"'), {
    headers: { 'cc-destination': status, 'cc-headers': '{"a":1}' }, // a header that is not a string
  });
  await ch.close();
  a.ta.app.broker.publish(status, { seq: 1 });
  await onB.next<{ seq: number }>(status, (m) => m.seq === 1, 10_000);
  t.same(onB.messages.get(status), [{ seq: 1 }], 'only the sound frame reached the session');
  t.equal(b.metric('cluster.frames.malformed'), 4);
  t.equal(b.metric('cluster.amqp.up'), 1, 'the link stayed up');
});
