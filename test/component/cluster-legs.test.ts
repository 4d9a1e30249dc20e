// Issue 20, legs FreeSWITCH's dialplan starts, with several instances: one emulated switch, two whole apps (A and B)
// on one RabbitMQ, a fixed table of owners (test/support/ownership.ts). A leg that lands on B for a project A holds
// is handed on to A's socket and run there; a leg for a project nobody holds hears the dialplan's fallback; the
// dialplan's socket list skips an instance that is down.
import { createServer, type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { systemClock } from '../../src/core/clock.js';
import { WorkStatus } from '../../src/core/codes.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { OwnerTable } from '../support/ownership.js';
import { amqpUrl } from '../support/rabbitmq.js';
import type { EmulatorEvent } from '../freeswitch-emulator/index.js';
import { agentState, gatewayFor, logOf, setTask, waitFor } from './flows-support.js';

interface Cluster {
  a: CallHarness;
  b: TestApp;
  bSocket: number;
  /** Each instance's view of the owners (the same unless a test makes them disagree). */
  views: { a: OwnerTable; b: OwnerTable };
  /** Sets the owner of pa in both views. */
  own(owner: 'a' | 'b' | undefined): void;
  at: { a: { id: string; socketAt: string }; b: { id: string; socketAt: string } };
  agent: string;
}

/** A (with the emulator) and B, both nodes' links to the one switch; the dialplan sends legs to `targets`. */
async function cluster(t: Test, targets: (bSocket: number) => number[]): Promise<Cluster> {
  const url = await amqpUrl(t);
  const exchange = `cc-legs-${Math.random().toString(16).slice(2)}`;
  const views = { a: new OwnerTable(), b: new OwnerTable() };
  const b = await startTestApp(
    { cluster: { instanceId: 'instance-b', amqpUrl: url, exchange } },
    { clock: systemClock, ownership: views.b.viewOf('instance-b') },
  );
  t.teardown(b.close);
  const bSocket = (await b.app.outbound.listen()).port;
  const a = await startCallHarness(
    {
      config: { cluster: { instanceId: 'instance-a', amqpUrl: url, exchange } },
      emulator: { dialplanSockets: targets(bSocket).map((port) => ({ host: '127.0.0.1', port })) },
    },
    { ownership: views.a.viewOf('instance-a') },
  );
  t.teardown(a.close);
  const at = {
    a: { id: 'instance-a', socketAt: `127.0.0.1:${a.socketPort}` },
    b: { id: 'instance-b', socketAt: `127.0.0.1:${bSocket}` },
  };
  const own = (owner: 'a' | 'b' | undefined) => {
    for (const v of [views.a, views.b]) v.set('pa', owner && at[owner]);
  };
  own('a');
  await b.exec(sql`update fs_nodes set esl_port = ${a.fs.port}, sip_domain = '127.0.0.1'`);
  await b.app.start();
  await a.fs.waitFor(() => b.app.nodes.isConnected(1));
  // B first: the registration the emulator announces for A's project reaches B's registry too.
  await b.app.ctx.services.projects.createProject('pa', 1);
  const [agent] = await a.project('pa', 1, { available: false });
  await a.fs.waitFor(() => b.app.ctx.services.agents.get(agent!)?.state.regStatus === 1);
  return { a, b, bSocket, views, own, at, agent: agent! };
}

const workOf = (app: TestApp, username: string) =>
  app.app.ctx.services.agents.get(username)!.state.workStatus;
const metric = (app: TestApp, name: string) => app.app.ctx.metrics.snapshot()[name] ?? 0;

function hangups(c: Cluster): Map<string, string> {
  const causes = new Map<string, string>();
  c.a.fs.onEvent((e: EmulatorEvent) => {
    if (e.name === 'CHANNEL_HANGUP' && e.uuid)
      causes.set(e.uuid, e.headers.find(([k]) => k === 'Hangup-Cause')?.[1] ?? '');
  });
  return causes;
}

t.test(
  'given an agent of A’s project whose agent_login lands on B, A runs the leg: its registry has the agent available',
  async (t) => {
    const c = await cluster(t, (bSocket) => [bSocket]);
    const { a, b, agent } = c;
    const uuid = a.fs.dialFromExtension(agent, 'agent_login')!;
    await a.fs.waitFor(() => workOf(a, agent) === WorkStatus.available, 10_000);
    t.equal(workOf(b, agent), WorkStatus.unavailable, 'B ran nothing itself');
    t.equal(metric(b, 'calls.legs.handedOff'), 1);
    t.equal(metric(a, 'calls.legs.agent-code'), 1, 'the flow ran at A');
    t.equal(metric(b, 'calls.legs.agent-code'), 0);
    const fromB = a.fs.commands.filter((x) => x.from === uuid).map((x) => x.line);
    t.ok(
      fromB.some((l) => l.startsWith(`api uuid_transfer ${uuid} agent_login XML cc_handoff`)),
      'B transferred the leg, with its destination, to the cc_handoff context',
    );

    // agent_logoff too, and the leg ends at A without the fallback.
    const causes = hangups(c);
    const off = a.fs.dialFromExtension(agent, 'agent_logoff')!;
    await a.fs.waitFor(() => workOf(a, agent) === WorkStatus.unavailable, 10_000);
    await a.fs.waitFor(() => causes.has(off), 10_000);
    t.not(causes.get(off), 'NORMAL_TEMPORARY_FAILURE', 'no fallback tone');
    t.equal(metric(b, 'calls.legs.handedOff'), 2);
  },
);

t.test(
  'given the project has no owner, a leg landing on B hears the fallback and changes nothing',
  async (t) => {
    const c = await cluster(t, (bSocket) => [bSocket]);
    const { a, b, agent } = c;
    c.own(undefined);
    const causes = hangups(c);
    const uuid = a.fs.dialFromExtension(agent, 'agent_login')!;
    await a.fs.waitFor(() => causes.has(uuid), 10_000);
    t.equal(
      causes.get(uuid),
      'NORMAL_TEMPORARY_FAILURE',
      'the dialplan’s fallback: unavailable tone, then hangup',
    );
    t.equal(metric(b, 'calls.legs.noOwner'), 1);
    t.equal(workOf(a, agent), WorkStatus.unavailable);
    t.equal(workOf(b, agent), WorkStatus.unavailable);
  },
);

t.test(
  'given two views that disagree (a move in progress), a leg is handed on once, never back and forth',
  async (t) => {
    const c = await cluster(t, (bSocket) => [bSocket]);
    const { a, b, agent } = c;
    c.views.b.set('pa', c.at.a);
    c.views.a.set('pa', c.at.b);
    const causes = hangups(c);
    const uuid = a.fs.dialFromExtension(agent, 'agent_login')!;
    await a.fs.waitFor(() => causes.has(uuid), 10_000);
    t.equal(causes.get(uuid), 'NORMAL_TEMPORARY_FAILURE');
    t.equal(metric(b, 'calls.legs.handedOff'), 1, 'B handed it to A');
    t.equal(metric(a, 'calls.legs.handedOff'), 0, 'A did not hand it back');
    t.equal(metric(a, 'calls.legs.noOwner'), 1);
    t.equal(workOf(a, agent), WorkStatus.unavailable);
    t.equal(workOf(b, agent), WorkStatus.unavailable);
  },
);

t.test(
  'given the first instance of the dialplan’s socket list is down, the leg goes to the next',
  async (t) => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const c = await cluster(t, (bSocket) => [deadPort, bSocket]);
    const { a, b, agent } = c;
    c.own('b');
    const uuid = a.fs.dialFromExtension(agent, 'agent_login')!;
    await a.fs.waitFor(() => workOf(b, agent) === WorkStatus.available, 10_000);
    t.equal(metric(b, 'calls.legs.agent-code'), 1, 'B, the second address, took the leg and ran it');
    t.equal(metric(b, 'calls.legs.handedOff'), 0);
    await a.fs.waitFor(() => !a.fs.channels().some((ch) => ch.uuid === uuid), 10_000);
    t.equal(metric(a, 'calls.legs.agent-code'), 0, 'A never saw it');
  },
);

