// Runs on both stores (tasks-pg.test.ts runs it on PostgreSQL).
import { sql } from 'drizzle-orm';
import t from 'tap';
import { TASK_API, startTaskApp, GWS, TOMORROW, taskBody } from '../support/tasks.js';
import { testStore } from '../support/store.js';

// The fake clock starts at 2026-11-23 08:00 UTC, which is 16:00 in Shanghai.

t.test('submitCallTask', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['13800000001', '13800000002', '13800000003']);
  const base = { callTaskCode: 'T1', ...taskBody(callListId), rate: 1.5 };
  const submit = (fields: Record<string, string | number | undefined>) =>
    ta.post(`${TASK_API}/submitCallTask/v1`, { ...base, ...fields });

  await t.test('given a valid form, the task is created in init with its call list loaded', async (t) => {
    const res = await submit({});
    t.equal(res.statusCode, 200, res.body);
    t.same(res.json().data, { callTaskCode: 'T1', totalCount: 3 });
    const task = await ta.tasks.byCode('T1');
    t.match(task, { status: 1, rate: 1.5, pacing: 'fixed', scheduleType: 1, callType: 1 });
    t.equal(task.expiredTime, Date.UTC(2026, 10, 24, 8), 'the datetime is read in UTC+8');
    t.same(ta.published.sent.at(-1), {
      destination: '/topic/task/p1',
      body: { status: 1, callTaskCode: 'T1' },
    });
    const again = await submit({});
    t.equal(again.statusCode, 409);
    t.match(again.json().reqResult.msg, 'callTaskCode T1 already exists');
  });

  await t.test(
    'a JSON body with callGWs as an array, epoch-ms expiry and adaptive pacing is accepted',
    async (t) => {
      const res = await ta.postJson(`${TASK_API}/submitCallTask/v1`, {
        ...base,
        callTaskCode: 'TJ',
        callGWs: [
          { code: '1001', concurrency: 100 },
          { code: 1002, concurrency: 5000 },
        ],
        callListId: String(callListId),
        expiredTime: Date.UTC(2026, 10, 30),
        pacing: 'adaptive',
        evaluation: 1,
      });
      t.equal(res.statusCode, 200, res.body);
      t.match(await ta.tasks.byCode('TJ'), {
        pacing: 'adaptive',
        evaluation: 1,
        expiredTime: Date.UTC(2026, 10, 30),
      });
    },
  );

  const rules: [string, Record<string, string | number | undefined>, RegExp | string][] = [
    ['a missing callTaskCode', { callTaskCode: undefined }, 'callTaskCode is required'],
    ['an unknown scheduleType', { scheduleType: 6 }, /scheduleType must be one of/],
    ['an unknown callType', { callType: 4 }, /callType must be one of/],
    ['inbound with a predictive schedule', { callType: 3 }, 'scheduleType 1 does not go with callType 3'],
    [
      'predictive with the inbound schedule',
      { scheduleType: 11 },
      'scheduleType 11 does not go with callType 1',
    ],
    [
      'preview with direct-to-agent',
      { callType: 2 },
      'scheduleType 1 does not go with callType 2 (allowed: 3)',
    ],
    ['callGWs that are not JSON', { callGWs: '{nope' }, 'callGWs must be a JSON array'],
    ['an empty callGWs', { callGWs: '[]' }, 'callGWs must be a non-empty JSON array'],
    ['a gateway without code', { callGWs: '[{"concurrency":1}]' }, 'callGWs[0].code is required'],
    [
      'a zero concurrency',
      { callGWs: '[{"code":"1001","concurrency":0}]' },
      'callGWs[0].concurrency must be an integer',
    ],
    [
      'a fractional concurrency',
      { callGWs: '[{"code":"1001","concurrency":1.5}]' },
      'callGWs[0].concurrency must be',
    ],
    [
      'an unknown gateway',
      { callGWs: '[{"code":"9999","concurrency":1}]' },
      'callGWs: gateway 9999 does not exist',
    ],
    [
      'a disabled gateway',
      { callGWs: '[{"code":"1003","concurrency":1}]' },
      'callGWs: gateway 1003 is disabled',
    ],
    ['more than the lines', { callGWs: '[{"code":"1001","concurrency":101}]' }, 'exceeds its 100 lines'],
    [
      'a gateway twice',
      { callGWs: '[{"code":"1001","concurrency":1},{"code":"1001","concurrency":1}]' },
      'callGWs lists gateway 1001 twice',
    ],
    ['a missing call list', { callListId: undefined }, 'callListId is required unless originalCallTaskCode'],
    ['an unknown call list', { callListId: 999 }, 'callListId 999 does not exist'],
    ['a malformed expiredTime', { expiredTime: '2026/11/24' }, 'expiredTime must be yyyy-MM-dd HH:mm:ss'],
    ['an impossible date', { expiredTime: '2026-02-30 10:00:00' }, 'expiredTime must be yyyy-MM-dd HH:mm:ss'],
    ['a past expiredTime', { expiredTime: '2026-11-23 15:59:59' }, 'expiredTime must be in the future'],
    ['an unknown project', { projectCode: 'nope' }, 'projectCode nope is not an active project'],
    ['a zero rate', { rate: 0 }, 'rate must be a number greater than 0 and at most 10'],
    ['a rate above 10', { rate: 10.5 }, 'rate must be a number greater than 0 and at most 10'],
    ['a rate that is not a number', { rate: 'fast' }, 'rate must be a number'],
    ['play-then-agent without a voice', { scheduleType: 2 }, 'voiceCode is required when scheduleType is 2'],
    ['play-only without a voice', { scheduleType: 5 }, 'voiceCode is required when scheduleType is 5'],
    ['an unknown voice', { scheduleType: 5, voiceCode: 'nope' }, 'voiceCode nope does not exist'],
    ['an unknown pacing', { pacing: 'turbo' }, 'pacing must be one of fixed, adaptive'],
    ['an evaluation of 2', { evaluation: 2 }, 'evaluation must be 0 or 1'],
    [
      'a list and a recall together',
      { originalCallTaskCode: 'T1', originalResultDetail: '5' },
      'callListId and originalCallTaskCode/originalResultDetail exclude each other',
    ],
    [
      'a recall without its result list',
      { callListId: undefined, originalCallTaskCode: 'T1' },
      'originalResultDetail is required with originalCallTaskCode',
    ],
    [
      'a recall without its task',
      { callListId: undefined, originalResultDetail: '5' },
      'originalCallTaskCode is required with originalResultDetail',
    ],
    [
      'a recall of an unknown result',
      { callListId: undefined, originalCallTaskCode: 'T1', originalResultDetail: '5,7' },
      'originalResultDetail: 7 is not a resultDetail code',
    ],
    [
      'a recall of an unknown task',
      { callListId: undefined, originalCallTaskCode: 'TX', originalResultDetail: '5' },
      'originalCallTaskCode TX is not a task of this project',
    ],
    [
      'a recall of another project',
      { callListId: undefined, projectCode: 'p2', originalCallTaskCode: 'T1', originalResultDetail: '5' },
      'originalCallTaskCode T1 is not a task of this project',
    ],
  ];
  for (const [name, fields, msg] of rules)
    await t.test(`given ${name}, the task is refused with a 400 naming the field`, async (t) => {
      const res = await submit({
        ...fields,
        callTaskCode: 'callTaskCode' in fields ? fields.callTaskCode : 'BAD',
      });
      t.equal(res.statusCode, 400, res.body);
      t.match(res.json().reqResult.msg, msg);
      t.equal((await ta.tasks.byCode('T1')).callTaskCode, 'T1');
    });
  t.equal(
    (await ta.post(`${TASK_API}/callTaskStatus/v1`, { callTaskCode: 'BAD' })).statusCode,
    404,
    'no refused task was stored',
  );

  await t.test('play-only with a known voice and an inbound task without a list are accepted', async (t) => {
    t.equal((await submit({ callTaskCode: 'TV', scheduleType: 5, voiceCode: 'hello' })).statusCode, 200);
    const inbound = await submit({
      callTaskCode: 'TI',
      scheduleType: 11,
      callType: 3,
      callListId: undefined,
    });
    t.equal(inbound.statusCode, 200, inbound.body);
    t.equal(inbound.json().data.totalCount, 0);
    const preview = await submit({ callTaskCode: 'TP', scheduleType: 3, callType: 2 });
    t.equal(preview.statusCode, 200, preview.body);
  });
});

