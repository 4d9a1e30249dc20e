import t from 'tap';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { agentState, logOf, waitFor } from './flows-support.js';

let n = 0;
/** What the dialer does for a scheduleType 4 task: the customer leg, answered, to the socket (cc_flow=off-hook). */
async function dialCustomer(h: CallHarness, number: string, project: string, task: string): Promise<string> {
  const callId = `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`;
  const token = h.socketLeg(callId, 'off-hook').cc_socket_token;
  const vars = `origination_uuid=${callId},cc_call_id=${callId},cc_role=customer,cc_flow=off-hook,cc_project=${project},cc_task=${task},cc_number=${number},cc_socket_token=${token}`;
  const r = await h.app.nodes.bgapi(1, `originate {${vars}}sofia/gateway/gw1/${number} '&${h.socketApp}'`);
  if (!r.ok) throw new Error(`originate: ${r.error.text}`);
  return callId;
}

/** local_stream://moh never ends on a real switch. */
const emulator = { playbackMs: (f: string) => (f.startsWith('local_stream://') ? 3_600_000 : undefined) };

t.test('an off-hook agent’s held leg takes one customer after another and waits in between', async (t) => {
  const h = await startCallHarness({ flow: { agentWaitMs: 60_000 }, emulator });
  t.teardown(h.close);
  const [a1] = await h.project('po', 1, { available: false });
  await h.task({ code: 'to', projectCode: 'po', scheduleType: 4 });
  const leg = h.fs.dialFromExtension(a1, 'fifopo') ?? '';
  await h.fs.waitFor(() => h.app.runner.held.get(a1)?.uuid === leg);
  await h.fs.waitFor(() => agentState(h, a1)?.workStatus === 1);
  t.pass('the held leg makes the agent available');
  await h.fs.waitFor(() =>
    h.fs.commands.some(
      (c) =>
        c.from === leg &&
        c.headers.some(([k, v]) => k === 'execute-app-arg' && v === 'park_after_bridge=true'),
    ),
  );
  t.pass('the agent leg asks to be parked again after each customer (park_after_bridge)');

  // The customer stays until told to leave: a timed hang-up could come before the bridge on a loaded machine.
  h.fs.setPeer('13900008001', { kind: 'answer', answerAfterMs: 0 });
  const first = await dialCustomer(h, '13900008001', 'po', 'to');
  await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 10);
  await h.fs.waitFor(() => h.fs.channels().find((c) => c.uuid === first)?.bridgedTo);
  t.equal(h.fs.channels().find((c) => c.uuid === first)?.bridgedTo, leg, 'uuid_bridge to the held leg');
  t.ok(h.fs.commands.some((c) => c.line.startsWith(`api uuid_bridge ${first} ${leg}`)));
  h.fs.remoteHangup(first);
  t.match(await waitFor(() => logOf(h, first), 5000), {
    result: 10,
    resultDetail: 55,
    callerIdNumber: a1,
  });
  await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 0);
  t.ok(
    h.fs.channels().some((c) => c.uuid === leg),
    'the agent leg is still up',
  );

  h.fs.setPeer('13900008002', { kind: 'answer', answerAfterMs: 0 });
  const second = await dialCustomer(h, '13900008002', 'po', 'to');
  await h.fs.waitFor(() => h.fs.channels().find((c) => c.uuid === second)?.bridgedTo === leg);
  h.fs.remoteHangup(second);
  t.match(await waitFor(() => logOf(h, second), 5000), { result: 10, callerIdNumber: a1 });
  await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 0);

  h.fs.remoteHangup(leg);
  await h.fs.waitFor(() => !h.app.runner.held.has(a1));
  await h.fs.waitFor(() => agentState(h, a1)?.workStatus === 0);
  t.match(agentState(h, a1), { sessionStatus: 0, reserved: false, callId: null });
});

t.test('off-hook: with no held leg the customer waits, then all agents busy (35)', async (t) => {
  const h = await startCallHarness({ flow: { agentWaitMs: 300 } });
  t.teardown(h.close);
  await h.project('pq', 1);
  await h.task({ code: 'tq', projectCode: 'pq', scheduleType: 4 });
  const callId = await dialCustomer(h, '13900008003', 'pq', 'tq');
  t.match(await waitFor(() => logOf(h, callId), 5000), { result: 30, resultDetail: 35 });
});

t.test('off-hook: a customer waiting is connected as soon as an agent picks up its fifo leg', async (t) => {
  const h = await startCallHarness({ flow: { agentWaitMs: 60_000 }, emulator });
  t.teardown(h.close);
  const [a1] = await h.project('pw', 1, { available: false });
  await h.task({ code: 'tw', projectCode: 'pw', scheduleType: 4 });
  h.fs.setPeer('13900008004', { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 30_000 });
  const callId = await dialCustomer(h, '13900008004', 'pw', 'tw');
  await h.fs.waitFor(() => h.app.runner.live.has(callId));
  h.fs.dialFromExtension(a1, 'fifopw');
  t.match(await waitFor(() => logOf(h, callId), 5000), { result: 10, callerIdNumber: a1 });
});

t.test('a fifo code of another project is refused: the leg is hung up and nothing is held', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('px', 1, { available: false });
  const leg = h.fs.dialFromExtension(a1, 'fifoelsewhere') ?? '';
  await h.fs.waitFor(() => !h.fs.channels().some((c) => c.uuid === leg));
  t.equal(h.app.runner.held.size, 0);
  t.equal(agentState(h, a1)?.workStatus, 0, 'the agent stays unavailable');
});