t.test(
  'given an inbound call for A’s project that lands on B, B hands it on untouched and A queues it to its agent',
  async (t) => {
    const c = await cluster(t, (bSocket) => [bSocket]);
    const { a, b, agent } = c;
    a.app.ctx.services.agents.setWork(agent, WorkStatus.available);
    // The same running inbound task and gateway in both stores (one shared store in production).
    const taskId = await a.task({ code: 'ti', projectCode: 'pa', scheduleType: 11 });
    await setTask(a, taskId, { startedAt: a.app.ctx.clock.now() });
    await gatewayFor(a, taskId, 'gwI', { originationCallId: '02166660000' });
    const project = (await b.app.ctx.repos.projects.activeByCode('pa'))!;
    const now = b.app.ctx.clock.now();
    const bTask = await b.app.ctx.repos.tasks.insert(
      {
        callTaskCode: 'ti',
        projectId: project.id,
        scheduleType: 11,
        callType: 3,
        rate: 1,
        expiredTime: now + 86_400_000,
        status: 2,
      },
      now,
    );
    const bh = b as unknown as CallHarness;
    await setTask(bh, bTask.id, { startedAt: now });
    await gatewayFor(bh, bTask.id, 'gwI', { originationCallId: '02166660000' });

    const leg = a.fs.inboundCall('13900009001', '02166660000', { hangupAfterMs: 25_000 })!;
    await a.fs.waitFor(() => agentState(a, agent)?.sessionStatus === 10, 10_000);
    const log = await waitFor(() => logOf(a, leg), 10_000);
    t.match(
      log,
      { direction: 'inbound', callTaskCode: 'ti', callerIdNumber: agent },
      'A ran and logged the call',
    );
    t.equal(await logOf(bh, leg), undefined, 'B logged nothing');
    t.equal(metric(b, 'calls.legs.handedOff'), 1);
    const lines = a.fs.commands.filter((x) => x.from === leg).map((x) => x.line);
    const transfer = lines.findIndex((l) =>
      l.startsWith(`api uuid_transfer ${leg} 02166660000 XML cc_handoff`),
    );
    const task = lines.findIndex((l) => l === `api uuid_setvar ${leg} cc_task ti`);
    t.ok(transfer >= 0 && task > transfer, 'B set nothing of the task on the leg: A did, after the hand-off');
  },
);
