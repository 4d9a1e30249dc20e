// Runs on SQLite, and on PostgreSQL as test/component/dialer-pg.test.ts (CC_TEST_STORE=pg): fixtures go through
// the repositories.
import t from 'tap';
import { eventually } from '../support/app.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { insertGateway } from '../support/gateways.js';

const gateway = (h: CallHarness, gwCode: string, lines: number) =>
  insertGateway(
    h.app.ctx.repos.gateways,
    { gwCode, expectCount: lines, originationCallId: '02100000000', mobilePhonePrefix: '0' },
    h.app.ctx.clock.now(),
  );

async function load(
  h: CallHarness,
  taskId: number,
  phones: string[],
  gateways: { id: number; concurrency: number }[],
) {
  const { tasks } = h.app.ctx.repos;
  await tasks.setGateways(
    taskId,
    gateways.map((g) => ({ gatewayId: g.id, concurrency: g.concurrency })),
  );
  await tasks.addNumbers(taskId, phones, h.app.ctx.clock.now());
}

/** The task's call logs once there are `n`. */
const logsOf = (h: CallHarness, taskId: number, n: number, timeoutMs: number) =>
  eventually(async () => {
    const { items } = await h.app.ctx.repos.callLogs.list({ taskId }, { offset: 0, limit: 1000 });
    return items.length === n ? items : undefined;
  }, timeoutMs);

/** No number of the task is left pending, previewed or dialling. */
const allSettled = async (h: CallHarness, taskId: number, n: number) =>
  (await h.app.ctx.repos.tasks.countsByState(taskId)).done === n;

t.test(
  'a running play-only task dials every number once, within the gateway limits, and settles failures',
  async (t) => {
    const h = await startCallHarness({ emulator: { defaultPlaybackMs: 2000 } }, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('pd', 1, { register: false });
    const gw = await gateway(h, 'gwA', 3);
    const taskId = await h.task({
      code: 'td',
      projectCode: 'pd',
      scheduleType: 5,
      voiceFile: '/var/voices/a.wav',
    });
    await h.app.ctx.repos.tasks.update(taskId, { rate: 1 }, h.app.ctx.clock.now());
    const phones = Array.from({ length: 12 }, (_, i) => `1380000${String(i).padStart(4, '0')}`);
    h.fs.setPeer(`0${phones[3]}`, { kind: 'busy' }); // the gateway's mobile prefix is dialled too
    h.fs.setPeer(`0${phones[5]}`, { kind: 'unallocated' });
    await load(h, taskId, phones, [{ id: gw.id, concurrency: 2 }]);
    let peak = 0;
    const off = setInterval(() => (peak = Math.max(peak, h.app.ctx.gatewayUsage.inUse(gw.id))), 2);
    t.teardown(() => clearInterval(off));
    const done = await logsOf(h, taskId, phones.length, 15_000);
    t.ok(peak <= 2, `the task's gateway concurrency (2) was never exceeded (peak ${peak})`);
    t.same(
      new Set(done.map((r) => r.destinationNumber)).size,
      phones.length,
      'every number dialled exactly once',
    );
    t.match(
      done.find((r) => r.destinationNumber === phones[3]),
      { result: 20, resultDetail: 20, hangupCause: 'USER_BUSY' },
    );
    t.match(
      done.find((r) => r.destinationNumber === phones[5]),
      { result: 20, resultDetail: 1 },
    );
    t.match(
      done.find((r) => r.destinationNumber === phones[0]),
      { result: 10, resultDetail: 50, gatewayId: gw.id, priceRule: '6|10.0' },
    );
    t.ok(await allSettled(h, taskId, phones.length), 'no number is left dialing');
    const originates = h.fs.commands.filter((c) => c.line.includes('originate'));
    t.equal(originates.length, phones.length);
    t.match(
      originates[0].line,
      /cc_flow=play,.*cc_gw=gwA\}sofia\/gateway\/gwA\/01380000\d{4} '&socket\(127\.0\.0\.1:\d+ async full\)'/,
    );
    t.match(originates[0].line, /origination_caller_id_number=02100000000/);
    t.equal(h.app.ctx.gatewayUsage.inUse(gw.id), 0, 'every line is released');
  },
);

t.test('a predictive task to agents dials no more than idle agents × rate', async (t) => {
  const h = await startCallHarness({}, { dialerTickMs: 50 });
  t.teardown(h.close);
  const agents = await h.project('pa', 2);
  const gw = await gateway(h, 'gwB', 10);
  const taskId = await h.task({ code: 'ta', projectCode: 'pa', scheduleType: 1 });
  const phones = Array.from({ length: 6 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
  for (const p of phones)
    h.fs.setPeer(`0${p}`, { kind: 'answer', answerAfterMs: 5000, hangupAfterMs: 20_000 });
  await load(h, taskId, phones, [{ id: gw.id, concurrency: 10 }]);
  await h.fs.waitFor(() => h.fs.commands.filter((c) => c.line.includes('originate')).length >= 2);
  await new Promise((r) => setTimeout(r, 60));
  t.equal(
    h.fs.commands.filter((c) => c.line.includes('originate')).length,
    agents.length,
    'two idle agents at rate 1: two calls ring',
  );
  const logs = await logsOf(h, taskId, phones.length, 20_000);
  t.ok(
    logs.some((r) => r.result === 10 && agents.includes(r.callerIdNumber ?? '')),
    'customers reached agents',
  );
  t.ok(
    logs.every((r) => r.result === 10 || r.resultDetail === 28),
    'the rest gave up waiting (28), none was lost',
  );
  t.ok(await allSettled(h, taskId, phones.length), 'every number settled');
  for (const a of agents)
    t.match(h.app.ctx.services.agents.get(a)?.state, { sessionStatus: 0, reserved: false, callId: null });
});
