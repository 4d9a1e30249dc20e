import t from 'tap';
import { startCallHarness } from '../support/calls.js';
import {
  addNumber,
  agentSession,
  agentState,
  allLogs,
  gatewayFor,
  logOf,
  logsOfTask,
  numberRow,
  setTask,
  type Notice,
  waitFor,
} from './flows-support.js';

const free = { sessionStatus: 0, reserved: false, callId: null };

t.test(
  '/app/call: the agent’s phone rings first, then the customer through the project’s gateway',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1] = await h.project('pc', 1);
    const taskId = await h.task({ code: 'tc', projectCode: 'pc', scheduleType: 1 });
    const gw = await gatewayFor(h, taskId, 'gwC', { originationCallId: '02188880000' });
    h.fs.setPeer('013900001111', { kind: 'answer', answerAfterMs: 500, hangupAfterMs: 4000 });
    const stomp = await agentSession(h, 'pc', a1);
    t.teardown(() => stomp.close());
    stomp.send('/app/call', { username: a1, telNo: '13900001111', projectCode: 'pc' });
    t.match(await stomp.next<Notice>(`/topic/notify/pc/${a1}`), { msgType: 'success' });
    const invite = await stomp.next<{ callId: string }>(`/topic/invite/${a1}`);
    t.match(invite, { telNo: '13900001111' }, 'the agent is told which number it is calling');
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 10);
    t.equal(agentState(h, a1)?.destinationNumber, '13900001111', 'talking with the customer');
    const log = await waitFor(() => logOf(h, invite.callId), 8000);
    t.match(log, {
      result: 10,
      resultDetail: 55,
      callerIdNumber: a1,
      destinationNumber: '13900001111',
      gatewayId: gw.id,
      priceRule: '6|10.0',
    });
    t.ok(
      (log?.answerTimestamp ?? 0) >= (log?.startTimestamp ?? Infinity),
      'answered when the customer answered',
    );
    const originate = h.fs.commands.find((c) => c.line.includes('originate'))?.line ?? '';
    t.match(originate, new RegExp(`cc_flow=agent-first.*\\}user/${a1}@127\\.0\\.0\\.1 '&socket`));
    const bridge = h.fs.commands.find((c) =>
      c.headers.some(([k, v]) => k === 'execute-app-name' && v === 'bridge'),
    );
    const arg = bridge?.headers.find(([k]) => k === 'execute-app-arg')?.[1] ?? '';
    t.match(arg, /origination_caller_id_number=02188880000.*\}sofia\/gateway\/gwC\/013900001111$/);
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 0);
    t.match(agentState(h, a1), free, 'the agent is free once the customer leaves');
    t.equal(h.app.ctx.gatewayUsage.inUse(gw.id), 0, 'the line is released');
  },
);

t.test('agent first: a busy customer is logged as busy (20) and the agent is free again', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('pb', 1);
  const taskId = await h.task({ code: 'tb', projectCode: 'pb', scheduleType: 1 });
  await gatewayFor(h, taskId, 'gwB');
  h.fs.setPeer('013900002222', { kind: 'busy' });
  const stomp = await agentSession(h, 'pb', a1);
  t.teardown(() => stomp.close());
  stomp.send('/app/call', { telNo: '13900002222', projectCode: 'pb' });
  const { callId } = await stomp.next<{ callId: string }>(`/topic/invite/${a1}`);
  const log = await waitFor(() => logOf(h, callId), 8000);
  t.match(log, { result: 20, resultDetail: 20, hangupCause: 'USER_BUSY', billsec: 0 });
  t.match(await stomp.next(`/topic/bye/${a1}`), { callId });
  await h.fs.waitFor(() => agentState(h, a1)?.callId === null);
  t.match(agentState(h, a1), free);
});

