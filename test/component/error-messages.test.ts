// Issue #17 item 15: errors that help. Every bad field of a request is named, a pattern says the format, a
// timestamp in seconds is recognised as such, a CSV header is no rejected number, grouped numbers are read.
import t from 'tap';
import { TASK_API, startTaskApp, taskBody } from '../support/tasks.js';
import { FORM, form } from '../support/app.js';

t.test('a submit with several bad fields names every one of them', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['13800000001']);
  const base = { callTaskCode: 'T1', ...taskBody(callListId), rate: 1.5 };
  const submit = (fields: Record<string, string | number | undefined>) =>
    ta.post(`${TASK_API}/submitCallTask/v1`, { ...base, ...fields });

  const schema = await submit({
    scheduleType: 9,
    callType: 7,
    rate: 'fast',
    callListId: 'x1',
    evaluation: 5,
    projectCode: undefined,
  });
  t.equal(schema.statusCode, 400);
  const msg = schema.json().reqResult.msg as string;
  for (const part of [
    'scheduleType must be one of',
    'callType must be one of 1, 2, 3',
    'rate must be a number',
    'callListId must be made of digits only',
    'evaluation must be 0 or 1',
    'projectCode is required',
  ])
    t.match(msg, part, part);

  const semantic = await submit({
    projectCode: 'nope',
    callGWs: '[{"code":"1001","concurrency":0}]',
    rate: 50,
    expiredTime: '2020-01-01 00:00:00',
    scheduleType: 2,
  });
  t.equal(semantic.statusCode, 400);
  const msg2 = semantic.json().reqResult.msg as string;
  for (const part of [
    'projectCode nope is not an active project',
    'callGWs[0].concurrency must be an integer greater than 0',
    'rate must be a number greater than 0 and at most 10',
    'expiredTime must be in the future',
    'voiceCode is required when scheduleType is 2',
  ])
    t.match(msg2, part, part);
  t.equal(await ta.app.ctx.repos.tasks.byCode('T1'), undefined, 'nothing stored');
});

t.test('a callTaskCode with spaces is refused at submit, saying what a code may hold', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const { callListId } = await ta.list(['13800000001']);
  const res = await ta.post(`${TASK_API}/submitCallTask/v1`, {
    callTaskCode: 'spring campaign',
    ...taskBody(callListId),
  });
  t.equal(res.statusCode, 400);
  t.match(res.json().reqResult.msg, `callTaskCode must be text without whitespace, {, }, ', " or \\`);
  t.equal(await ta.app.ctx.repos.tasks.byCode('spring campaign'), undefined);
});

t.test('a projectCode in the wrong format is told the format', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const res = await ta.post('/callcenter/callProject/api/createProject/v1', { projectCode: 'p 1', seats: 1 });
  t.equal(res.statusCode, 400);
  t.match(res.json().reqResult.msg, 'projectCode must be made of letters, digits, _ and - only');
});

t.test('a timestamp in seconds gets a hint that milliseconds are expected', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const seconds = String(Math.floor(ta.clock.now() / 1000));
  const res = await ta.app.http.inject({
    method: 'GET',
    url: '/freeswitch/gateway/api/getAvailableList/v1',
    headers: ta.signed({ timestamp: seconds }),
  });
  t.equal(res.statusCode, 401);
  t.match(res.json().reqResult.msg, /outside the allowed window.*looks like seconds.*milliseconds/);
  const stale = await ta.app.http.inject({
    method: 'GET',
    url: '/freeswitch/gateway/api/getAvailableList/v1',
    headers: ta.signed({ timestamp: String(ta.clock.now() - 3_600_000) }),
  });
  t.notMatch(stale.json().reqResult.msg, /seconds,/, 'a merely stale one gets no such hint');
});

t.test(
  'call-list CSVs: the header row is not a rejected number, grouped numbers are normalised',
  async (t) => {
    const ta = await startTaskApp();
    t.teardown(ta.close);
    const { callListId } = await ta.lists.create('csv');
    const boundary = 'b0undary';
    const csv =
      'phone,name\n+86 138 0000 0005,Li\n138-0000-0006,Wang\n(010) 8888 6666,Zhao\nnot a number,X\n';
    const res = await ta.app.http.inject({
      method: 'POST',
      url: '/callcenter/callList/api/append/v1',
      headers: { ...ta.signed(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload:
        `--${boundary}\r\nContent-Disposition: form-data; name="callListId"\r\n\r\n${callListId}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="n.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
    });
    t.equal(res.statusCode, 200, res.body);
    const data = res.json().data as { accepted: number; rejected: { position: number; value: string }[] };
    t.equal(data.accepted, 3);
    t.same(
      data.rejected.map((r) => r.position),
      [5],
      'only "not a number" is rejected: not the header (line 1)',
    );
    t.same(
      (await ta.app.ctx.repos.callLists.numbersAfter(callListId, 0)).map((r) => r.phone),
      ['+8613800000005', '13800000006', '01088886666'],
    );
    const json = await ta.post('/callcenter/callList/api/append/v1', {
      callListId,
      numbers: JSON.stringify(['+86 138 0000 0007']),
    });
    t.equal(json.json().data.accepted, 1, 'a grouped number in a JSON array too');
  },
);

t.test('do-not-call: a grouped number is listed and checked by its digits', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const add = await ta.app.http.inject({
    method: 'POST',
    url: '/callcenter/dnc/api/add/v1',
    headers: { ...ta.signed(), ...FORM },
    payload: form({ numbers: JSON.stringify(['+86 138 0000 0005']) }),
  });
  t.equal(add.statusCode, 200, add.body);
  const check = await ta.app.http.inject({
    method: 'GET',
    url: `/callcenter/dnc/api/check/v1?phone=${encodeURIComponent('8613800000005')}`,
    headers: ta.signed(),
  });
  t.equal(check.json().data.blocked, true);
});
