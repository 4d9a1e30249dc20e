import t from 'tap';
import { supervisorScene } from './supervisor-scene.js';

type Notice = { msgType: string; data: string };
const isSuccess = (m: Notice) => m.msgType === 'success';
const isError = (m: Notice) => m.msgType === 'error';

t.test(
  'a manager holds a conference with the team; everyone is in conference (7) until it ends',
  async (t) => {
    const s = await supervisorScene('sc1', 3);
    t.teardown(s.h.close);
    const [a1, a2, a3] = s.agents as [string, string, string];
    const agents = s.h.app.ctx.services.agents;
    agents.setWork(a3, 0); // busy (置忙) but online: still called into the team's conference
    s.h.fs.register(a2, { mode: 'reject' });
    const boss = await s.login(s.manager);
    boss.send('/app/conference', { projectCode: s.code, listenerExt: s.manager });
    t.match(await boss.next<Notice>(s.notify(s.manager), isSuccess), { data: /会议已开始/ });
    t.match(await boss.next<Notice>(s.notify(s.manager), (m) => m.msgType === 'warning'), {
      data: new RegExp(`${a2} 未加入会议`),
    });
    await s.h.fs.waitFor(() => [s.manager, a1, a3].every((u) => agents.get(u)?.state.sessionStatus === 7));
    const room = s.h.fs.channels().filter((c) => c.conference === `cc-${s.code}`);
    t.same(
      room.map((c) => c.destinationNumber).sort(),
      [a1, a3, s.manager].sort(),
      'the room holds the three',
    );
    t.match(
      agents.get(a2)?.state,
      { sessionStatus: 0, reserved: false, callId: null },
      'the rejecting agent is free',
    );
    t.notOk(
      agents.offerable(s.code).some((a) => a.username === a1),
      'no customer is offered to an agent in conference',
    );

    boss.send('/app/conference', { projectCode: s.code, listenerExt: s.manager });
    t.match(await boss.next<Notice>(s.notify(s.manager), isError), { data: /already running/ });

    boss.send('/app/stopConference', { projectCode: s.code, listenerExt: s.manager });
    t.match(
      await boss.next<Notice>(s.notify(s.manager), (m) => isSuccess(m) && /会议已结束/.test(m.data)),
      {},
    );
    await s.h.fs.waitFor(() => !s.h.fs.channels().some((c) => c.conference));
    for (const u of [s.manager, a1, a3])
      t.match(agents.get(u)?.state, { sessionStatus: 0, reserved: false, callId: null }, `${u} back to idle`);
    t.equal(agents.get(a3)?.state.workStatus, 0, 'and to its previous work status');
    t.ok(
      agents.offerable(s.code).some((a) => a.username === a1),
      'the available agent can take customers again',
    );
  },
);

t.test('conferenceByUsername starts a conference with one agent, then invites another', async (t) => {
  const s = await supervisorScene('sc2', 2);
  t.teardown(s.h.close);
  const [a1, a2] = s.agents as [string, string];
  const agents = s.h.app.ctx.services.agents;
  const boss = await s.login(s.manager);
  boss.send('/app/conferenceByUsername', { username: a2, projectCode: s.code, listenerExt: s.manager });
  await boss.next<Notice>(s.notify(s.manager), isSuccess);
  await s.h.fs.waitFor(() => agents.get(a2)?.state.sessionStatus === 7);
  t.equal(agents.get(a1)?.state.sessionStatus, 0, 'only the named agent was called');
  boss.send('/app/conferenceByUsername', { username: a1, projectCode: s.code, listenerExt: s.manager });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isSuccess(m) && m.data.includes(a1)), {
    data: /邀请/,
  });
  await s.h.fs.waitFor(() => agents.get(a1)?.state.sessionStatus === 7);
  boss.send('/app/conferenceByUsername', { username: a1, projectCode: s.code, listenerExt: s.manager });
  t.match(await boss.next<Notice>(s.notify(s.manager), isError), { data: /already in a conference/ });

  // The manager hangs up: the conference ends for everyone.
  const mine = s.h.fs.channels().find((c) => c.conference && c.destinationNumber === s.manager)!;
  s.h.fs.remoteHangup(mine.uuid);
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => m.msgType === 'info'), { data: /会议已结束/ });
  await s.h.fs.waitFor(() => !s.h.fs.channels().some((c) => c.conference));
  await s.h.fs.waitFor(() => [a1, a2, s.manager].every((u) => agents.get(u)?.state.sessionStatus === 0));
  t.pass('every member is back to idle');
});