t.test('/app/call refusals answer on the notify topic with the reason', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('pr', 1);
  const stomp = await agentSession(h, 'pr', a1);
  t.teardown(() => stomp.close());
  const notify = `/topic/notify/pr/${a1}`;
  const refused = async (body: object, reason: RegExp) => {
    const before = stomp.messages.get(notify)?.length ?? 0;
    stomp.send('/app/call', body);
    const n = await stomp.next<Notice>(
      notify,
      (m) => (stomp.messages.get(notify) ?? []).indexOf(m) >= before,
    );
    t.match(n, { msgType: 'error', data: reason });
  };
  await refused({ telNo: '13900003333', projectCode: 'pr' }, /no gateway/);
  await refused({ telNo: '139 0000', projectCode: 'pr' }, /not a phone number/);
  await refused({ telNo: '13900003333', projectCode: 'other' }, /not in project other/);
  h.fs.unregister(a1);
  await h.fs.waitFor(() => agentState(h, a1)?.regStatus === 0);
  await refused({ telNo: '13900003333', projectCode: 'pr' }, /not registered/);
  t.equal(h.fs.commands.filter((c) => c.line.includes('originate')).length, 0, 'nothing was dialled');
});

t.test('an agent who does not answer is told so and is not left reserved', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('pn', 1);
  h.fs.register(a1, { mode: 'reject' });
  const taskId = await h.task({ code: 'tn', projectCode: 'pn', scheduleType: 1 });
  const gw = await gatewayFor(h, taskId, 'gwN');
  const stomp = await agentSession(h, 'pn', a1);
  t.teardown(() => stomp.close());
  stomp.send('/app/call', { telNo: '13900004444', projectCode: 'pn' });
  t.match(await stomp.next<Notice>(`/topic/notify/pn/${a1}`, (m) => m.msgType === 'error'), {
    data: /did not take the call \(CALL_REJECTED\)/,
  });
  t.match(agentState(h, a1), free);
  t.equal(h.app.ctx.gatewayUsage.inUse(gw.id), 0);
});

t.test(
  '/app/bye: the agent on the call hangs it up; other agents and unknown calls are refused',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1, a2] = await h.project('py', 2);
    const taskId = await h.task({ code: 'ty', projectCode: 'py', scheduleType: 1 });
    await gatewayFor(h, taskId, 'gwY');
    h.fs.setPeer('013900005555', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 60_000 });
    const s1 = await agentSession(h, 'py', a1);
    const s2 = await agentSession(h, 'py', a2);
    t.teardown(() => Promise.all([s1.close(), s2.close()]));
    s1.send('/app/call', { telNo: '13900005555', projectCode: 'py' });
    const { callId } = await s1.next<{ callId: string }>(`/topic/invite/${a1}`);
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 10);
    s2.send('/app/bye', { callId, username: a2 });
    t.match(await s2.next<Notice>(`/topic/notify/py/${a2}`), { msgType: 'error', data: /is not extension/ });
    s1.send('/app/bye', { callId: 'no-such-call', username: a1 });
    t.match(await s1.next<Notice>(`/topic/notify/py/${a1}`, (m) => m.msgType === 'error'), {
      data: /no call no-such-call/,
    });
    s1.send('/app/bye', { callId, username: a1 });
    t.match(await s1.next<Notice>(`/topic/notify/py/${a1}`, (m) => m.data === '挂断成功'), {
      msgType: 'success',
    });
    const log = await waitFor(() => logOf(h, callId), 5000);
    t.match(log, { result: 10, resultDetail: 50 }, 'the agent hung up');
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 0);
    t.match(agentState(h, a1), free);
  },
);

t.test('/app/previewCall dials a number getCallList handed out, and refuses the others', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1, a2] = await h.project('pp', 2);
  const taskId = await h.task({ code: 'tp', projectCode: 'pp', scheduleType: 3 });
  await setTask(h, taskId, { callType: 2 });
  await gatewayFor(h, taskId, 'gwP');
  const mine = await addNumber(h, taskId, '13900006666', 'preview', a1);
  await addNumber(h, taskId, '13900006667', 'preview', a2);
  await addNumber(h, taskId, '13900006668');
  h.fs.setPeer('013900006666', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 1000 });
  const stomp = await agentSession(h, 'pp', a1);
  t.teardown(() => stomp.close());
  const notify = `/topic/notify/pp/${a1}`;
  const answer = async (body: object) => {
    const before = stomp.messages.get(notify)?.length ?? 0;
    stomp.send('/app/previewCall', body);
    return stomp.next<Notice>(notify, (m) => (stomp.messages.get(notify) ?? []).indexOf(m) >= before);
  };
  t.match(await answer({ telNo: '13900006667', callTaskCode: 'tp' }), { data: /handed to another agent/ });
  t.match(await answer({ telNo: '13900006668', callTaskCode: 'tp' }), { data: /not been handed out/ });
  t.match(await answer({ telNo: '13900009999', callTaskCode: 'tp' }), { data: /not a number of task tp/ });
  t.match(await answer({ telNo: '13900006666', callTaskCode: 'nope' }), { data: /not a task of project pp/ });
  t.match(await answer({ telNo: '13900006666', callTaskCode: 'tp', username: a1 }), { msgType: 'success' });
  const { callId } = await stomp.next<{ callId: string }>(`/topic/invite/${a1}`);
  const log = await waitFor(() => logOf(h, callId), 8000);
  t.match(log, { result: 10, resultDetail: 55, callTaskCode: 'tp', callerIdNumber: a1 });
  t.match(await numberRow(h, mine), { state: 'done', resultDetail: 55, callUuid: callId });
  t.match(await answer({ telNo: '13900006666', callTaskCode: 'tp' }), { data: /already been dialled/ });
  await setTask(h, taskId, { callType: 1 });
  t.match(await answer({ telNo: '13900006667', callTaskCode: 'tp' }), { data: /not a preview task/ });
});

