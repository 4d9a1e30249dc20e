// Issue 20: RabbitMQ restarted under two instances (its own broker, so the suite's shared one is never restarted).
// Frames published meanwhile still reach the publishing instance's sessions; after the reconnect they flow again.
import t from 'tap';
import { Topics } from '../../src/core/topics.js';
import { pair, subscribed, until } from '../support/cluster.js';
import { ownRabbitMq } from '../support/rabbitmq.js';
t.test(
  'given RabbitMQ restarts mid-stream, frames resume after the reconnect and nothing crashes',
  async (t) => {
    const rabbit = await ownRabbitMq(t);
    const { a, b, agent, login } = await pair(t, rabbit.url);
    const onB = await login(b);
    const onA = await login(a);
    const status = Topics.status(agent);
    await subscribed(onB, status);
    await subscribed(onA, status);
    let seq = 0;
    const publishing = setInterval(() => a.ta.app.broker.publish(status, { seq: ++seq }), 20);
    t.teardown(() => clearInterval(publishing));
    await onB.next<{ seq: number }>(status, (m) => m.seq >= 10, 10_000);

    await rabbit.stop();
    await until(
      'both links down',
      () => a.metric('cluster.amqp.up') === 0 && b.metric('cluster.amqp.up') === 0,
    );
    const duringOutage = seq + 5;
    await onA.next<{ seq: number }>(status, (m) => m.seq === duringOutage, 10_000);
    t.pass("A's own sessions still get A's frames while RabbitMQ is away");
    t.match((await a.ta.app.http.inject({ url: '/health' })).json().data, { amqp: { link: 'down' } });

    await rabbit.start();
    // The reconnect backoff runs on the apps' fake clocks: let them run while RabbitMQ comes back.
    const tick = () => {
      a.ta.clock.advance(1000);
      b.ta.clock.advance(1000);
    };
    await until(
      'both links up again',
      () => a.metric('cluster.amqp.up') === 1 && b.metric('cluster.amqp.up') === 1,
      tick,
    );
    const after = seq + 1;
    await onB.next<{ seq: number }>(status, (m) => m.seq >= after + 10, 10_000);
    const got = (onB.messages.get(status) as { seq: number }[]).map((m) => m.seq);
    const resumed = got.filter((s) => s >= after);
    t.same(
      resumed,
      Array.from({ length: resumed.length }, (_, i) => after + i),
      'no gap and no repeat after the reconnect',
    );
    t.equal(new Set(got).size, got.length, 'no frame twice, across the outage either');
    t.ok(
      a.metric('cluster.frames.dropped') > 0,
      'frames A published while RabbitMQ was away were counted as dropped',
    );
    t.equal(a.metric('cluster.amqp.reconnects'), 1);
    t.equal(b.metric('cluster.amqp.reconnects'), 1);
    t.match((await b.ta.app.http.inject({ url: '/health' })).json().data, {
      amqp: { link: 'up' },
      instance: 'instance-b',
    });
  },
);
