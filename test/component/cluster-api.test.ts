// Issue 20: a business system's signed API request reaching an instance that does not own its project. Two whole
// apps joined by a real RabbitMQ, a fixed table of owners (test/support/ownership.ts). Only the owner's registry
// decides who is offered calls: setWorkStatus and setWorkStatusByProjectCode sent to B for a project A holds change
// A's registry, and getExtentionByProject asked of B is A's answer; with no owner the writes are refused and the read
// is answered from the store; the owner checks the API account again in its own store and drops unsigned requests.
import t, { type Test } from 'tap';
import { WorkStatus } from '../../src/core/codes.js';
import { strictSignOf } from '../../src/api/strict-sign.js';
import { ACCOUNT, SECRET } from '../support/app.js';
import { ownedPair, rpcForger, until, type Instance } from '../support/cluster.js';
import { amqpUrl } from '../support/rabbitmq.js';

const A = { id: 'instance-a', socketAt: '127.0.0.1:1' };
const P = '/callcenter/callProject/api';

async function cluster(t: Test, owner: { id: string; socketAt: string } | undefined, url?: string) {
  const p = await ownedPair(t, owner, { url });
  // FreeSWITCH tells every instance of a registration (the event reaches them all).
  for (const i of [p.a, p.b]) t.ok(i.ta.app.ctx.services.agents.apply(p.agent, { kind: 'registered' }).ok);
  return p;
}

/** A signed API request to instance `i`, as the test account. */
async function api(i: Instance, method: 'GET' | 'POST', path: string, body?: object) {
  const r = await i.ta.app.http.inject({
    method,
    url: `${P}/${path}`,
    headers: i.ta.signed(),
    ...(body && { payload: body }),
  });
  const json = r.json() as { data: unknown; reqResult: { code: number; msg: string } };
  return { ...json, status: r.statusCode, from: r.headers['x-cc-state-from'] };
}

const offered = (i: Instance) => i.ta.app.ctx.services.agents.offerable('pa').map((a) => a.username);
const workOf = (i: Instance, username: string) =>
  i.ta.app.ctx.services.agents.get(username)!.state.workStatus;

t.test('given project pa held by A, setWorkStatus sent to B changes who A offers calls to', async (t) => {
  const { a, b, agent } = await cluster(t, A);
  t.same(offered(a), [], 'A offers nobody while the agent is not available');
  const r = await api(b, 'POST', 'setWorkStatus/v1', { username: agent, workStatus: 1 });
  t.equal(r.reqResult.code, 1, r.reqResult.msg);
  t.same(r.data, { username: agent, workStatus: 1, sessionStatus: 0 }, 'the answer of the spec, from A');
  t.same(offered(a), [agent], 'A offers calls to the agent');
  t.equal(b.metric('cluster.api.forwarded'), 1);
  t.equal(a.metric('cluster.api.served'), 1);

  // Without workStatus it toggles A's state (B's copy of it says unavailable: toggling there would set it available).
  const toggled = await api(b, 'POST', 'setWorkStatus/v1', { username: agent });
  t.match(toggled.data, { workStatus: 0 });
  t.same(offered(a), []);

  const all = await api(b, 'POST', 'setWorkStatusByProjectCode/v1', { projectCode: 'pa', workStatus: 1 });
  t.equal(all.reqResult.code, 1, all.reqResult.msg);
  t.same(all.data, null, 'the envelope as answered locally');
  t.same(offered(a), [agent], 'the whole project is available at A');

  // The owner's errors come back as they are: an agent disabled at A cannot be set available (B's copy is not).
  t.ok(a.ta.app.ctx.services.agents.setWork(agent, WorkStatus.disabled).ok);
  const refused = await api(b, 'POST', 'setWorkStatus/v1', { username: agent, workStatus: 1 });
  const local = await api(a, 'POST', 'setWorkStatus/v1', { username: agent, workStatus: 1 });
  t.equal(refused.status, 409);
  t.equal(refused.status, local.status);
  t.same(refused.reqResult, local.reqResult, "B answers A's refusal as A does");
});

t.test("given project pa held by A, getExtentionByProject at B shows A's live status", async (t) => {
  const { a, b, agent } = await cluster(t, A);
  t.ok(a.ta.app.ctx.services.agents.setWork(agent, WorkStatus.available).ok);
  t.equal(workOf(b, agent), WorkStatus.unavailable, "B's own registry is stale (the case this is about)");
  const r = await api(b, 'GET', 'getExtentionByProject/v1?projectCode=pa');
  t.equal(r.reqResult.code, 1, r.reqResult.msg);
  const atA = await api(a, 'GET', 'getExtentionByProject/v1?projectCode=pa');
  t.same(r.data, atA.data, "B's answer is A's, row for row");
  t.match(
    (r.data as { username: string }[]).find((x) => x.username === agent),
    { workStatus: WorkStatus.available, status: 1 },
  );
  t.equal(r.from, 'owner');
  // A project nobody has: A's 404, as it would answer it.
  const none = await api(b, 'GET', 'getExtentionByProject/v1?projectCode=zz');
  t.equal(none.status, 404);
});

