// Issue 20, the agents' state across instances: two whole apps on ONE PostgreSQL database, one FreeSWITCH emulator
// and one RabbitMQ, owning projects by lease. A project's agents' work status is applied at its owner; the instance
// that takes the project over reloads it from the store before dialling. A project created, or an extension moved,
// through one instance's API is known at once to the other (an agent of it may log in there).
import { sql } from 'drizzle-orm';
import t from 'tap';
import { ExtensionType, WorkStatus } from '../../src/core/codes.js';
import { bothLive, leaseCluster, until, type LeaseCluster } from '../support/lease-cluster.js';
import { connectStomp } from '../support/stomp-client.js';

/** Every member's RabbitMQ link is up (a change announced before would not reach it). */
const linked = (c: LeaseCluster) =>
  until('every bus up', async () => {
    for (const m of c.members) {
      const body = (await m.app.http.inject({ method: 'GET', url: '/metrics' })).body;
      if (!/callcenter_cluster_amqp_up 1/.test(body)) return false;
    }
    return true;
  });

t.test(
  "a project taken over: the new owner has its agents' work status set at the old owner, before it dials",
  async (t) => {
    const c = await leaseCluster(t, 2, { defaultPlaybackMs: 60_000 });
    await bothLive(c);
    await linked(c);
    await c.members[0]!.app.ctx.services.projects.createProject('pw', 2);
    const first = await until('owned', () => c.ownerOf('pw'));
    const owner = c.members.find((m) => m.id === first)!;
    const other = c.members.find((m) => m.id !== first)!;
    const agents = owner.app.ctx.services.agents
      .ofProject('pw')
      .filter((a) => a.type === ExtensionType.agent);
    const [one, two] = agents.map((a) => a.username);
    for (const u of [one!, two!]) c.fs.register(u);
    await until('registered on both', () =>
      c.members.every((m) => m.app.ctx.services.agents.get(one!)?.state.regStatus === 1),
    );
    // At the owner (where their /app commands run): one agent goes available, the other is disabled.
    t.ok(owner.app.ctx.services.agents.setWork(one!, WorkStatus.available).ok);
    t.ok(owner.app.ctx.services.agents.setWork(two!, WorkStatus.disabled).ok);
    await owner.app.ctx.services.agents.stored();
    const work = (u: string) => other.app.ctx.services.agents.get(u)?.state.workStatus;
    t.equal(
      work(one!),
      WorkStatus.unavailable,
      'before the take-over the other instance has its start-up state',
    );
    await owner.kill();
    await until('the other took the project', async () => (await c.ownerOf('pw')) === other.id, 15_000);
    await until('the take-over recovered', () => other.keeper.mayDial('pw'), 15_000);
    t.equal(work(one!), WorkStatus.available, 'the available agent is available at the new owner');
    t.equal(work(two!), WorkStatus.disabled, 'the disabled agent is disabled at the new owner');
    t.equal(other.app.ctx.services.agents.get(one!)?.state.regStatus, 1, 'and still registered');
    t.same(
      other.app.ctx.services.agents.offerable('pw').map((a) => a.username),
      [one],
      'the new owner offers calls to the available agent only',
    );
  },
);

t.test('a project created or finished through one instance is known at once to the other', async (t) => {
  const c = await leaseCluster(t, 2);
  const [a, b] = c.members;
  await linked(c);
  await a!.app.ctx.services.projects.createProject('pn', 1);
  const atA = a!.app.ctx.services.agents.ofProject('pn').map((x) => x.username);
  t.equal(atA.length, 2, 'one agent and one manager at A');
  await until(
    'B knows the new project',
    () => b!.app.ctx.services.agents.ofProject('pn').length === atA.length,
    10_000,
  );
  t.same(
    b!.app.ctx.services.agents.ofProject('pn').map((x) => x.username),
    atA,
    'B has the same extensions',
  );
  // An extension moved to another project through B is known at A in its new project.
  await b!.app.ctx.services.projects.createProject('po', 1);
  await until('A knows po', () => a!.app.ctx.services.agents.ofProject('po').length === 2, 10_000);
  const moved = atA.find((u) => a!.app.ctx.services.agents.get(u)!.type === ExtensionType.agent)!;
  await b!.app.ctx.services.projects.distributionSeat('po', moved);
  await until(
    'A moved the extension',
    () => a!.app.ctx.services.agents.get(moved)?.projectCode === 'po',
    10_000,
  );
  await a!.app.ctx.services.projects.finishProject('pn');
  await until(
    'B dropped the finished project',
    () => b!.app.ctx.services.agents.ofProject('pn').length === 0,
    10_000,
  );
  t.equal(b!.app.ctx.services.agents.get(moved)?.projectCode, 'po', 'the moved extension stays in po');
});

t.test(
  'an extension disabled through an instance that does not own its project: the owner offers it no call and ends its STOMP session; enabled again, it follows',
  async (t) => {
    const c = await leaseCluster(t, 2);
    await bothLive(c);
    await linked(c);
    await c.members[0]!.app.ctx.services.projects.createProject('px', 1);
    const first = await until('owned', () => c.ownerOf('px'));
    const owner = c.members.find((m) => m.id === first)!;
    const other = c.members.find((m) => m.id !== first)!;
    // Registered once both know the project and the owner's take-over reload is over: a reload puts the stored
    // registration over the live one, and the stored one may not be written yet.
    await until('both know px', () =>
      c.members.every((m) => m.app.ctx.services.agents.ofProject('px').length === 2),
    );
    await until('the owner recovered px', () => owner.keeper.mayDial('px'), 15_000);
    const { username } = owner.app.ctx.services.agents
      .ofProject('px')
      .find((a) => a.type === ExtensionType.agent)!;
    c.fs.register(username);
    await until(
      'registered at the owner',
      () => owner.app.ctx.services.agents.get(username)?.state.regStatus === 1,
    );
    t.ok(owner.app.ctx.services.agents.setWork(username, WorkStatus.available).ok);
    t.same(
      owner.app.ctx.services.agents.offerable('px').map((a) => a.username),
      [username],
    );
    const [ext] = await c.exec(sql`select password from extensions where username = ${username}`);
    const base = await owner.app.http.listen({ host: '127.0.0.1', port: 0 });
    const session = await connectStomp(base, username, String(ext!.password));
    t.teardown(() => session.close());
    t.same(session.errors, [], 'the agent is logged in at the owner');
    let closed = false;
    session.client.onWebSocketClose = () => (closed = true);

    await other.app.ctx.services.projects.setExtensionStatus(username, WorkStatus.disabled);
    const work = () => owner.app.ctx.services.agents.get(username)?.state.workStatus;
    await until('the owner has it disabled', () => work() === WorkStatus.disabled, 10_000);
    t.same(owner.app.ctx.services.agents.offerable('px'), [], 'the owner offers it no call');
    await until('its session at the owner ended', () => closed, 10_000);

    await other.app.ctx.services.projects.setExtensionStatus(username, 0);
    await until('the owner has it enabled (not available)', () => work() === WorkStatus.unavailable, 10_000);
    t.ok(owner.app.ctx.services.agents.setWork(username, WorkStatus.available).ok, 'and it may go available');
  },
);
