import t from 'tap';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { connectStomp } from '../support/stomp-client.js';
import { logOf, waitFor } from './flows-support.js';

let n = 0;
/** What the dialer does: originate the customer leg with our variables and the socket app. */
async function dial(h: CallHarness, number: string, vars: Record<string, string>): Promise<string> {
  const callId = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const v = {
    origination_uuid: callId,
    cc_call_id: callId,
    cc_role: 'customer',
    cc_number: number,
    ...vars,
    ...h.socketLeg(callId, vars.cc_flow ?? '', vars.cc_number_id ? Number(vars.cc_number_id) : undefined),
  };
  const block = `{${Object.entries(v)
    .map(([k, x]) => `${k}=${x}`)
    .join(',')}}`;
  const r = await h.app.nodes.bgapi(1, `originate ${block}sofia/gateway/gw1/${number} '&${h.socketApp}'`);
  if (!r.ok) throw new Error(`originate: ${r.error.text}`);
  return callId;
}

t.test('play only (scheduleType 5): answer, play the voice, hang up, outcome stored', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  await h.project('p5', 1, { register: false });
  await h.task({ code: 't5', projectCode: 'p5', scheduleType: 5, voiceFile: '/var/voices/promo.wav' });
  const callId = await dial(h, '13800000001', { cc_flow: 'play', cc_task: 't5', cc_project: 'p5' });
  const log = await waitFor(() => logOf(h, callId));
  t.match(log, {
    result: 10,
    resultDetail: 50,
    destinationNumber: '13800000001',
    callTaskCode: 't5',
    hangupCause: 'NORMAL_CLEARING',
  });
  t.match(log?.recordFile ?? '', /^\/var\/lib\/freeswitch\/recordings\/\d{4}\/\d\d\/\d\d\/.+\.wav$/);
  const sent = h.fs.commands.filter((c) => c.from === callId).map((c) => c.line.split('\n')[0]);
  t.ok(
    sent.includes('connect') && sent.includes('myevents') && sent.includes('linger'),
    'the socket session is set up as FreeSWITCH expects',
  );
  // Issue 21: of myevents' fixed list, the events no part of a leg's run reads are dropped at the switch (a
  // CHANNEL_STATE per state change, a CHANNEL_EXECUTE per application), and the call still completes as above.
  const nixed = sent.find((line) => line.startsWith('nixevent '))?.split(' ') ?? [];
  t.ok(
    ['CHANNEL_EXECUTE', 'CHANNEL_STATE', 'CHANNEL_PROGRESS'].every((name) => nixed.includes(name)),
    'the events a leg does not read are nixed',
  );
  t.notOk(
    ['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_BRIDGE', 'DTMF'].some(
      (name) => nixed.includes(name),
    ),
    'and none it reads',
  );
  const apps = h.fs.commands
    .filter((c) => c.from === callId)
    .flatMap((c) => c.headers.filter(([k]) => k === 'execute-app-name').map(([, v]) => v));
  t.same(apps, ['record_session', 'playback'], 'the voice is played (the leg was already answered)');
  t.ok(
    h.fs.commands.some(
      (c) =>
        c.from === callId &&
        c.headers.some(([k, v]) => k === 'execute-app-arg' && v === '/var/voices/promo.wav'),
    ),
  );
});

t.test('play only: the customer hangs up during the voice → success, customer hung up (55)', async (t) => {
  const h = await startCallHarness({ emulator: { defaultPlaybackMs: 100_000 } });
  t.teardown(h.close);
  await h.project('p5b', 1, { register: false });
  await h.task({ code: 't5b', projectCode: 'p5b', scheduleType: 5, voiceFile: '/var/voices/long.wav' });
  h.fs.setPeer('13800000002', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 3000 });
  const callId = await dial(h, '13800000002', { cc_flow: 'play', cc_task: 't5b', cc_project: 'p5b' });
  const log = await waitFor(() => logOf(h, callId));
  t.match(log, { result: 10, resultDetail: 55 });
});

t.test(
  'direct to agent (scheduleType 1): the longest-idle agent rings, talks, and the call is logged',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1, a2] = await h.project('p1', 2);
    await h.task({ code: 't1', projectCode: 'p1', scheduleType: 1 });
    const pw = (await h.app.ctx.repos.extensions.byUsername(a1))!.password;
    const stomp = await connectStomp(h.baseUrl, a1, pw);
    t.teardown(() => stomp.close());
    for (const topic of ['invite', 'call', 'bye']) stomp.subscribe(`/topic/${topic}/${a1}`);
    await new Promise((r) => setTimeout(r, 50));
    h.fs.setPeer('13900000001', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 25_000 });
    const callId = await dial(h, '13900000001', { cc_flow: 'direct', cc_task: 't1', cc_project: 'p1' });
    t.match(
      await stomp.next(`/topic/invite/${a1}`),
      { callId, callTaskCode: 't1', telNo: '13900000001' },
      'the first agent (longest idle) is offered the call',
    );
    t.match(await stomp.next(`/topic/call/${a1}`), { callId });
    await h.fs.waitFor(() => h.app.ctx.services.agents.get(a1)?.state.sessionStatus === 10);
    t.equal(h.app.ctx.services.agents.get(a1)?.state.destinationNumber, '13900000001');
    t.match(await stomp.next(`/topic/bye/${a1}`, undefined, 5000), { callId });
    const log = await waitFor(() => logOf(h, callId));
    t.match(log, { result: 10, resultDetail: 55, callerIdNumber: a1 });
    t.equal(h.app.ctx.services.agents.get(a1)?.state.sessionStatus, 0, 'the agent is free again');
    t.equal(h.app.ctx.services.agents.get(a1)?.state.reserved, false);
    t.equal(h.app.ctx.services.agents.get(a2)?.state.reserved, false);
  },
);

