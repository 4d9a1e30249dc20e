// Issue 14.7 and 14.8 against the FreeSWITCH emulator: calling windows pause and resume a running task by
// themselves, retry rules put failed numbers back (within the window, screened by the lists), and setTaskRules
// refuses bad input without storing any of it.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { taskNumbers } from '../../src/db/schema.js';
import { form, FORM } from '../support/app.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { addNumber, gatewayFor, logsOfTask, numberRow, waitFor } from './flows-support.js';

const TASK = '/callcenter/callTask/api';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const post = (h: CallHarness, path: string, fields: Record<string, string | number | undefined>) =>
  h.app.http.inject({
    method: 'POST',
    url: path,
    headers: { ...h.signed(), ...FORM },
    payload: form(fields),
  });
const originated = (h: CallHarness) => h.fs.commands.filter((c) => c.line.includes('originate')).length;

/** A window that is closed now: today's local hours that have already passed (or tomorrow's, near midnight). */
function closedWindow(): object {
  const now = new Date();
  const day = ((now.getUTCDay() + 6) % 7) + 1;
  return { timeZone: 'UTC', days: [day === 7 ? 1 : day + 1], hours: [['00:00', '24:00']] };
}
const openWindow = { timeZone: 'UTC', hours: [['00:00', '24:00']] };