t.test(
  'a running agent-first task (scheduleType 3) gives each free agent one number at a time',
  async (t) => {
    const h = await startCallHarness({}, { dialerTickMs: 50 });
    t.teardown(h.close);
    const agents = await h.project('pf', 2);
    const taskId = await h.task({ code: 'tf', projectCode: 'pf', scheduleType: 3 });
    const gw = await gatewayFor(h, taskId, 'gwF');
    const phones = ['13900007001', '13900007002', '13900007003', '13900007004', '13900007005'];
    for (const p of phones) {
      await addNumber(h, taskId, p);
      h.fs.setPeer(`0${p}`, { kind: 'answer', answerAfterMs: 200, hangupAfterMs: 1000 });
    }
    h.fs.setPeer('013900007003', { kind: 'no-answer' });
    let peak = 0;
    const off = h.app.ctx.services.agents.onChange(() => {
      const busy = agents.filter((a) => agentState(h, a)?.callId !== null).length;
      peak = Math.max(peak, busy);
    });
    t.teardown(off);
    const logs = await waitFor(async () => {
      const rows = await logsOfTask(h, taskId);
      return rows.length === phones.length ? rows : undefined;
    }, 20_000);
    t.equal(new Set(logs.map((l) => l.destinationNumber)).size, phones.length, 'every number dialled once');
    t.match(
      logs.find((l) => l.destinationNumber === '13900007003'),
      { result: 20, resultDetail: 25 },
    );
    t.ok(
      logs.filter((l) => l.destinationNumber !== '13900007003').every((l) => l.result === 10),
      'the others talked with an agent',
    );
    t.ok(peak <= agents.length, 'never more calls than agents');
    for (const a of agents) t.match(agentState(h, a), free);
    t.equal(h.app.ctx.gatewayUsage.inUse(gw.id), 0);
  },
);

t.test(
  'an agent dials a customer from the softphone (agent_call): out through the project’s gateway, logged; a refusal is told',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1] = await h.project('pd', 1);
    const taskId = await h.task({ code: 'td', projectCode: 'pd', scheduleType: 1 });
    const gw = await gatewayFor(h, taskId, 'gwD', { originationCallId: '02188880001' });
    h.fs.setPeer('013900002222', { kind: 'answer', answerAfterMs: 300, hangupAfterMs: 3000 });
    const stomp = await agentSession(h, 'pd', a1);
    t.teardown(() => stomp.close());
    h.fs.dialFromExtension(a1, '13900002222');
    const log = await waitFor(
      async () => (await allLogs(h)).find((l) => l.destinationNumber === '13900002222' && l.result !== null),
      8000,
    );
    t.match(log, { result: 10, resultDetail: 55, callerIdNumber: a1, gatewayId: gw.id });
    t.ok(
      h.fs.commands.some((c) => JSON.stringify(c.headers ?? {}).includes('sofia/gateway/gwD/013900002222')),
      'bridged out through the gateway, with its mobile prefix',
    );
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 0 && agentState(h, a1)?.callId === null);
    t.equal(h.app.ctx.gatewayUsage.inUse(gw.id), 0, 'the line is released');
    h.fs.dialFromExtension(a1, '12x');
    const refused = await stomp.next<Notice>(`/topic/notify/pd/${a1}`, (n) => n.msgType === 'error');
    t.match(refused.data, /is not a phone number/);
  },
);