t.test(
  "the node's link carries only the call events something reads: a direct call's two legs send no CHANNEL_CREATE, CHANNEL_ANSWER or CHANNEL_UNBRIDGE there",
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1] = await h.project('pn', 1);
    await h.task({ code: 'tn', projectCode: 'pn', scheduleType: 1 });
    // Issue 21: each of those is every channel variable of the leg (a few KB), parsed and dropped by every reader.
    const names: string[] = [];
    h.app.nodes.client(1)?.on('event', (e) => names.push(e.name));
    h.fs.setPeer('13900000031', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 1000 });
    const callId = await dial(h, '13900000031', { cc_flow: 'direct', cc_task: 'tn', cc_project: 'pn' });
    const log = await waitFor(() => logOf(h, callId));
    t.match(log, { result: 10, resultDetail: 55, callerIdNumber: a1 }, 'the call went through as before');
    t.same(
      names.filter((n) => ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_UNBRIDGE'].includes(n)),
      [],
      'none of the unread events',
    );
    t.same(
      ['CHANNEL_BRIDGE', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB'].filter((n) => !names.includes(n)),
      [],
      'the events the supervisor, the runner, the dialler and recovery read still come',
    );
  },
);

t.test(
  "the customer's BYE while talking is 55 even when the disconnect-notice overtakes CHANNEL_HANGUP (event dispatch lagging under load)",
  async (t) => {
    const h = await startCallHarness({ emulator: { outboundEventLagMs: 2000 } });
    t.teardown(h.close);
    const [a1] = await h.project('p1l', 1);
    await h.task({ code: 't1l', projectCode: 'p1l', scheduleType: 1 });
    h.fs.setPeer('13900000009', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 25_000 });
    const callId = await dial(h, '13900000009', { cc_flow: 'direct', cc_task: 't1l', cc_project: 'p1l' });
    const log = await waitFor(async () => {
      const log = await logOf(h, callId);
      return log?.resultDetail ? log : undefined;
    });
    t.match(log, { result: 10, resultDetail: 55, callerIdNumber: a1 });
    await h.fs.waitFor(() => h.app.ctx.services.agents.get(a1)?.state.sessionStatus === 0);
  },
);

t.test('direct to agent: a rejecting agent is skipped, the next one takes the call', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1, a2] = await h.project('p2', 2);
  h.fs.register(a1, { mode: 'reject' });
  await h.task({ code: 't2', projectCode: 'p2', scheduleType: 1 });
  h.fs.setPeer('13900000002', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 25_000 });
  const callId = await dial(h, '13900000002', { cc_flow: 'direct', cc_task: 't2', cc_project: 'p2' });
  const log = await waitFor(() => logOf(h, callId), 8000);
  t.match(log, { result: 10, callerIdNumber: a2 });
  for (const a of [a1, a2])
    t.match(h.app.ctx.services.agents.get(a)?.state, { reserved: false, sessionStatus: 0, callId: null });
});

t.test('direct to agent: nobody available → the customer waits, then all agents busy (35)', async (t) => {
  const h = await startCallHarness({ flow: { agentWaitMs: 300 } });
  t.teardown(h.close);
  await h.project('p3', 1, { available: false });
  await h.task({ code: 't3', projectCode: 'p3', scheduleType: 1 });
  const callId = await dial(h, '13900000003', { cc_flow: 'direct', cc_task: 't3', cc_project: 'p3' });
  const log = await waitFor(() => logOf(h, callId), 5000);
  t.match(log, { result: 30, resultDetail: 35 });
});

t.test('direct to agent: the customer hangs up while waiting → 28', async (t) => {
  const h = await startCallHarness({ flow: { agentWaitMs: 60_000 } });
  t.teardown(h.close);
  await h.project('p4', 1, { available: false });
  await h.task({ code: 't4', projectCode: 'p4', scheduleType: 1 });
  h.fs.setPeer('13900000004', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 2000 });
  const callId = await dial(h, '13900000004', { cc_flow: 'direct', cc_task: 't4', cc_project: 'p4' });
  const log = await waitFor(() => logOf(h, callId), 5000);
  t.match(log, { result: 30, resultDetail: 28 });
});

t.test('an agent waiting in the queue is connected as soon as one becomes available', async (t) => {
  const h = await startCallHarness({ flow: { agentWaitMs: 60_000 } });
  t.teardown(h.close);
  const [a1] = await h.project('p6', 1, { available: false });
  await h.task({ code: 't6', projectCode: 'p6', scheduleType: 1 });
  h.fs.setPeer('13900000006', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 30_000 });
  const callId = await dial(h, '13900000006', { cc_flow: 'direct', cc_task: 't6', cc_project: 'p6' });
  await h.fs.waitFor(() => h.app.runner.live.has(callId));
  await new Promise((r) => setTimeout(r, 50));
  h.app.ctx.services.agents.setWork(a1, 1);
  const log = await waitFor(() => logOf(h, callId), 5000);
  t.match(log, { result: 10, callerIdNumber: a1 });
});

t.test('agent_login / agent_logoff dial codes set the agent available / unavailable', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('p7', 1, { available: false });
  h.fs.dialFromExtension(a1, 'agent_login');
  await h.fs.waitFor(() => h.app.ctx.services.agents.get(a1)?.state.workStatus === 1);
  h.fs.dialFromExtension(a1, 'agent_logoff');
  await h.fs.waitFor(() => h.app.ctx.services.agents.get(a1)?.state.workStatus === 0);
  t.pass('both codes took effect');
});