t.test(
  'given project pa held by A, distributionSeat at B moves an agent only once it is off its call at A',
  async (t) => {
    const { a, b, owners, agent } = await cluster(t, A);
    for (const i of [a, b]) await i.ta.app.ctx.services.projects.createProject('pb', 1);
    owners.set('pb', A);
    // On a call at A (where its calls run); B's copy of it is idle.
    t.ok(a.ta.app.ctx.services.agents.setWork(agent, WorkStatus.available).ok);
    t.ok(a.ta.app.ctx.services.agents.apply(agent, { kind: 'reserve', callId: 'c1' }).ok);
    const busy = await api(b, 'POST', 'distributionSeat/v1', { projectCode: 'pb', username: agent });
    t.equal(busy.status, 409);
    t.match(busy.reqResult.msg, /is on a call/);
    t.equal(a.ta.app.ctx.services.agents.get(agent)!.projectCode, 'pa', 'not moved at A');
    t.ok(a.ta.app.ctx.services.agents.apply(agent, { kind: 'release', callId: 'c1' }).ok);
    const moved = await api(b, 'POST', 'distributionSeat/v1', { projectCode: 'pb', username: agent });
    t.equal(moved.reqResult.code, 1, moved.reqResult.msg);
    t.equal(a.ta.app.ctx.services.agents.get(agent)!.projectCode, 'pb', 'moved at A');
    t.equal(b.metric('cluster.api.forwarded'), 2);
  },
);

t.test(
  'given project pa has no owner, writes at B are refused and the read comes from the store',
  async (t) => {
    const { b, agent } = await cluster(t, undefined);
    const r = await api(b, 'POST', 'setWorkStatus/v1', { username: agent, workStatus: 1 });
    t.equal(r.status, 503);
    t.not(r.reqResult.code, 1);
    t.match(r.reqResult.msg, /project pa has no owning instance/);
    t.equal(workOf(b, agent), WorkStatus.unavailable, 'nothing changed at B');
    const all = await api(b, 'POST', 'setWorkStatusByProjectCode/v1', { projectCode: 'pa', workStatus: 1 });
    t.equal(all.status, 503);
    t.match(all.reqResult.msg, /project pa has no owning instance/);

    // What the last owner stored: B's registry still says unavailable, the read says what the store says.
    await b.ta.app.ctx.repos.extensions.setStatus(
      agent,
      { workStatus: WorkStatus.available },
      b.ta.clock.now(),
    );
    const read = await api(b, 'GET', 'getExtentionByProject/v1?projectCode=pa');
    t.equal(read.reqResult.code, 1, read.reqResult.msg);
    t.match(
      (read.data as { username: string }[]).find((x) => x.username === agent),
      { workStatus: WorkStatus.available },
    );
    t.equal(read.from, 'store');
    t.equal(b.metric('cluster.api.forwarded'), 0);
  },
);

t.test('given the owner does not answer, a write at B is refused once the wait is over', async (t) => {
  const { b, agent } = await cluster(t, { id: 'instance-c', socketAt: '127.0.0.1:1' });
  const answer = api(b, 'POST', 'setWorkStatus/v1', { username: agent, workStatus: 1 });
  await until('the request is waiting', () => b.metric('cluster.api.pending') === 1);
  b.ta.clock.advance(2000);
  const r = await answer;
  t.equal(r.status, 503);
  t.match(r.reqResult.msg, /instance-c, which holds project pa, did not answer within 2000 ms/);
  t.equal(workOf(b, agent), WorkStatus.unavailable);
});

t.test('given an account A would not let in, or a request no instance signed, A runs none', async (t) => {
  const url = await amqpUrl(t);
  const { a, b, agent, exchange } = await cluster(t, A, url);
  // Disabled in A's store (each instance has its own here): B still lets it in, A refuses it.
  await a.ta.app.ctx.repos.accounts.update(ACCOUNT, { status: 0 }, a.ta.clock.now());
  const r = await api(b, 'POST', 'setWorkStatus/v1', { username: agent, workStatus: 1 });
  t.equal(r.status, 403);
  t.match(r.reqResult.msg, /API account crm: account is disabled/);
  t.same(offered(a), []);
  const read = await api(b, 'GET', 'getExtentionByProject/v1?projectCode=pa');
  t.equal(read.status, 403, 'a read A refuses for its account is refused, not answered from the store');

  await a.ta.app.ctx.repos.accounts.update(ACCOUNT, { status: 1 }, a.ta.clock.now());
  const served = a.metric('cluster.api.served');
  const send = await rpcForger(t, url, exchange);
  const body = {
    account: ACCOUNT,
    clientIp: '127.0.0.1',
    call: 'setWorkStatus',
    projectCode: 'pa',
    params: JSON.stringify({ username: agent, workStatus: 1 }),
  };
  const forged = { kind: 'api', id: 'f1', from: 'instance-b', to: 'instance-a', body };
  send({ ...forged, sig: '00'.repeat(32) });
  send(forged);
  await until('A counted both', () => a.metric('cluster.api.forged') === 2);
  t.equal(a.metric('cluster.api.served'), served, 'neither was served');
  t.same(offered(a), [], 'nothing ran');
});

t.test('given a strict account, B forwards the account whose HMAC it checked, and A runs it', async (t) => {
  const { a, b, agent } = await cluster(t, A);
  await b.ta.app.ctx.repos.accounts.update(ACCOUNT, { signMode: 'strict' }, b.ta.clock.now());
  const body = JSON.stringify({ username: agent, workStatus: 1 });
  const target = `${P}/setWorkStatus/v1`;
  const timestamp = String(b.ta.clock.now());
  const nonce = 'nonce-000000000001';
  const sign = strictSignOf(SECRET, {
    account: ACCOUNT,
    timestamp,
    nonce,
    method: 'POST',
    target,
    body: Buffer.from(body),
  });
  const r = await b.ta.app.http.inject({
    method: 'POST',
    url: target,
    headers: { account: ACCOUNT, timestamp, nonce, sign, 'content-type': 'application/json' },
    payload: body,
  });
  t.equal(r.statusCode, 200, r.body);
  t.same(offered(a), [agent], 'A offers calls to the agent');
});
