import t from 'tap';
import { supervisorScene } from './supervisor-scene.js';

type Notice = { msgType: string; data: string };
const isSuccess = (m: Notice) => m.msgType === 'success';
const isError = (m: Notice) => m.msgType === 'error';

t.test(
  'a manager listens to an agent call, whispers to the agent, barges in by DTMF, and stops',
  async (t) => {
    const s = await supervisorScene('se1', 2);
    t.teardown(s.h.close);
    const boss = await s.login(s.manager);
    const callId = await s.customerCall('13700000001');
    const agent = s.h.app.runner.live.get(callId)!.agent!;
    const customerLeg = s.h.app.runner.live.get(callId)!.uuid;
    const agentLeg = s.h.fs.channels().find((c) => c.uuid === customerLeg)!.bridgedTo!;

    boss.send('/app/eavesdrop', {
      username: agent,
      listenerExt: s.manager,
      projectCode: s.code,
      mode: 'whisper',
    });
    t.match(await boss.next<Notice>(s.notify(s.manager), isSuccess), {
      data: new RegExp(`${agent}.*whisper`),
    });
    const spy = s.h.fs.channels().find((c) => c.eavesdrop)!;
    t.equal(spy.destinationNumber, s.manager, "the manager's phone was called");
    t.same(
      spy.eavesdrop,
      { target: agentLeg, speaksTo: 'target' },
      'it listens to the agent leg; only the agent hears',
    );

    s.h.fs.sendDtmf(spy.uuid, '3');
    await s.h.fs.waitFor(
      () => s.h.fs.channels().find((c) => c.uuid === spy.uuid)?.eavesdrop?.speaksTo === 'both',
    );
    s.h.fs.sendDtmf(spy.uuid, '0');
    await s.h.fs.waitFor(
      () => s.h.fs.channels().find((c) => c.uuid === spy.uuid)?.eavesdrop?.speaksTo === 'nobody',
    );
    t.pass('DTMF 3 makes it three-way, 0 back to listening');

    boss.send('/app/stopEavesdrop', { username: agent, listenerExt: s.manager, projectCode: s.code });
    t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isSuccess(m) && /已结束/.test(m.data)), {});
    await s.h.fs.waitFor(() => !s.h.fs.channels().some((c) => c.uuid === spy.uuid));
    t.equal(
      s.h.fs.channels().find((c) => c.uuid === customerLeg)?.bridgedTo,
      agentLeg,
      'the customer and the agent are still talking',
    );
    t.equal(s.h.app.ctx.services.agents.get(agent)?.state.sessionStatus, 10);
  },
);

t.test('barge as a parameter: the manager is heard by both; the listening ends with the call', async (t) => {
  const s = await supervisorScene('se2', 1);
  t.teardown(s.h.close);
  const boss = await s.login(s.manager);
  const callId = await s.customerCall('13700000002');
  const agent = s.h.app.runner.live.get(callId)!.agent!;
  boss.send('/app/eavesdrop', {
    username: agent,
    listenerExt: s.manager,
    projectCode: s.code,
    mode: 'barge',
  });
  await boss.next<Notice>(s.notify(s.manager), isSuccess);
  const spy = s.h.fs.channels().find((c) => c.eavesdrop)!;
  t.equal(spy.eavesdrop?.speaksTo, 'both');
  t.equal(spy.variables.eavesdrop_enable_dtmf, 'true', 'the manager can switch modes by DTMF');
  s.h.fs.remoteHangup(s.h.app.runner.live.get(callId)!.uuid);
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => m.msgType === 'info'), { data: /已结束/ });
  await s.h.fs.waitFor(() => !s.h.fs.channels().some((c) => c.uuid === spy.uuid));
  t.pass('the eavesdrop leg hung up when the call ended');
});

t.test('eavesdrop refusals are explained and leave nothing behind', async (t) => {
  const s = await supervisorScene('se3', 2);
  t.teardown(s.h.close);
  const boss = await s.login(s.manager);
  const [a1, a2] = s.agents as [string, string];
  const agentClient = await s.login(a2);
  const callId = await s.customerCall('13700000003');
  const onCall = s.h.app.runner.live.get(callId)!.agent!;
  const idle = onCall === a1 ? a2 : a1;
  const say = (body: object) =>
    boss.send('/app/eavesdrop', { projectCode: s.code, listenerExt: s.manager, ...body });

  agentClient.send('/app/eavesdrop', { username: a2, listenerExt: a2, projectCode: s.code });
  t.match(await agentClient.next<Notice>(s.notify(a2), isError), { data: /for project managers/ });

  say({ username: idle });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && m.data.includes(idle)), {
    data: /not on a call/,
  });
  // (A username outside the project is refused by the broker itself: ERROR frame, see stomp/access.ts.)
  say({ username: s.manager });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /not an agent/.test(m.data)), {
    data: new RegExp(`${s.manager} is not an agent of project`),
  });
  say({ username: onCall, mode: 'shout' });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && m.data.includes('shout')), {
    data: /listen, whisper or barge/,
  });
  boss.send('/app/stopEavesdrop', { username: onCall, listenerExt: s.manager, projectCode: s.code });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /结束监听/.test(m.data)), {
    data: /is not listening/,
  });

  s.h.fs.unregister(s.manager);
  await s.h.fs.waitFor(() => s.h.app.ctx.services.agents.get(s.manager)?.state.regStatus === 0);
  say({ username: onCall });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /offline/.test(m.data)), {});

  s.h.fs.register(s.manager, { mode: 'reject' });
  await s.h.fs.waitFor(() => s.h.app.ctx.services.agents.get(s.manager)?.state.regStatus === 1);
  say({ username: onCall });
  t.match(
    await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /did not answer/.test(m.data)),
    {},
  );
  t.notOk(
    s.h.fs.channels().some((c) => c.eavesdrop || c.destinationNumber === s.manager),
    'no eavesdrop leg is left',
  );
  t.equal(s.h.app.ctx.services.agents.get(onCall)?.state.sessionStatus, 10, 'the call goes on');
});
