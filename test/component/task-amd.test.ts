// Answering-machine detection settings per task (issue 23): the submitCallTask extension fields and setTaskAmd,
// their 4xx answers naming the field (nothing stored), and the machines counted in callTaskStatus.
import t from 'tap';
import { TASK_API, startTaskApp, taskBody } from '../support/tasks.js';

t.test('answering-machine detection settings', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['13800000001', '13800000002']);
  const base = {
    ...taskBody(callListId),
  };
  const submit = (code: string, fields: Record<string, string | number | undefined>) =>
    ta.post(`${TASK_API}/submitCallTask/v1`, { ...base, callTaskCode: code, ...fields });
  const setAmd = (fields: Record<string, string | number | undefined>) =>
    ta.post(`${TASK_API}/setTaskAmd/v1`, fields);

  await t.test(
    'off by default; submitCallTask takes amd, the machine action, its voice and thresholds',
    async (t) => {
      let r = await submit('A0', {});
      t.equal(r.statusCode, 200, r.body);
      t.match(await ta.tasks.byCode('A0'), {
        amd: 0,
        amdMachineAction: 'hangup',
        amdVoiceCode: null,
        amdThresholds: null,
      });
      r = await submit('A1', {
        amd: 1,
        amdMachineAction: 'message',
        amdVoiceCode: 'hello',
        amdThresholds: '{"afterGreetingSilenceMs":600}',
      });
      t.equal(r.statusCode, 200, r.body);
      t.match(await ta.tasks.byCode('A1'), {
        amd: 1,
        amdMachineAction: 'message',
        amdVoiceCode: 'hello',
        amdThresholds: '{"afterGreetingSilenceMs":600}',
      });
    },
  );

  await t.test('bad settings are refused with 400 naming the field, and no task is stored', async (t) => {
    const cases: [Record<string, string | number>, RegExp][] = [
      [{ amd: 2 }, /amd must be 0 \(off\) or 1 \(on\)/],
      [{ amd: 1, amdMachineAction: 'shout' }, /amdMachineAction must be hangup or message/],
      [{ amd: 1, amdMachineAction: 'message' }, /amdVoiceCode is required when amdMachineAction is message/],
      [{ amd: 1, amdMachineAction: 'message', amdVoiceCode: 'nope' }, /amdVoiceCode nope does not exist/],
      [{ amd: 1, amdThresholds: '{"greetingMs":5}' }, /amdThresholds.greetingMs must be an integer from 300/],
      [{ amd: 1, amdThresholds: '{"loudness":5}' }, /amdThresholds.loudness is not a known threshold/],
      [{ amd: 1, amdThresholds: 'not json' }, /amdThresholds must be a JSON object/],
      [{ amd: 1, scheduleType: 5, voiceCode: 'hello' }, /amd applies to scheduleType 1, 2, 4 only/],
    ];
    for (const [i, [fields, msg]] of cases.entries()) {
      const r = await submit(`BAD${i}`, fields);
      t.equal(r.statusCode, 400, JSON.stringify(fields));
      t.match(r.json().reqResult.msg, msg);
      t.equal(await ta.app.ctx.repos.tasks.byCode(`BAD${i}`), undefined, 'nothing stored');
    }
  });

  await t.test(
    'setTaskAmd changes them, merged over the current settings and checked as a whole',
    async (t) => {
      let r = await setAmd({ callTaskCode: 'A0', amd: 1 });
      t.equal(r.statusCode, 200, r.body);
      t.match(await ta.tasks.byCode('A0'), { amd: 1, amdMachineAction: 'hangup' });
      t.match(
        ta.changes.at(-1),
        { kind: 'concurrency', task: { callTaskCode: 'A0', amd: 1 } },
        'the dialer hears of it',
      );
      r = await setAmd({ callTaskCode: 'A0', amdMachineAction: 'message' });
      t.equal(r.statusCode, 400);
      t.match(r.json().reqResult.msg, /amdVoiceCode is required/);
      t.match(await ta.tasks.byCode('A0'), { amdMachineAction: 'hangup' }, 'nothing half-applied');
      r = await setAmd({ callTaskCode: 'A0', amdMachineAction: 'message', amdVoiceCode: 'hello' });
      t.equal(r.statusCode, 200, r.body);
      r = await setAmd({ callTaskCode: 'A1', amdThresholds: 'null', amd: '0' });
      t.equal(r.statusCode, 200, r.body);
      t.match(await ta.tasks.byCode('A1'), { amd: 0, amdThresholds: null, amdMachineAction: 'message' });
      r = await setAmd({ callTaskCode: 'A1' });
      t.equal(r.statusCode, 400);
      t.match(r.json().reqResult.msg, /give at least one of amd/);
      r = await setAmd({ callTaskCode: 'NOPE', amd: 1 });
      t.equal(r.statusCode, 404);
    },
  );

  await t.test('callTaskStatus counts machines (resultDetail 60, 61) within the failures', async (t) => {
    await ta.result('A0', '13800000001', 60, 20);
    await ta.result('A0', '13800000002', 61, 20);
    const r = await ta.post(`${TASK_API}/callTaskStatus/v1`, { callTaskCode: 'A0' });
    t.match(r.json().data, { failCount: 2, machineCount: 2, missCount: 0 });
  });
});
