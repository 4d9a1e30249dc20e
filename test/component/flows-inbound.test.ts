import t from 'tap';
import { startCallHarness } from '../support/calls.js';
import { agentState, gatewayFor, logOf, setTask, waitFor } from './flows-support.js';

t.test(
  'a call to the DID of a running inbound task is queued for that task’s agents and logged',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1] = await h.project('pi', 1);
    const taskId = await h.task({ code: 'ti', projectCode: 'pi', scheduleType: 11 });
    await setTask(h, taskId, { startedAt: h.app.ctx.clock.now() });
    const gw = await gatewayFor(h, taskId, 'gwI', { originationCallId: '02166660000' });
    const leg = h.fs.inboundCall('13900009001', '02166660000', { hangupAfterMs: 25_000 }) ?? '';
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 10);
    const log = await waitFor(() => logOf(h, leg), 5000);
    t.match(log, {
      result: 10,
      resultDetail: 55,
      direction: 'inbound',
      callTaskCode: 'ti',
      taskId,
      destinationNumber: '13900009001',
      callerIdNumber: a1,
      gatewayId: gw.id,
    });
    t.ok(
      h.fs.commands.some((c) => c.from === leg && c.line === `api uuid_setvar ${leg} cc_task ti`),
      'the leg carries its task for the CDR',
    );
    await h.fs.waitFor(() => agentState(h, a1)?.sessionStatus === 0);
  },
);

t.test('a call whose DID no running inbound task owns is hung up without ringing anyone', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  const [a1] = await h.project('pu', 1);
  const taskId = await h.task({ code: 'tu', projectCode: 'pu', scheduleType: 11 });
  await gatewayFor(h, taskId, 'gwU', { originationCallId: '02177770000' });
  const paused = h.fs.inboundCall('13900009002', '02100001234') ?? '';
  await h.fs.waitFor(() => !h.fs.channels().some((c) => c.uuid === paused));
  await setTask(h, taskId, { status: 3 });
  const other = h.fs.inboundCall('13900009003', '02177770000') ?? '';
  await h.fs.waitFor(() => !h.fs.channels().some((c) => c.uuid === other));
  t.ok(
    h.fs.commands.some(
      (c) =>
        c.from === other &&
        /hangup-cause: NO_ROUTE_DESTINATION/i.test(c.headers.map((x) => x.join(': ')).join('\n')),
    ),
    'refused with NO_ROUTE_DESTINATION',
  );
  t.equal(agentState(h, a1)?.sessionStatus, 0);
  t.notOk(
    h.fs.commands.some((c) => c.headers.some(([k, v]) => k === 'execute-app-name' && v === 'bridge')),
    'no agent was rung',
  );
  t.equal(h.app.ctx.metrics.snapshot()['calls.inbound_unrouted'], 2, 'both counted');
});
