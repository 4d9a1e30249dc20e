// Issue 14 items 2, 3 and 4 against the FreeSWITCH emulator: which agents a predictive task paces on.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { startCallHarness } from '../support/calls.js';
import {
  addNumber,
  agentState,
  gatewayFor,
  logsOfTask,
  numberRow,
  setTask,
  waitFor,
} from './flows-support.js';

const originates = (h: { fs: { commands: readonly { line: string }[] } }, match = 'originate') =>
  h.fs.commands.filter((c) => c.line.includes(match));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const moh = { playbackMs: (f: string) => (f.startsWith('local_stream://') ? 3_600_000 : undefined) };

t.test(
  'agent first: a number whose agent never answers is tried the configured number of times, then settled as agent no answer (32)',
  async (t) => {
    const h = await startCallHarness({ config: { agentFirstMaxTries: 2 } }, { dialerTickMs: 50 });
    t.teardown(h.close);
    const [a1] = await h.project('pm', 1);
    h.fs.register(a1, { mode: 'reject' });
    const taskId = await h.task({ code: 'tm', projectCode: 'pm', scheduleType: 3 });
    const gw = await gatewayFor(h, taskId, 'gwM');
    const id = await addNumber(h, taskId, '13900008001');
    const row = await waitFor(
      async () => ((await numberRow(h, id))?.state === 'done' ? await numberRow(h, id) : undefined),
      10_000,
    );
    t.match(
      row,
      { resultDetail: 32, agentMisses: 2 },
      'settled after two attempts whose agent did not answer',
    );
    await pause(300);
    t.equal(originates(h, `user/${a1}`).length, 2, 'the agent was rung exactly twice, then never again');
    t.equal(originates(h, '}sofia/gateway').length, 0, 'the customer was never dialled');
    const logs = await logsOfTask(h, taskId);
    t.equal(logs.length, 1, 'one call log for the number');
    t.match(logs[0], { result: 30, resultDetail: 32, callerIdNumber: a1, destinationNumber: '13900008001' });
    t.match(agentState(h, a1), { reserved: false, callId: null });
    t.equal(h.app.ctx.gatewayUsage.inUse(gw.id), 0, 'no line is held');
  },
);

t.test('agent first: one missed attempt puts the number back for the next try, below the cap', async (t) => {
  const h = await startCallHarness({ config: { agentFirstMaxTries: 5 } }, { dialerTickMs: 50 });
  t.teardown(h.close);
  const [a1] = await h.project('pq', 1);
  h.fs.register(a1, { mode: 'reject' });
  const taskId = await h.task({ code: 'tq', projectCode: 'pq', scheduleType: 3 });
  await gatewayFor(h, taskId, 'gwQ');
  const id = await addNumber(h, taskId, '13900008002');
  await waitFor(async () => ((await numberRow(h, id))?.agentMisses ?? 0) >= 1, 10_000);
  t.not((await numberRow(h, id))?.state, 'done', 'still open below the cap');
  await setTask(h, taskId, { status: 3 });
  await waitFor(async () => (await numberRow(h, id))?.state === 'pending', 5000);
  t.equal((await numberRow(h, id))?.resultDetail, null, 'no result yet');
});

t.test(
  'agent first: a number whose agent is ringing counts as dialled by this process, so the start-up recovery of an (early) event-socket connect never settles it',
  async (t) => {
    const h = await startCallHarness({}, { dialerTickMs: 50 });
    t.teardown(h.close);
    const [a1] = await h.project('pr', 1);
    h.fs.register(a1, { mode: 'no-answer' });
    const taskId = await h.task({ code: 'tr', projectCode: 'pr', scheduleType: 3 });
    await gatewayFor(h, taskId, 'gwR');
    const id = await addNumber(h, taskId, '13900008003');
    await h.fs.waitFor(() => originates(h, `user/${a1}`).length === 1);
    t.equal((await numberRow(h, id))?.state, 'dialing');
    t.ok(h.app.dialer.dials(id), 'the dialer owns the number while its agent rings');
  },
);

t.test(
  'off-hook pacing counts only agents holding a fifo leg: an available agent without one draws no call',
  async (t) => {
    const h = await startCallHarness({ flow: { agentWaitMs: 60_000 }, emulator: moh }, { dialerTickMs: 50 });
    t.teardown(h.close);
    const [a1, a2] = await h.project('pf', 2);
    const taskId = await h.task({ code: 'tf', projectCode: 'pf', scheduleType: 4 });
    await gatewayFor(h, taskId, 'gwF', { lines: 10 });
    for (let i = 0; i < 6; i++) {
      const phone = `1390000900${i}`;
      await addNumber(h, taskId, phone);
      h.fs.setPeer(`0${phone}`, { kind: 'answer', answerAfterMs: 60_000, hangupAfterMs: 120_000 });
    }
    t.equal(agentState(h, a1)?.workStatus, 1);
    t.equal(agentState(h, a2)?.workStatus, 1, 'both agents are registered and available');
    await pause(400);
    t.equal(
      originates(h, 'sofia/gateway').length,
      0,
      'no held leg, no call, although two agents are available',
    );
    const leg = h.fs.dialFromExtension(a1, 'fifopf') ?? '';
    await h.fs.waitFor(() => h.app.runner.held.get(a1)?.uuid === leg);
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, h.app.dialer.inFlight(taskId))), 5);
    t.teardown(() => clearInterval(sample));
    await h.fs.waitFor(() => originates(h, 'sofia/gateway').length >= 1);
    await pause(300);
    t.equal(peak, 1, 'one off-hook idle agent at rate 1: one call at a time');
    t.match(await h.app.ctx.services.tasks.status('tf'), { agentShare: 1 });
    const second = h.fs.dialFromExtension(a2, 'fifopf') ?? '';
    await h.fs.waitFor(() => h.app.runner.held.get(a2)?.uuid === second);
    await h.fs.waitFor(() => h.app.dialer.inFlight(taskId) === 2);
    await pause(300);
    t.equal(peak, 2, 'a second held leg: two calls at a time, never more');
    t.match(await h.app.ctx.services.tasks.status('tf'), { agentShare: 2 });
  },
);