t.test('the status machine', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['13800000001', '13800000002']);
  t.equal(
    (
      await ta.post(`${TASK_API}/submitCallTask/v1`, {
        callTaskCode: 'S1',
        ...taskBody(callListId),
      })
    ).statusCode,
    200,
  );
  const act = (name: string) => ta.post(`${TASK_API}/${name}/v1`, { callTaskCode: 'S1' });
  const status = async () => (await ta.tasks.byCode('S1')).status;

  await t.test('given a new task, pausing it is refused: it has not started', async (t) => {
    const res = await act('callTaskPause');
    t.equal(res.statusCode, 409);
    t.match(res.json().reqResult.msg, 'task S1 has not started');
  });
  await t.test('start runs it, pause pauses it, start resumes it; each change is published', async (t) => {
    ta.published.sent.length = 0;
    t.equal((await act('callTaskStart')).statusCode, 200);
    t.equal(await status(), 2);
    t.equal((await act('callTaskStart')).statusCode, 200, 'starting a running task changes nothing');
    t.equal((await act('callTaskPause')).statusCode, 200);
    t.equal(await status(), 3);
    t.equal((await act('callTaskStart')).statusCode, 200);
    t.equal(await status(), 2);
    t.same(
      ta.published.sent.map((m) => m.body),
      [2, 3, 2].map((s) => ({ status: s, callTaskCode: 'S1' })),
    );
    t.same(
      ta.changes.filter((c) => c.kind === 'status').map((c) => c.task.status),
      [2, 3, 2],
      'listeners (the dialer) hear each change',
    );
  });
  await t.test(
    'ending closes the pending numbers so they are never dialled, and an ended task stays ended',
    async (t) => {
      t.equal((await act('callTaskEnd')).statusCode, 200);
      t.equal(await status(), 4);
      const s = (await act('callTaskStatus')).json().data;
      t.match(s, { status: 4, totalCount: 2, pendingCount: 0, dialledCount: 0, runningCount: 0 });
      const start = await act('callTaskStart');
      t.equal(start.statusCode, 409);
      t.match(start.json().reqResult.msg, 'task S1 has ended and cannot start again');
      t.equal((await act('callTaskPause')).statusCode, 409);
      t.equal((await act('callTaskEnd')).statusCode, 200, 'ending again is harmless');
      t.equal(await status(), 4);
      const conc = await ta.post(`${TASK_API}/setTaskConcurrent/v1`, {
        callTaskCode: 'S1',
        callGWs: GWS,
        rate: 2,
      });
      t.equal(conc.statusCode, 409);
    },
  );
  await t.test('a task of a finished project cannot start', async (t) => {
    const { callListId: other } = await ta.list(['13800000009']);
    await ta.post(`${TASK_API}/submitCallTask/v1`, {
      callTaskCode: 'S2',
      scheduleType: 1,
      callType: 1,
      callGWs: GWS,
      callListId: other,
      expiredTime: TOMORROW,
      projectCode: 'p1',
      rate: 1,
    });
    await ta.app.ctx.repos.projects.finish(ta.projectId, ta.clock.now());
    const res = await ta.post(`${TASK_API}/callTaskStart/v1`, { callTaskCode: 'S2' });
    t.equal(res.statusCode, 409);
    t.match(res.json().reqResult.msg, 'the project of task S2 has finished');
  });
  await t.test('an unknown task is a 404', async (t) => {
    const res = await ta.post(`${TASK_API}/callTaskStart/v1`, { callTaskCode: 'nope' });
    t.equal(res.statusCode, 404);
    t.match(res.json().reqResult.msg, 'callTaskCode nope does not exist');
  });
});

