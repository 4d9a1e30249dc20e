// Two whole apps (SQLite each, the same project in both) joined by a real RabbitMQ, for the tests of several
// instances (issue 20). Each pair has its own exchange, so test files sharing the suite's broker never meet.
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import type { Test } from 'tap';
import { RPC_ROUTING_KEY } from '../../src/cluster/routing-key.js';
import { testConfig } from '../../src/config.js';
import { Topics } from '../../src/core/topics.js';
import type { AppDeps } from '../../src/app.js';
import { startTestApp, type TestApp } from './app.js';
import { OwnerTable } from './ownership.js';
import { amqpUrl } from './rabbitmq.js';
import { connectStomp, type AppStompClient } from './stomp-client.js';

export interface Instance {
  ta: TestApp;
  base: string;
  metric(name: string): number;
}

/** What a test may give each instance: its Ownership (test/support/ownership.ts), a shorter forward timeout... */
type InstanceDeps = (instanceId: string) => Partial<AppDeps>;

async function instance(
  t: Test,
  url: string,
  instanceId: string,
  exchange: string,
  deps: InstanceDeps = () => ({}),
): Promise<Instance> {
  const ta = await startTestApp(
    {
      cluster: { instanceId, amqpUrl: url, exchange },
      // No FreeSWITCH here: the seeded node's port is one nothing listens on.
      seedNode: { ...testConfig().seedNode, eslPort: 1 },
    },
    deps(instanceId),
  );
  t.teardown(ta.close);
  const base = await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  await ta.app.start();
  return { ta, base, metric: (name) => ta.app.ctx.metrics.snapshot()[name] ?? 0 };
}

/** Polls `ok`, running `tick` between polls (the apps' fake clocks drive the reconnect backoff). */
export async function until(
  what: string,
  ok: () => boolean,
  tick: () => void = () => undefined,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    tick();
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function pair(t: Test, url: string, deps?: InstanceDeps) {
  const exchange = `cc-test-${randomBytes(6).toString('hex')}`;
  const a = await instance(t, url, 'instance-a', exchange, deps);
  const b = await instance(t, url, 'instance-b', exchange, deps);
  // The same project in both databases: the same agents, each instance with its own passwords.
  for (const i of [a, b]) await i.ta.app.ctx.services.projects.createProject('pa', 1);
  await until('both links up', () => a.metric('cluster.amqp.up') === 1 && b.metric('cluster.amqp.up') === 1);
  const agent = a.ta.app.ctx.services.agents.ofProject('pa').find((x) => x.type === 2)!.username;
  const login = async (i: Instance): Promise<AppStompClient> => {
    const c = await connectStomp(
      i.base,
      agent,
      (await i.ta.app.ctx.repos.extensions.byUsername(agent))!.password,
    );
    t.teardown(() => c.close());
    t.same(c.errors, [], 'the agent logs in');
    return c;
  };
  return { a, b, agent, login, exchange };
}

/** Subscribes; resolves once the server has them (frames are handled in order: a receipt for one more says so). */
export async function subscribed(c: AppStompClient, ...destinations: string[]): Promise<void> {
  for (const d of destinations) c.subscribe(d);
  await new Promise<void>((resolve) => {
    const receipt = randomBytes(4).toString('hex');
    c.client.watchForReceipt(receipt, () => resolve());
    c.client.subscribe(Topics.task('pa'), () => undefined, { receipt });
  });
}

/**
 * A client of the broker that is no instance of the cluster (it knows no signing key): what it publishes on the
 * request/reply key, as instance-b unless `appId` says otherwise, must be dropped and counted by the instance it names.
 */
export async function rpcForger(t: Test, url: string, exchange: string) {
  const conn = await connect(url);
  t.teardown(() => conn.close());
  const ch = await conn.createChannel();
  return (m: object, appId = 'instance-b') =>
    ch.publish(exchange, RPC_ROUTING_KEY, Buffer.from(JSON.stringify(m)), {
      appId,
      type: 'rpc',
      headers: {},
    });
}

/**
 * A pair whose ownership is a table the test sets: project `pa` held by `owner` (none: nobody holds it), requests
 * forwarded to it waiting `timeoutMs` (2 s) for its answer.
 */
export async function ownedPair(
  t: Test,
  owner: { id: string; socketAt: string } | undefined,
  opts: { timeoutMs?: number; url?: string } = {},
) {
  const owners = new OwnerTable();
  owners.set('pa', owner);
  const p = await pair(t, opts.url ?? (await amqpUrl(t)), (id) => ({
    ownership: owners.viewOf(id),
    forwardTimeoutMs: opts.timeoutMs ?? 2000,
  }));
  return { ...p, owners };
}