t.test(
  'conference refusals: agents may not, nobody to call, no conference to stop, phone offline',
  async (t) => {
    const s = await supervisorScene('sc3', 1);
    t.teardown(s.h.close);
    const [a1] = s.agents as [string];
    const agent = await s.login(a1);
    agent.send('/app/conference', { projectCode: s.code, listenerExt: a1 });
    t.match(await agent.next<Notice>(s.notify(a1), isError), { data: /for project managers/ });
    agent.send('/app/stopConference', { projectCode: s.code });
    t.match(await agent.next<Notice>(s.notify(a1), (m) => isError(m) && /结束会议/.test(m.data)), {
      data: /for project managers/,
    });

    const boss = await s.login(s.manager);
    boss.send('/app/stopConference', { projectCode: s.code, listenerExt: s.manager });
    t.match(await boss.next<Notice>(s.notify(s.manager), isError), { data: /no conference/ });

    s.h.fs.unregister(a1);
    await s.h.fs.waitFor(() => s.h.app.ctx.services.agents.get(a1)?.state.regStatus === 0);
    boss.send('/app/conference', { projectCode: s.code, listenerExt: s.manager });
    t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /no agent/.test(m.data)), {
      data: new RegExp(`no agent of project ${s.code} can join`),
    });
    boss.send('/app/conferenceByUsername', { username: a1, projectCode: s.code, listenerExt: s.manager });
    t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /offline/.test(m.data)), {});

    s.h.fs.register(a1);
    s.h.fs.register(s.manager, { mode: 'no-answer' });
    await s.h.fs.waitFor(() => s.h.app.ctx.services.agents.get(a1)?.state.regStatus === 1);
    s.h.app.ctx.services.agents.setWork(a1, 1);
    boss.send('/app/conference', { projectCode: s.code, listenerExt: s.manager });
    t.match(
      await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /did not answer/.test(m.data), 8000),
      {},
    );
    t.notOk(
      s.h.fs.channels().some((c) => c.conference),
      'no agent was called into an empty room',
    );
    t.match(s.h.app.ctx.services.agents.get(a1)?.state, { sessionStatus: 0, reserved: false });
  },
);

t.test('a manager calls an agent and hangs up (pmCallAgent, pmByeAgent)', async (t) => {
  const s = await supervisorScene('sp1', 2);
  t.teardown(s.h.close);
  const [a1, a2] = s.agents as [string, string];
  const agents = s.h.app.ctx.services.agents;
  const boss = await s.login(s.manager);
  const agent = await s.login(a1, [`/topic/call/${a1}`, `/topic/bye/${a1}`]);
  boss.send('/app/pmCallAgent', { username: s.manager, telNo: a1 });
  const ok = await boss.next<Notice>(s.notify(s.manager), isSuccess);
  const callId = /callId (\S+)/.exec(ok.data)![1]!;
  t.match(await agent.next(`/topic/call/${a1}`), { callId, telNo: s.manager });
  await s.h.fs.waitFor(() => agents.get(a1)?.state.sessionStatus === 10);
  t.notOk(
    agents.offerable(s.code).some((a) => a.username === a1),
    'no customer is offered meanwhile',
  );

  boss.send('/app/pmCallAgent', { username: a1 });
  t.match(await boss.next<Notice>(s.notify(s.manager), isError), { data: /on a call/ });

  boss.send('/app/pmByeAgent', { callId: 'nope', username: s.manager });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isError(m) && /nope/.test(m.data)), {
    data: /no such call/,
  });
  const a1Client = agent;
  a1Client.send('/app/pmByeAgent', { callId, username: a1 });
  t.match(await a1Client.next<Notice>(s.notify(a1), isError), { data: /for project managers/ });

  boss.send('/app/pmByeAgent', { callId, username: s.manager });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => isSuccess(m) && /已挂断/.test(m.data)), {});
  t.match(await agent.next(`/topic/bye/${a1}`), { callId });
  await s.h.fs.waitFor(() => s.h.fs.channels().length === 0);
  t.match(agents.get(a1)?.state, { sessionStatus: 0, reserved: false, callId: null });

  s.h.fs.register(a2, { mode: 'no-answer' });
  boss.send('/app/pmCallAgent', { telNo: a2 });
  t.match(await boss.next<Notice>(s.notify(s.manager), (m) => m.msgType === 'warning', 8000), {
    data: new RegExp(`${a2} 未接听`),
  });
  await s.h.fs.waitFor(() => s.h.fs.channels().length === 0);
  t.match(agents.get(a2)?.state, { sessionStatus: 0, reserved: false, callId: null }, 'nothing is left held');
});
