import t from 'tap';
import { FsHttpPath } from '../../src/core/freeswitch.js';
import { startEmulator } from '../freeswitch-emulator/index.js';
import { FORM, form, fsAuth, startTestApp } from '../support/app.js';
import { connectStomp } from '../support/stomp-client.js';

const P = '/callcenter/callProject/api';

t.test('projects, extensions and agents', async (t) => {
  const fs = await startEmulator({ timeScale: 0.01 });
  t.teardown(() => fs.close());
  const ta = await startTestApp({
    seedNode: {
      ...(await import('../../src/config.js')).testConfig().seedNode,
      eslPort: fs.port,
      wssUrl: 'wss://fs.example.com:7443',
      nativeAddress: 'fs.example.com:5060',
      sipDomain: 'fs.example.com',
    },
  });
  t.teardown(ta.close);
  await ta.app.start();
  const base = await ta.app.http.listen({ host: '127.0.0.1', port: 0 });
  await fs.waitFor(() => ta.app.nodes.isConnected(1));

  const post = (path: string, fields: Record<string, string | number | undefined>) =>
    ta.app.http.inject({
      method: 'POST',
      url: `${P}/${path}/v1`,
      headers: { ...ta.signed(), ...FORM },
      payload: form(fields),
    });
  const get = (path: string, query: Record<string, string | number>) =>
    ta.app.http.inject({
      method: 'GET',
      url: `${P}/${path}/v1`,
      headers: ta.signed(),
      query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
    });

  let certificate = '';
  await t.test(
    'creating a project places it on a node and returns the certificate and servers',
    async (t) => {
      const res = await post('createProject', { projectCode: 'p1', seats: 3 });
      t.equal(res.statusCode, 200, res.body);
      const data = res.json().data;
      t.match(data, {
        certificate: /^[0-9A-F]{32}$/,
        servers: 'wss://fs.example.com:7443',
        nativeServers: 'fs.example.com:5060',
      });
      certificate = data.certificate;
      const again = await post('createProject', { projectCode: 'p1', seats: 3 });
      t.equal(again.statusCode, 409);
      t.match(again.json().reqResult.msg, 'projectCode p1 is already active');
      const bad = await post('createProject', { projectCode: 'p 1', seats: 0 });
      t.equal(bad.statusCode, 400);
      t.match(bad.json().reqResult.msg, /projectCode is not in the expected format|seats must be at least 1/);
      const tooBig = await post('createProject', { projectCode: 'huge', seats: 1999 });
      t.equal(tooBig.statusCode, 503);
      t.match(tooBig.json().reqResult.msg, 'no FreeSWITCH node has room for 1999 seats');
    },
  );

  await t.test('agents claim extensions by certificate; each claim hands out a different one', async (t) => {
    const a = (await get('getByCertificate', { certificate, type: 2 })).json();
    t.match(a.data, {
      username: '1000',
      password: /^[\w-]{12}$/,
      uri: 'sip:1000@fs.example.com',
      servers: 'wss://fs.example.com:7443',
    });
    const b = (await get('getByCertificate', { certificate, type: 2 })).json();
    t.equal(b.data.username, '1001');
    const again = (await get('getByCertificate', { certificate, type: 2, username: '1000' })).json();
    t.equal(again.data.password, a.data.password, 'asking for its own extension returns it again');
    const manager = (await get('getByCertificate', { certificate, type: 3 })).json();
    t.equal(manager.data.username, '1003', 'managers get the manager extensions');
    const wrong = await get('getByCertificate', { certificate, type: 2, username: '1003' });
    t.equal(wrong.statusCode, 404);
    const unknown = await get('getByCertificate', { certificate: 'NOPE', type: 2 });
    t.equal(unknown.statusCode, 404);
    t.match(unknown.json().reqResult.msg, 'certificate is unknown');
  });

  await t.test('FreeSWITCH gets the extension from the directory with its project and role', async (t) => {
    const res = await ta.app.http.inject({
      method: 'POST',
      url: FsHttpPath.xmlCurlDirectory,
      headers: { ...FORM, ...fsAuth() },
      payload: form({ section: 'directory', user: '1000', domain: 'fs.example.com', action: 'sip_auth' }),
    });
    t.match(res.body, /<user id="1000">/);
    t.match(res.body, /name="cc_project" value="p1"/);
    t.match(res.body, /name="cc_role" value="agent"/);
    t.match(res.body, /name="user_context" value="default"/);
    const stranger = await ta.app.http.inject({
      method: 'POST',
      url: FsHttpPath.xmlCurlDirectory,
      headers: { ...FORM, ...fsAuth() },
      payload: form({ section: 'directory', user: '5555' }),
    });
    t.match(stranger.body, /not found/);
  });

  await t.test('an agent registers, logs into STOMP, goes idle and sees its own status', async (t) => {
    const password = (await get('getByCertificate', { certificate, type: 2, username: '1000' })).json().data
      .password;
    const agent = await connectStomp(base, '1000', password);
    t.teardown(() => agent.close());
    t.same(agent.errors, []);
    agent.subscribe('/topic/status/1000');
    agent.subscribe('/topic/register/1000');
    agent.subscribe('/topic/notify/p1/1000');
    await new Promise((r) => setTimeout(r, 50));
    fs.register('1000');
    const reg = await agent.next<{ status: number }>('/topic/register/1000', (m) => m.status === 1);
    t.match(reg, { status: 1, workStatus: 0, sessionSatus: 0 });
    agent.send('/app/idle', { username: '1000', workType: '10', projectCode: 'p1' });
    t.match(await agent.next('/topic/status/1000', (m: { workStatus: number }) => m.workStatus === 1), {
      workStatus: 1,
      sessionSatus: 0,
      sessionStatus: 0,
    });
    t.match(await agent.next('/topic/notify/p1/1000'), {
      msgType: 'success',
      data: '置闲成功',
      type: 'message',
    });
    const list = (await get('getExtentionByProject', { projectCode: 'p1' })).json().data;
    t.match(
      list.find((e: { username: string }) => e.username === '1000'),
      { status: 1, workStatus: 1, sessionStatus: 0, destinationNumber: null },
    );
    t.equal(list.length, 4);

    agent.send('/app/busy', { username: '1001', workType: '10', projectCode: 'p1' });
    agent.subscribe('/topic/status/1001');
    await t.rejects(
      agent.next('/topic/status/1001', undefined, 300),
      'it cannot subscribe to or act for another agent',
    );
    const error = agent.errors[0];
    t.match(`${error?.headers.message} ${error?.body}`, /refused|may not/);
  });

  await t.test('a wrong STOMP passcode is refused', async (t) => {
    const c = await connectStomp(base, '1001', 'wrong');
    t.teardown(() => c.close());
    t.match(`${c.errors[0]?.headers.message} ${c.errors[0]?.body}`, /login or passcode is wrong/);
  });

  await t.test(
    'setWorkStatus and setWorkStatusByProjectCode change availability; unknown names are 404',
    async (t) => {
      t.match((await post('setWorkStatus', { username: '1001', workStatus: 1 })).json().data, {
        username: '1001',
        workStatus: 1,
        sessionStatus: 0,
      });
      t.match(
        (await post('setWorkStatus', { username: '1001' })).json().data,
        { workStatus: 0 },
        'without workStatus it toggles',
      );
      t.equal((await post('setWorkStatus', { username: '9999', workStatus: 1 })).statusCode, 404);
      t.match(
        (await post('setWorkStatus', { username: '1001', workStatus: 5 })).json().reqResult.msg,
        'workStatus must be 0 or 1',
      );
      t.equal(
        (await post('setWorkStatusByProjectCode', { projectCode: 'p1', workStatus: 1 })).statusCode,
        200,
      );
      const agents = ta.app.ctx.services.agents.ofProject('p1').filter((a) => a.type === 2);
      t.same(
        agents.map((a) => a.state.workStatus),
        [1, 1, 1],
      );
    },
  );

  await t.test('sendToUser notifies one agent or the whole project', async (t) => {
    const password = (await get('getByCertificate', { certificate, type: 2, username: '1000' })).json().data
      .password;
    const agent = await connectStomp(base, '1000', password);
    t.teardown(() => agent.close());
    agent.subscribe('/topic/notify/p1/1000');
    await new Promise((r) => setTimeout(r, 50));
    t.equal(
      (await post('sendToUser', { projectCode: 'p1', username: '1000', content: '请注意：多行\n消息' }))
        .statusCode,
      200,
    );
    t.match(await agent.next('/topic/notify/p1/1000'), { data: '请注意：多行\n消息', type: 'message' });
    t.equal((await post('sendToUser', { projectCode: 'p1', content: 'all' })).statusCode, 200);
    t.match(await agent.next('/topic/notify/p1/1000', (m: { data: string }) => m.data === 'all'), {
      data: 'all',
    });
    t.equal((await post('sendToUser', { projectCode: 'nope', content: 'x' })).statusCode, 404);
  });

  await t.test(
    'disabling an extension flushes its registration and refuses SIP auth and STOMP',
    async (t) => {
      fs.register('1002');
      await fs.waitFor(() => ta.app.ctx.services.agents.get('1002')?.state.regStatus === 1);
      const res = await post('setExtensionStatus', { username: '1002', workStatus: -1 });
      t.same(res.json().data, { username: '1002', workStatus: -1 });
      await fs.waitFor(() => ta.app.ctx.services.agents.get('1002')?.state.regStatus === 0);
      t.ok(fs.commands.some((c) => /flush_inbound_reg 1002@fs.example.com/.test(c.line)));
      const dir = await ta.app.http.inject({
        method: 'POST',
        url: FsHttpPath.xmlCurlDirectory,
        headers: { ...FORM, ...fsAuth() },
        payload: form({ section: 'directory', user: '1002' }),
      });
      t.match(dir.body, /not found/);
      t.equal((await post('setWorkStatus', { username: '1002', workStatus: 1 })).statusCode, 409);
      t.same((await post('setExtensionStatus', { username: '1002', workStatus: 0 })).json().data, {
        username: '1002',
        workStatus: 0,
      });
    },
  );

  await t.test('distributionSeat moves an extension into another project', async (t) => {
    t.equal((await post('createProject', { projectCode: 'p2', seats: 1 })).statusCode, 200);
    t.equal((await post('distributionSeat', { projectCode: 'p2', username: '1001' })).statusCode, 200);
    t.equal(ta.app.ctx.services.agents.get('1001')?.projectCode, 'p2');
    t.equal((await get('getExtentionByProject', { projectCode: 'p2' })).json().data.length, 3);
    t.equal((await post('distributionSeat', { projectCode: 'p2', username: '4242' })).statusCode, 404);
  });

  await t.test(
    'finishProject frees everything: registrations flushed, extensions reusable, certificate dead',
    async (t) => {
      const res = await post('finishProject', { projectCode: 'p1' });
      t.equal(res.statusCode, 200, res.body);
      await fs.waitFor(() => !fs.commands.every((c) => !/flush_inbound_reg 1000@/.test(c.line)));
      t.equal(ta.app.ctx.services.agents.get('1000'), undefined);
      t.equal((await get('getByCertificate', { certificate, type: 2 })).statusCode, 403);
      t.equal((await post('finishProject', { projectCode: 'p1' })).statusCode, 404);
      const again = await post('createProject', { projectCode: 'p1', seats: 2 });
      t.equal(again.statusCode, 200, 'a finished code can be created again');
      const ext = (
        await get('getByCertificate', { certificate: again.json().data.certificate, type: 2 })
      ).json().data;
      t.equal(ext.username, '1000', 'freed extensions are reused');
      const dir = await ta.app.http.inject({
        method: 'POST',
        url: FsHttpPath.xmlCurlDirectory,
        headers: { ...FORM, ...fsAuth() },
        payload: form({ section: 'directory', user: '1000' }),
      });
      t.match(dir.body, new RegExp(`name="password" value="${ext.password}"`), 'with a new password');
    },
  );
});
