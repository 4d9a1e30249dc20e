import t from 'tap';
import { LIST_API, startTaskApp } from '../support/tasks.js';

const NOT_A_PHONE = 'not a phone number (digits, optional leading +, ≤ 20; spaces, -, . and () are dropped)';

const multipartBody = (fields: Record<string, string>, file?: { name: string; content: string }) => {
  const boundary = '----cc-test-boundary';
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  if (file)
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n${file.content}\r\n`,
    );
  return {
    payload: `${parts.join('')}--${boundary}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
};

t.test('call lists', async (t) => {
  const ta = await startTaskApp();
  t.teardown(ta.close);
  const upload = (fields: Record<string, string>, file?: { name: string; content: string }) => {
    const { payload, headers } = multipartBody(fields, file);
    return ta.app.http.inject({
      method: 'POST',
      url: `${LIST_API}/append/v1`,
      headers: { ...ta.signed(), ...headers },
      payload,
    });
  };

  const created = await ta.post(`${LIST_API}/create/v1`, { name: 'november' });
  t.equal(created.statusCode, 200, created.body);
  const callListId: number = created.json().data.callListId;
  t.type(callListId, 'number');

  await t.test(
    'given a JSON array in a form field, good numbers are kept and bad ones reported by position',
    async (t) => {
      const res = await ta.post(`${LIST_API}/append/v1`, {
        callListId,
        numbers: JSON.stringify([
          '13800000001',
          '+8613800000002',
          '138-00ab',
          '13800000001',
          13800000003,
          '123456789012345678901',
        ]),
      });
      t.equal(res.statusCode, 200, res.body);
      const data = res.json().data;
      t.match(data, { callListId, accepted: 3 });
      t.type(data.lastId, 'number');
      t.same(data.rejected, [
        { position: 3, value: '138-00ab', reason: NOT_A_PHONE },
        { position: 4, value: '13800000001', reason: 'duplicate in the call list' },
        {
          position: 6,
          value: '123456789012345678901',
          reason: NOT_A_PHONE,
        },
      ]);
    },
  );

  await t.test(
    'a JSON body with an array works, and numbers already in the list are duplicates',
    async (t) => {
      const res = await ta.postJson(`${LIST_API}/append/v1`, {
        callListId,
        numbers: ['13800000003', '13800000004'],
      });
      t.equal(res.statusCode, 200, res.body);
      t.match(res.json().data, {
        accepted: 1,
        rejected: [{ position: 1, value: '13800000003', reason: 'duplicate in the call list' }],
      });
    },
  );

  await t.test('given a CSV upload, bad and duplicate lines are reported by line number', async (t) => {
    const csv =
      '\uFEFF13900000001,Alice\r\n13900000002;Bob\r\n\r\nnot-a-number,x\r\n"13900000001",again\r\n13800000004\r\n13900000003\n';
    const res = await upload({ callListId: String(callListId) }, { name: 'numbers.csv', content: csv });
    t.equal(res.statusCode, 200, res.body);
    const data = res.json().data;
    t.match(data, { callListId, accepted: 3 });
    t.same(data.rejected, [
      { position: 4, value: 'not-a-number', reason: NOT_A_PHONE },
      { position: 5, value: '13900000001', reason: 'duplicate in the call list' },
      { position: 6, value: '13800000004', reason: 'duplicate in the call list' },
    ]);
    const before = data.lastId as number;
    const more = await upload(
      { callListId: String(callListId) },
      { name: 'more.csv', content: '13900000009\n' },
    );
    t.ok(
      more.json().data.lastId > before,
      'lastId grows with each append, so callListLastId can mark a point',
    );
  });

  await t.test(
    'an upload without file or list, an unknown list and a bad numbers field are refused',
    async (t) => {
      const noFile = await upload({ callListId: String(callListId) });
      t.equal(noFile.statusCode, 400);
      t.match(noFile.json().reqResult.msg, 'file is required');
      const noList = await upload({}, { name: 'a.csv', content: '1\n' });
      t.equal(noList.statusCode, 400);
      t.match(noList.json().reqResult.msg, 'callListId is required');
      const unknown = await ta.post(`${LIST_API}/append/v1`, { callListId: 999, numbers: '["1"]' });
      t.equal(unknown.statusCode, 404);
      t.match(unknown.json().reqResult.msg, 'callListId 999 does not exist');
      const notArray = await ta.post(`${LIST_API}/append/v1`, { callListId, numbers: '{"a":1}' });
      t.equal(notArray.statusCode, 400);
      t.match(notArray.json().reqResult.msg, 'numbers must be a JSON array');
      const notJson = await ta.post(`${LIST_API}/append/v1`, { callListId, numbers: '[1,' });
      t.match(notJson.json().reqResult.msg, 'numbers must be a JSON array');
      const missing = await ta.post(`${LIST_API}/append/v1`, { callListId });
      t.equal(missing.statusCode, 400);
      t.match(missing.json().reqResult.msg, 'numbers is required');
    },
  );

  await t.test('unsigned requests are refused like the rest of the API', async (t) => {
    const res = await ta.app.http.inject({ method: 'POST', url: `${LIST_API}/create/v1`, payload: {} });
    t.equal(res.statusCode, 401);
    t.match(res.json().reqResult.msg, 'account header is required');
  });
});