t.test(
  'outside its calling window a running task dials nothing and says so; inside, it resumes by itself',
  async (t) => {
    const h = await startCallHarness({ emulator: { defaultPlaybackMs: 200 } }, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('pw', 1, { register: false });
    const taskId = await h.task({ code: 'tw', projectCode: 'pw', scheduleType: 5, voiceFile: '/v/a.wav' });
    await gatewayFor(h, taskId, 'gwW');
    let r = await post(h, `${TASK}/setTaskRules/v1`, {
      callTaskCode: 'tw',
      callingWindow: JSON.stringify(closedWindow()),
    });
    t.equal(r.statusCode, 200, r.body);
    await addNumber(h, taskId, '13900002001');
    await addNumber(h, taskId, '13900002002');
    const published: unknown[] = [];
    const send = h.app.broker.publish.bind(h.app.broker);
    h.app.broker.publish = (d, b, x) => {
      // The window's messages (the topic also tells why the task is not dialling, issue 17.12).
      if (d === '/topic/task/pw' && typeof b === 'object' && b !== null && 'windowOpen' in b)
        published.push(b);
      return send(d, b, x);
    };
    await pause(400);
    t.equal(originated(h), 0, 'nothing dialled outside the window');
    r = await post(h, `${TASK}/callTaskStatus/v1`, { callTaskCode: 'tw' });
    const status = r.json().data;
    t.match(status, { status: 2, windowOpen: false, callingWindow: { timeZone: 'UTC' }, pendingCount: 2 });
    t.ok(status.windowChangesAt > Date.now(), 'and when it reopens');
    r = await post(h, `${TASK}/setTaskRules/v1`, {
      callTaskCode: 'tw',
      callingWindow: JSON.stringify(openWindow),
    });
    t.equal(r.statusCode, 200);
    await waitFor(async () => (await logsOfTask(h, taskId)).length === 2, 8000);
    t.equal(originated(h), 2, 'dialling resumed inside the window');
    t.same(
      published.map((p) => (p as { windowOpen: boolean }).windowOpen),
      [false, true],
      'managers are told when it paused and when it resumed',
    );
    t.match((await post(h, `${TASK}/callTaskStatus/v1`, { callTaskCode: 'tw' })).json().data, {
      windowOpen: true,
      windowChangesAt: null,
    });
  },
);

t.test('a number whose own zone is outside the window waits while the others are dialled', async (t) => {
  const h = await startCallHarness({ emulator: { defaultPlaybackMs: 200 } }, { dialerTickMs: 50 });
  t.teardown(h.close);
  await h.project('pz', 1, { register: false });
  const taskId = await h.task({ code: 'tz', projectCode: 'pz', scheduleType: 5, voiceFile: '/v/a.wav' });
  await gatewayFor(h, taskId, 'gwZ');
  // Open for three hours around the current UTC hour, in UTC; numbers starting 44 are called at UTC+12, where
  // the same local hours are half a day away.
  const hour = new Date().getUTCHours();
  const hh = (n: number) => `${String(Math.max(0, Math.min(24, n))).padStart(2, '0')}:00`;
  const window = {
    timeZone: 'UTC',
    hours: [[hh(hour - 1), hh(hour + 2)]],
    prefixTimeZones: [{ prefix: '44', timeZone: 'Etc/GMT-12' }],
  };
  const r = await post(h, `${TASK}/setTaskRules/v1`, {
    callTaskCode: 'tz',
    callingWindow: JSON.stringify(window),
  });
  t.equal(r.statusCode, 200, r.body);
  const far = await addNumber(h, taskId, '4413900002003');
  await addNumber(h, taskId, '13900002004');
  await waitFor(async () => (await logsOfTask(h, taskId)).length === 1, 8000);
  await pause(300);
  t.equal(originated(h), 1, 'only the number inside its own window');
  t.match(await numberRow(h, far), { state: 'pending' });
});

t.test(
  'retry rules: busy is retried when due, up to its maximum; a person who answered is never retried; the lists still apply',
  async (t) => {
    const h = await startCallHarness({ emulator: { defaultPlaybackMs: 200 } }, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('pr', 1, { register: false });
    const taskId = await h.task({ code: 'tr', projectCode: 'pr', scheduleType: 5, voiceFile: '/v/a.wav' });
    await gatewayFor(h, taskId, 'gwR');
    const busy = await addNumber(h, taskId, '13900003001');
    const answered = await addNumber(h, taskId, '13900003002');
    const listed = await addNumber(h, taskId, '13900003003');
    for (const p of ['013900003001', '013900003003']) h.fs.setPeer(p, { kind: 'busy' });
    const rules = [{ resultDetail: [20], afterMinutes: 10, maxRetries: 2 }];
    const r = await post(h, `${TASK}/setTaskRules/v1`, {
      callTaskCode: 'tr',
      retryRules: JSON.stringify(rules),
    });
    t.equal(r.statusCode, 200, r.body);
    const dialsOf = (phone: string) =>
      h.fs.commands.filter((c) => c.line.includes(`cc_number=${phone},`)).length;
    const dueNow = () =>
      h.store.db
        .update(taskNumbers)
        .set({ retryAt: Date.now() - 1 })
        .where(eq(taskNumbers.taskId, taskId))
        .run();

    const before = Date.now();
    await waitFor(
      async () => (await numberRow(h, busy))?.retries === 1 && (await numberRow(h, listed))?.retries === 1,
      8000,
    );
    const row = await numberRow(h, busy);
    t.match(row, { state: 'pending', resultDetail: 20 });
    t.ok((row?.retryAt ?? 0) >= before + 600_000 - 1000, 'due 10 minutes later');
    await waitFor(async () => (await numberRow(h, answered))?.state === 'done');
    t.match(await numberRow(h, answered), { resultDetail: 50, retries: 0 }, 'answered: done, no retry');
    await pause(300);
    t.equal(dialsOf('13900003001'), 1, 'not redialled before it is due');
    t.match((await post(h, `${TASK}/callTaskStatus/v1`, { callTaskCode: 'tr' })).json().data, {
      retryPendingCount: 2,
      retryRules: rules,
    });

    await h.app.ctx.repos.dnc.add('pr', ['13900003003'], null, Date.now());
    dueNow();
    await waitFor(async () => (await numberRow(h, busy))?.retries === 2, 8000);
    t.equal(dialsOf('13900003001'), 2, 'redialled once due');
    t.match(
      await numberRow(h, listed),
      { state: 'done', note: /dnc-project/ },
      'a retry is screened by the lists',
    );
    t.equal(dialsOf('13900003003'), 1, 'the listed number was not redialled');
    dueNow();
    await waitFor(
      async () => dialsOf('13900003001') === 3 && (await numberRow(h, busy))?.state === 'done',
      8000,
    );
    await pause(300);
    t.match(
      await numberRow(h, busy),
      { state: 'done', retries: 2, resultDetail: 20 },
      'two retries, then closed',
    );
    t.equal(
      (await logsOfTask(h, taskId)).filter((l) => l.destinationNumber === '13900003001').length,
      3,
      'one log per call',
    );
  },
);

t.test(
  'setTaskRules and submitCallTask refuse bad rules naming the field, storing none of them',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    await h.project('pv', 1, { register: false });
    const taskId = await h.task({ code: 'tv', projectCode: 'pv', scheduleType: 1 });
    await gatewayFor(h, taskId, 'gwV');
    const bad: [Record<string, string | number>, RegExp][] = [
      [{ agentWeight: 0 }, /agentWeight must be at least 1/],
      [{ agentWeight: 3, abandonTarget: 0.05 }, /abandonTarget must be .* at most 0.03/],
      [
        { agentWeight: 3, retryRules: '[{"resultDetail":[50],"afterMinutes":5,"maxRetries":1}]' },
        /retryRules\[0\].resultDetail 50 cannot be retried/,
      ],
      [
        { agentWeight: 3, callingWindow: '{"timeZone":"Nowhere/Land","hours":[["09:00","10:00"]]}' },
        /callingWindow.timeZone/,
      ],
      [{}, /give at least one of agentWeight/],
      [{ callTaskCode: 'nope', agentWeight: 2 }, /callTaskCode nope does not exist/],
    ];
    for (const [fields, msg] of bad) {
      const r = await post(h, `${TASK}/setTaskRules/v1`, { callTaskCode: 'tv', ...fields });
      t.ok(r.statusCode >= 400 && r.statusCode < 500, `${JSON.stringify(fields)} → ${r.statusCode}`);
      t.not(r.json().reqResult.code, 1);
      t.match(r.json().reqResult.msg, msg);
    }
    t.match(await h.app.ctx.repos.tasks.get(taskId), {
      agentWeight: 1,
      abandonTarget: null,
      retryRules: null,
      callingWindow: null,
    });
    const ok = await post(h, `${TASK}/setTaskRules/v1`, {
      callTaskCode: 'tv',
      agentWeight: 2,
      abandonTarget: 0.02,
    });
    t.equal(ok.statusCode, 200, ok.body);
    t.match(await h.app.ctx.repos.tasks.get(taskId), { agentWeight: 2, abandonTarget: 0.02 });
    const { callListId } = await h.app.ctx.services.callLists.create('v');
    const submit = await post(h, `${TASK}/submitCallTask/v1`, {
      callTaskCode: 'tv2',
      scheduleType: 1,
      callType: 1,
      callGWs: '[{"code":"gwV","concurrency":1}]',
      callListId,
      expiredTime: Date.now() + 3_600_000,
      projectCode: 'pv',
      rate: 1,
      retryRules: '[{"resultDetail":[25],"afterMinutes":0,"maxRetries":1}]',
    });
    t.equal(submit.statusCode, 400);
    t.match(submit.json().reqResult.msg, /retryRules\[0\].afterMinutes/);
    t.equal(await h.app.ctx.repos.tasks.byCode('tv2'), undefined, 'no task was created');
  },
);

t.test('retry rules also apply to agent-first calls: a busy customer is due again later', async (t) => {
  const h = await startCallHarness({}, { dialerTickMs: 50 });
  t.teardown(h.close);
  await h.project('pa', 1);
  const taskId = await h.task({ code: 'taf', projectCode: 'pa', scheduleType: 3 });
  await gatewayFor(h, taskId, 'gwAF');
  await h.app.ctx.services.tasks.setRules('taf', {
    retryRules: [{ resultDetail: [20], afterMinutes: 5, maxRetries: 1 }],
  });
  h.fs.setPeer('013900005001', { kind: 'busy' });
  const id = await addNumber(h, taskId, '13900005001');
  const before = Date.now();
  await waitFor(async () => (await numberRow(h, id))?.retries === 1, 8000);
  const row = await numberRow(h, id);
  t.match(row, { state: 'pending', resultDetail: 20 });
  t.ok((row?.retryAt ?? 0) >= before + 300_000 - 1000, 'due five minutes later');
  t.match(await logsOfTask(h, taskId), [{ resultDetail: 20 }], 'the busy call is logged');
});

t.test(
  'a calling window of 40,000 prefixes or 100,000 days is refused naming the field, storing nothing (issue 17.9)',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    await h.project('pz', 1, { register: false });
    const taskId = await h.task({ code: 'tz', projectCode: 'pz', scheduleType: 1 });
    await gatewayFor(h, taskId, 'gwZ');
    const prefixTimeZones = Array.from({ length: 40_000 }, (_, i) => ({
      prefix: String(100_000 + i),
      timeZone: i % 2 ? 'America/New_York' : 'Europe/Paris',
    }));
    const big = { timeZone: 'UTC', hours: [['00:00', '24:00']], prefixTimeZones };
    const r = await post(h, `${TASK}/setTaskRules/v1`, {
      callTaskCode: 'tz',
      callingWindow: JSON.stringify(big),
    });
    t.equal(r.statusCode, 400);
    t.match(r.json().reqResult.msg, /callingWindow.prefixTimeZones may hold at most 2000 prefixes/);
    t.equal((await h.app.ctx.repos.tasks.get(taskId))?.callingWindow, null, 'nothing stored');
    const days = { timeZone: 'UTC', days: Array(100_000).fill(1), hours: [['09:00', '10:00']] };
    const d = await post(h, `${TASK}/setTaskRules/v1`, {
      callTaskCode: 'tz',
      callingWindow: JSON.stringify(days),
    });
    t.equal(d.statusCode, 400);
    t.match(d.json().reqResult.msg, /callingWindow.days may list at most 7/);
  },
);
