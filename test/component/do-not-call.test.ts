// Issue 14.6: do-not-call lists over the signed API, screened at dispensing against the FreeSWITCH emulator,
// including numbers appended to a running task and recalls; the call log says why a number was skipped.
import { signOf } from '../../src/api/auth.js';
import t from 'tap';
import { form, FORM } from '../support/app.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { gatewayFor, logsOfTask, setTask, waitFor } from './flows-support.js';

const DNC = '/callcenter/dnc/api';

function api(h: CallHarness) {
  return {
    post: (path: string, fields: Record<string, string | undefined>) =>
      h.app.http.inject({
        method: 'POST',
        url: path,
        headers: { ...h.signed(), ...FORM },
        payload: form(fields),
      }),
    get: (path: string, query: Record<string, string>) =>
      h.app.http.inject({ method: 'GET', url: `${path}?${new URLSearchParams(query)}`, headers: h.signed() }),
    upload(path: string, fields: Record<string, string>, csv: string) {
      const b = '----cc-dnc';
      const parts = Object.entries(fields).map(
        ([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
      );
      parts.push(
        `--${b}\r\nContent-Disposition: form-data; name="file"; filename="dnc.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n`,
      );
      return h.app.http.inject({
        method: 'POST',
        url: path,
        headers: { ...h.signed(), 'content-type': `multipart/form-data; boundary=${b}` },
        payload: `${parts.join('')}--${b}--\r\n`,
      });
    },
  };
}

t.test('do-not-call lists: add, import, check, list and remove, global and per project', async (t) => {
  const h = await startCallHarness();
  t.teardown(h.close);
  await h.project('pd', 1);
  const a = api(h);

  let r = await a.post(`${DNC}/add/v1`, { numbers: '["13900000001","+8613900000002"]', note: 'asked us' });
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json(), { data: { list: 'global', added: 2, alreadyListed: 0 }, reqResult: { code: 1 } });
  r = await a.upload(
    `${DNC}/add/v1`,
    { projectCode: 'pd' },
    'phone,name\r\n13900000003,Li\r\n13900000001,Wang\r\n',
  );
  t.equal(r.statusCode, 200, r.body);
  t.match(r.json().data, { list: 'pd', added: 2 }, 'a CSV header line is skipped');

  r = await a.get(`${DNC}/check/v1`, { phone: '13900000001', projectCode: 'pd' });
  t.match(r.json().data, { blocked: true, lists: ['global', 'pd'] });
  r = await a.get(`${DNC}/check/v1`, { phone: '+13900000003', projectCode: 'pd' });
  t.match(r.json().data, { blocked: true, lists: ['pd'] }, 'a leading + is ignored');
  r = await a.get(`${DNC}/check/v1`, { phone: '13900000003' });
  t.match(r.json().data, { blocked: false, lists: [] }, 'not on the global list');
  r = await a.get(`${DNC}/list/v1`, {});
  t.match(r.json().data, {
    list: 'global',
    total: 2,
    items: [{ phone: '13900000001', note: 'asked us' }, { phone: '8613900000002' }],
  });

  r = await a.post(`${DNC}/remove/v1`, { projectCode: 'pd', numbers: '["13900000003"]' });
  t.match(r.json().data, { list: 'pd', removed: 1 });
  t.match((await a.get(`${DNC}/check/v1`, { phone: '13900000003', projectCode: 'pd' })).json().data, {
    blocked: false,
  });

  // Bad input: 4xx, a message naming the field, and nothing stored.
  const bad: [
    Promise<{ statusCode: number; json(): { reqResult: { code: number; msg: string } } }>,
    RegExp,
  ][] = [
    [
      a.post(`${DNC}/add/v1`, { numbers: '["13900000009","12ab"]' }),
      /numbers: value 2 \("12ab"\) is not a phone number/,
    ],
    [a.post(`${DNC}/add/v1`, { numbers: 'nope' }), /numbers must be a JSON array/],
    [a.post(`${DNC}/add/v1`, { numbers: '[]' }), /numbers must hold at least one/],
    [a.post(`${DNC}/add/v1`, {}), /numbers is required/],
    [
      a.post(`${DNC}/add/v1`, { projectCode: 'nope', numbers: '["13900000009"]' }),
      /projectCode nope does not exist/,
    ],
    [a.upload(`${DNC}/add/v1`, {}, '13900000009\nx1\n'), /numbers: value 2/],
    [a.get(`${DNC}/check/v1`, { phone: 'abc' }), /phone must be digits/],
    [a.get(`${DNC}/check/v1`, {}), /phone is required/],
    [
      a.get(`${DNC}/check/v1`, { phone: '13900000001', projectCode: 'nope' }),
      /projectCode nope does not exist/,
    ],
    [a.get(`${DNC}/list/v1`, { projectCode: 'nope' }), /projectCode nope does not exist/],
    [a.get(`${DNC}/list/v1`, { pageSize: '1001' }), /pageSize must be at most 1000/],
  ];
  for (const [res, msg] of bad) {
    const got = await res;
    t.equal(got.statusCode, 400);
    t.not(got.json().reqResult.code, 1);
    t.match(got.json().reqResult.msg, msg);
  }
  t.match(
    (await a.get(`${DNC}/check/v1`, { phone: '13900000009' })).json().data,
    { blocked: false },
    'nothing half-added',
  );

  // The same signed-request auth as the rest: no signature, or an agent's extension and SIP password, is refused.
  const [agent] = h.app.ctx.services.agents.ofProject('pd').map((x) => x.username);
  const pw = (await h.app.ctx.repos.extensions.byUsername(agent ?? ''))?.password ?? '';
  const ts = String(Date.now());
  for (const headers of [{}, { account: agent ?? '', timestamp: ts, sign: signOf(agent ?? '', ts, pw) }]) {
    const res = await h.app.http.inject({ method: 'GET', url: `${DNC}/list/v1`, headers });
    t.equal(res.statusCode, 401);
    t.equal(res.json().reqResult.code, 401);
  }
});

t.test(
  'a number on a list is never originated: at start, appended to a running task, or in a recall; its call log says why',
  async (t) => {
    const h = await startCallHarness({ emulator: { defaultPlaybackMs: 200 } }, { dialerTickMs: 50 });
    t.teardown(h.close);
    await h.project('px', 1, { register: false });
    const { dnc, tasks, callLists } = {
      dnc: h.app.ctx.repos.dnc,
      tasks: h.app.ctx.services.tasks,
      callLists: h.app.ctx.services.callLists,
    };
    const now = Date.now();
    await dnc.add('', ['13900001001'], null, now);
    await dnc.add('px', ['13900001002'], null, now);
    await dnc.add('other', ['13900001003'], null, now);
    const { callListId } = await callLists.create('x');
    const first = await callLists.append(callListId, [
      { position: 1, value: '13900001001' },
      { position: 2, value: '13900001002' },
      { position: 3, value: '13900001003' },
      { position: 4, value: '13900001004' },
    ]);
    const taskId = await h.task({ code: 'tx', projectCode: 'px', scheduleType: 5, voiceFile: '/v/a.wav' });
    await setTask(h, taskId, { callListId, status: 1 });
    await gatewayFor(h, taskId, 'gwX');
    await tasks.additional('tx', 0);
    h.fs.setPeer('013900001004', { kind: 'busy' });
    await tasks.start('tx');
    const logs = await waitFor(
      async () => ((await logsOfTask(h, taskId)).length === 4 ? await logsOfTask(h, taskId) : undefined),
      8000,
    );
    const dialled = () =>
      h.fs.commands
        .filter((c) => c.line.includes('originate'))
        .map((c) => /cc_number=(\d+)/.exec(c.line)?.[1]);
    t.same(
      dialled().sort(),
      ['13900001003', '13900001004'],
      'only numbers on no list of this project were dialled',
    );
    t.match(
      logs.find((l) => l.destinationNumber === '13900001001'),
      { skipReason: 'dnc-global', result: null },
    );
    t.match(
      logs.find((l) => l.destinationNumber === '13900001002'),
      { skipReason: 'dnc-project', result: null },
    );
    t.match(await tasks.status('tx'), { skippedCount: 2, totalCount: 4 });

    // Appended while the task runs: a number put on the list meanwhile is screened too.
    await dnc.add('px', ['13900001006'], null, Date.now());
    await callLists.append(callListId, [
      { position: 1, value: '13900001005' },
      { position: 2, value: '13900001006' },
    ]);
    await tasks.additional('tx', first.lastId ?? 0);
    await waitFor(async () => (await logsOfTask(h, taskId)).length === 6, 8000);
    t.same(dialled().sort(), ['13900001003', '13900001004', '13900001005']);
    t.match(
      (await logsOfTask(h, taskId)).find((l) => l.destinationNumber === '13900001006'),
      { skipReason: 'dnc-project' },
    );

    // A recall of the busy number after its owner asked not to be called.
    await waitFor(async () => (await logsOfTask(h, taskId)).some((l) => l.resultDetail === 20));
    await dnc.add('', ['13900001004'], null, Date.now());
    const submitted = await tasks.submit({
      callTaskCode: 'tr',
      scheduleType: 5,
      callType: 1,
      callGWs: '[{"code":"gwX","concurrency":2}]',
      expiredTime: Date.now() + 3_600_000,
      projectCode: 'px',
      rate: 1,
      voiceCode: 'v-tx',
      originalCallTaskCode: 'tx',
      originalResultDetail: '20',
    });
    t.equal(submitted.totalCount, 1, 'the recall selects the busy number');
    await tasks.start('tr');
    const recall = (await tasks.byCode('tr')).id;
    await waitFor(async () => (await logsOfTask(h, recall)).length === 1, 8000);
    t.match((await logsOfTask(h, recall))[0], { destinationNumber: '13900001004', skipReason: 'dnc-global' });
    t.equal(dialled().filter((n) => n === '13900001004').length, 1, 'the recall did not dial it again');
    const row = await h.app.ctx.repos.tasks.countsByState(recall);
    t.match(row, { pending: 0, dialing: 0, done: 1 });
  },
);