t.test('expiry, concurrency changes, appends and progress', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId, lastId } = await ta.list(['13800000001', '13800000002']);
  const submit = (code: string, expiredTime: string) =>
    ta.post(`${TASK_API}/submitCallTask/v1`, {
      callTaskCode: code,
      scheduleType: 1,
      callType: 1,
      callGWs: GWS,
      callListId,
      expiredTime,
      projectCode: 'p1',
      rate: 1,
    });
  t.equal((await submit('E1', '2026-11-23 17:00:00')).statusCode, 200);
  t.equal((await submit('E2', TOMORROW)).statusCode, 200);
  await ta.post(`${TASK_API}/callTaskStart/v1`, { callTaskCode: 'E1' });
  await ta.post(`${TASK_API}/callTaskStart/v1`, { callTaskCode: 'E2' });

  await t.test(
    'given a running task, setTaskConcurrent replaces gateways, rate and pacing live',
    async (t) => {
      const res = await ta.post(`${TASK_API}/setTaskConcurrent/v1`, {
        callTaskCode: 'E2',
        callGWs: JSON.stringify([{ code: '1002', concurrency: 7 }]),
        rate: 3,
        pacing: 'adaptive',
      });
      t.equal(res.statusCode, 200, res.body);
      t.match(await ta.tasks.byCode('E2'), { rate: 3, pacing: 'adaptive', status: 2 });
      t.equal(ta.changes.at(-1)?.kind, 'concurrency');
      const bad = await ta.post(`${TASK_API}/setTaskConcurrent/v1`, {
        callTaskCode: 'E2',
        callGWs: GWS,
        rate: 11,
      });
      t.equal(bad.statusCode, 400);
      t.match(bad.json().reqResult.msg, 'rate must be');
    },
  );

  await t.test(
    'when numbers are appended to the list while the task runs, callTaskAdditional adds only the new ones',
    async (t) => {
      const appended = await ta.lists.append(callListId, [
        { position: 1, value: '13800000003' },
        { position: 2, value: '13800000004' },
      ]);
      const res = await ta.post(`${TASK_API}/callTaskAdditional/v1`, {
        callTaskCode: 'E2',
        callListLastId: lastId,
      });
      t.equal(res.statusCode, 200, res.body);
      t.same(res.json().data, { added: 2, lastId: appended.lastId });
      const again = await ta.post(`${TASK_API}/callTaskAdditional/v1`, {
        callTaskCode: 'E2',
        callListLastId: 0,
      });
      t.equal(again.json().data.added, 0, 'numbers the task already has never join twice');
      t.match((await ta.post(`${TASK_API}/callTaskStatus/v1`, { callTaskCode: 'E2' })).json().data, {
        totalCount: 4,
        pendingCount: 4,
        status: 2,
      });
    },
  );

  await t.test('progress counts success, fail and miss from the call results', async (t) => {
    await ta.result('E2', '13800000001', 55);
    await ta.result('E2', '13800000002', 20);
    await ta.result('E2', '13800000003', 10);
    await ta.result('E2', '13800000004', 32);
    const s = (await ta.post(`${TASK_API}/callTaskStatus/v1`, { callTaskCode: 'E2' })).json().data;
    t.match(s, { successCount: 1, failCount: 2, missCount: 1 });
    t.match(await ta.tasks.statusOf(await ta.tasks.byCode('E2')), {
      code: 'E2',
      totalCnt: 4,
      successCnt: 1,
      failCnt: 2,
      rejectCnt: 1,
      missCnt: 1,
      rate: 3,
      status: 2,
      runningCnt: 0,
    });
  });

  await t.test('when its expiredTime passes, a task ends and says so', async (t) => {
    t.same(await ta.tasks.expireDue(ta.clock.now()), [], 'nothing is due yet');
    ta.published.sent.length = 0;
    ta.clock.advance(3600_000);
    t.same(await ta.tasks.expireDue(ta.clock.now()), ['E1']);
    t.equal((await ta.tasks.byCode('E1')).status, 4);
    t.equal((await ta.tasks.byCode('E2')).status, 2);
    t.same(ta.published.sent, [{ destination: '/topic/task/p1', body: { status: 4, callTaskCode: 'E1' } }]);
    t.match((await ta.post(`${TASK_API}/callTaskStatus/v1`, { callTaskCode: 'E1' })).json().data, {
      pendingCount: 0,
      status: 4,
    });
    const add = await ta.post(`${TASK_API}/callTaskAdditional/v1`, { callTaskCode: 'E1', callListLastId: 0 });
    t.equal(add.statusCode, 409, 'an ended task takes no more numbers');
  });
});