t.test(
  'two running tasks of one project split its idle agents instead of both dialling for all of them; the split shows in callTaskStatus',
  async (t) => {
    const h = await startCallHarness({}, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('ps', 4);
    const a = await h.task({ code: 'ta', projectCode: 'ps', scheduleType: 1 });
    const b = await h.task({ code: 'tb', projectCode: 'ps', scheduleType: 1 });
    await setTask(h, a, { agentWeight: 3 });
    await gatewayFor(h, a, 'gwA', { lines: 20 });
    await gatewayFor(h, b, 'gwB', { lines: 20 });
    for (let i = 0; i < 10; i++) {
      for (const [task, p] of [
        [a, `1390001100${i}`],
        [b, `1390001200${i}`],
      ] as const) {
        await addNumber(h, task, p);
        h.fs.setPeer(`0${p}`, { kind: 'answer', answerAfterMs: 60_000, hangupAfterMs: 120_000 });
      }
    }
    // Unanswered attempts time out and are replaced, so the figure is the most ringing at once, per task.
    const peak = { a: 0, b: 0, all: 0 };
    const sample = setInterval(() => {
      const [x, y] = [h.app.dialer.inFlight(a), h.app.dialer.inFlight(b)];
      peak.a = Math.max(peak.a, x);
      peak.b = Math.max(peak.b, y);
      peak.all = Math.max(peak.all, x + y);
    }, 5);
    t.teardown(() => clearInterval(sample));
    await h.fs.waitFor(() => h.app.dialer.inFlight(a) + h.app.dialer.inFlight(b) >= 4);
    await pause(600);
    t.equal(peak.all, 4, 'four idle agents at rate 1: four calls at once in all (not eight)');
    t.equal(peak.a, 3, 'weight 3 : 1 gives task ta three');
    t.equal(peak.b, 1, 'and task tb one');
    t.ok(
      originates(h, 'cc_task=ta,').length >= 3 && originates(h, 'cc_task=tb,').length >= 1,
      'both tasks dialled',
    );
    t.match(await h.app.ctx.services.tasks.status('ta'), { agentWeight: 3, agentShare: 3 });
    t.match(await h.app.ctx.services.tasks.status('tb'), { agentWeight: 1, agentShare: 1 });
  },
);

t.test(
  'running tasks that have dialled everything take no share: a fourth task of the project gets every agent',
  async (t) => {
    const h = await startCallHarness({}, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('pd', 3);
    const done: number[] = [];
    for (const code of ['d1', 'd2', 'd3'])
      done.push(await h.task({ code, projectCode: 'pd', scheduleType: 1 }));
    for (const [i, id] of done.entries()) {
      await gatewayFor(h, id, `gwD${i}`, { lines: 10 });
      // One number already settled, and one due only tomorrow (a retry rule's later attempt).
      const now = h.app.ctx.clock.now();
      await h.exec(
        sql`insert into task_numbers (task_id, phone, state, result_detail, retry_at, updated_at) values
            (${id}, ${`1390002000${i}`}, 'done', 55, null, ${now}),
            (${id}, ${`1390002100${i}`}, 'pending', null, ${now + 86_400_000}, ${now})`,
      );
    }
    const fresh = await h.task({ code: 'd4', projectCode: 'pd', scheduleType: 1 });
    await gatewayFor(h, fresh, 'gwD4', { lines: 10 });
    for (let i = 0; i < 5; i++) {
      const p = `1390002200${i}`;
      await addNumber(h, fresh, p);
      h.fs.setPeer(`0${p}`, { kind: 'answer', answerAfterMs: 60_000, hangupAfterMs: 120_000 });
    }
    await h.fs.waitFor(() => h.app.dialer.inFlight(fresh) === 3);
    t.match(
      await h.app.ctx.services.tasks.status('d4'),
      { agentShare: 3 },
      'all three agents go to the task with numbers',
    );
    for (const code of ['d1', 'd2', 'd3'])
      t.match(await h.app.ctx.services.tasks.status(code), { agentShare: 0 });
    t.equal(originates(h, 'cc_task=d1,').length, 0, 'nothing due, nothing dialled');
  },
);
