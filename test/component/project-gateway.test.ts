// Issue 17.11: a project has a default outbound gateway (createProject's `defaultGwCode`, setDefaultGateway), so
// its agents can call customers back when no task is open; without one, the gateways of its tasks (ended ones
// too) carry the call. The endpoint is signed like the others: no console credential opens it.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { callLogs, tasks } from '../../src/db/schema.js';
import { form, FORM } from '../support/app.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';
import { agentSession, agentState, gatewayFor } from './flows-support.js';

const P = '/callcenter/callProject/api';
const post = (h: CallHarness, path: string, fields: Record<string, string | number>, headers = h.signed()) =>
  h.app.http.inject({
    method: 'POST',
    url: `${P}/${path}/v1`,
    headers: { ...headers, ...FORM },
    payload: form(fields),
  });

async function callBack(h: CallHarness, agent: string, phone: string) {
  h.fs.setPeer(`0${phone}`, { kind: 'answer', answerAfterMs: 100, hangupAfterMs: 500 });
  h.fs.setPeer(phone, { kind: 'answer', answerAfterMs: 100, hangupAfterMs: 500 });
  h.fs.dialFromExtension(agent, phone);
  const log = await h.fs.waitFor(
    () =>
      h.store.db
        .select()
        .from(callLogs)
        .all()
        .find((l) => l.destinationNumber === phone && l.result !== null),
    8000,
  );
  await h.fs.waitFor(() => agentState(h, agent)?.callId === null);
  return log;
}

t.test('with no task open, an agent calls a customer back through the default gateway', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('pg', 1);
  const gw = await insertGateway(h.app.ctx.repos.gateways, { gwCode: 'gwDefault' }, Date.now());
  const stomp = await agentSession(h, 'pg', a1!);
  t.teardown(() => stomp.close());

  let r = await post(h, 'setDefaultGateway', { projectCode: 'pg', defaultGwCode: 'gwDefault' });
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { data: { projectCode: 'pg', defaultGwCode: 'gwDefault' }, reqResult: { code: 1 } });
  const log = await callBack(h, a1!, '13900005555');
  t.match(log, { gatewayId: gw.id, callerIdNumber: a1 });
  t.ok(
    h.fs.commands.some((c) =>
      JSON.stringify(c.headers ?? {}).includes('sofia/gateway/gwDefault/13900005555'),
    ),
    'out through the default gateway',
  );

  r = await post(h, 'setDefaultGateway', { projectCode: 'pg' });
  t.match(r.json(), { data: { defaultGwCode: null } }, 'without defaultGwCode it is cleared');
  t.equal((await h.app.ctx.repos.projects.activeByCode('pg'))?.defaultGatewayId, null);
});

t.test('without a default, the gateways of its tasks carry the call, ended tasks too', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('pe', 1);
  const taskId = await h.task({ code: 'te', projectCode: 'pe', scheduleType: 1 });
  const gw = await gatewayFor(h, taskId, 'gwEnded');
  h.store.db.update(tasks).set({ status: 4 }).where(eq(tasks.id, taskId)).run();
  const stomp = await agentSession(h, 'pe', a1!);
  t.teardown(() => stomp.close());
  t.match(await callBack(h, a1!, '13900006666'), { gatewayId: gw.id });
});

t.test('createProject takes defaultGwCode; bad codes are refused naming the field', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const gw = await insertGateway(h.app.ctx.repos.gateways, { gwCode: 'gwC' }, Date.now());
  await insertGateway(h.app.ctx.repos.gateways, { gwCode: 'gwOff', status: 0 }, Date.now());
  let r = await post(h, 'createProject', { projectCode: 'pc', seats: 1, defaultGwCode: 'gwC' });
  t.equal(r.statusCode, 200, r.body);
  t.equal((await h.app.ctx.repos.projects.activeByCode('pc'))?.defaultGatewayId, gw.id);
  for (const [path, fields, status, msg] of [
    [
      'createProject',
      { projectCode: 'pn', seats: 1, defaultGwCode: 'nope' },
      400,
      /defaultGwCode nope is not a gateway/,
    ],
    [
      'createProject',
      { projectCode: 'pn', seats: 1, defaultGwCode: 'gwOff' },
      400,
      /defaultGwCode gwOff is disabled/,
    ],
    [
      'setDefaultGateway',
      { projectCode: 'pc', defaultGwCode: 'nope' },
      400,
      /defaultGwCode nope is not a gateway/,
    ],
    ['setDefaultGateway', { projectCode: 'zz', defaultGwCode: 'gwC' }, 404, /zz/],
    ['setDefaultGateway', { defaultGwCode: 'gwC' }, 400, /projectCode/],
  ] as const) {
    r = await post(h, path, fields);
    t.equal(r.statusCode, status, `${path} ${JSON.stringify(fields)}`);
    t.match(r.json().reqResult.msg, msg);
  }
  t.notOk(await h.app.ctx.repos.projects.activeByCode('pn'), 'no project made by a refused request');
  t.equal(
    (await h.app.ctx.repos.projects.activeByCode('pc'))?.defaultGatewayId,
    gw.id,
    'unchanged by refusals',
  );
});

t.test(
  "setDefaultGateway opens to a signed request only: an agent's or a manager's credentials are refused",
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    await h.project('pa', 1, { register: false });
    await h.project('pb', 1, { register: false });
    await insertGateway(h.app.ctx.repos.gateways, { gwCode: 'gwA' }, Date.now());
    const project = (await h.app.ctx.repos.projects.activeByCode('pa'))!;
    const other = (await h.app.ctx.repos.projects.activeByCode('pb'))!;
    const exts = [
      ...(await h.app.ctx.repos.extensions.ofProject(project.id)),
      ...(await h.app.ctx.repos.extensions.ofProject(other.id)),
    ];
    const basic = (u: string, p: string) => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
    });
    const attempts: [string, Record<string, string>][] = [
      ['no credentials', {}],
      ...exts.map((e): [string, Record<string, string>] => [
        `extension ${e.username} (type ${e.type})`,
        basic(e.username, e.password),
      ]),
      ['the project certificate', { certificate: project.certificate }],
      ["another project's manager certificate", { certificate: other.managerCertificate ?? '' }],
      ['a wrong secret', { ...h.signed(), sign: '0'.repeat(32) }],
    ];
    for (const [who, headers] of attempts) {
      const r = await post(h, 'setDefaultGateway', { projectCode: 'pa', defaultGwCode: 'gwA' }, headers);
      t.equal(r.statusCode, 401, who);
    }
    t.equal((await h.app.ctx.repos.projects.activeByCode('pa'))?.defaultGatewayId, null, 'nothing changed');
  },
);