t.test('recall', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['1001', '1002', '1003', '1004', '1005']);
  const common = {
    scheduleType: 1,
    callType: 1,
    callGWs: GWS,
    expiredTime: TOMORROW,
    projectCode: 'p1',
    rate: 1,
  };
  await ta.post(`${TASK_API}/submitCallTask/v1`, { ...common, callTaskCode: 'R0', callListId });
  await ta.result('R0', '1001', 5); // not connected
  await ta.result('R0', '1002', 25); // no answer
  await ta.result('R0', '1003', 55); // success
  await ta.result('R0', '1004', 5);
  await ta.result('R0', '1005', 5);
  await ta.result('R0', '1005', 55); // its last result is a success
  // 1004 was reached later by another task of the project.
  const { callListId: other } = await ta.list(['1004']);
  await ta.post(`${TASK_API}/submitCallTask/v1`, { ...common, callTaskCode: 'R1', callListId: other });
  await ta.result('R1', '1004', 50);

  await t.test(
    'given a recall of results 5 and 25, the numbers whose last result matches join, minus later successes',
    async (t) => {
      const res = await ta.post(`${TASK_API}/submitCallTask/v1`, {
        ...common,
        callTaskCode: 'R2',
        originalCallTaskCode: 'R0',
        originalResultDetail: '5, 25',
      });
      t.equal(res.statusCode, 200, res.body);
      t.equal(res.json().data.totalCount, 2);
      const r2 = (await ta.tasks.byCode('R2')).id;
      const phones = (
        await ta.exec<{ phone: string }>(
          sql`select phone from task_numbers where task_id = ${r2} order by id`,
        )
      ).map((r) => r.phone);
      t.same(phones, ['1001', '1002'], '1004 later succeeded in R1 and 1005 last succeeded: both stay out');
      t.match(await ta.tasks.byCode('R2'), {
        callListId: null,
        originalCallTaskCode: 'R0',
        originalResultDetail: '5,25',
      });
      const preview = (await ta.get(`${TASK_API}/getCallList/v1`, { callTaskCode: 'R2', count: 5 })).json();
      t.equal(preview.reqResult.code, 409, 'a predictive task hands out no preview numbers');
      const add = await ta.post(`${TASK_API}/callTaskAdditional/v1`, {
        callTaskCode: 'R2',
        callListLastId: 0,
      });
      t.equal(add.statusCode, 409);
      t.match(add.json().reqResult.msg, 'has no call list');
    },
  );
});

t.test('preview: two agents asking at once never get the same number', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const phones = Array.from({ length: 25 }, (_, i) => `1390000${String(i).padStart(4, '0')}`);
  const { callListId } = await ta.list(phones);
  await ta.post(`${TASK_API}/submitCallTask/v1`, {
    callTaskCode: 'PV',
    scheduleType: 3,
    callType: 2,
    callGWs: GWS,
    callListId,
    expiredTime: TOMORROW,
    projectCode: 'p1',
    rate: 1,
  });
  const ask = (username?: string, count = 4) =>
    ta.get(`${TASK_API}/getCallList/v1`, { callTaskCode: 'PV', count, ...(username ? { username } : {}) });
  const early = await ask('1000');
  t.equal(early.statusCode, 409);
  t.match(early.json().reqResult.msg, 'task PV is not running');
  await ta.post(`${TASK_API}/callTaskStart/v1`, { callTaskCode: 'PV' });

  const answers = await Promise.all([
    ask('1000'),
    ask('1001'),
    ask('1000'),
    ask('1001'),
    ask(),
    ask('1001', 10),
  ]);
  const got = answers.map((r) => r.json().data.items.map((i: { phone: string }) => i.phone) as string[]);
  const all = got.flat();
  t.equal(all.length, 25, 'every number was handed out');
  t.equal(new Set(all).size, 25, 'no number went to two agents');
  if (testStore() === 'sqlite') {
    // SQLite serves the requests one at a time, in order.
    t.same(
      got.slice(0, 5).map((g) => g.length),
      [4, 4, 4, 4, 4],
    );
    t.equal(got[5]?.length, 5, 'the last asker gets what is left');
  } else
    // PostgreSQL serves them side by side: a request skips the numbers another is taking (SKIP LOCKED), so the split
    // varies, but nobody gets more than asked and (above) every number went to exactly one asker.
    t.ok(
      got.every((g, i) => g.length <= (i === 5 ? 10 : 4)),
      'nobody got more than asked',
    );
  t.same((await ask('1000')).json().data, { items: [] }, 'an exhausted task hands out nothing');
  t.match((await ta.post(`${TASK_API}/callTaskStatus/v1`, { callTaskCode: 'PV' })).json().data, {
    previewCount: 25,
    pendingCount: 0,
  });
  const bad = await ta.get(`${TASK_API}/getCallList/v1`, { callTaskCode: 'PV', count: 101 });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().reqResult.msg, 'count must be at most 100');
});
