import t, { type Test } from 'tap';
import { signOf } from '../../src/api/auth.js';
import { ACCOUNT, SECRET, startTestApp } from '../support/app.js';

const URL = '/freeswitch/gateway/api/getAvailableList/v1';

t.test('signed requests', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const get = (headers: Record<string, string>, remoteAddress?: string) =>
    ta.app.http.inject({ method: 'GET', url: URL, headers, remoteAddress });
  const refused = async (
    t: Test,
    headers: Record<string, string>,
    status: number,
    msg: RegExp,
    remoteAddress?: string,
  ) => {
    const res = await get(headers, remoteAddress);
    t.equal(res.statusCode, status);
    const body = res.json();
    t.not(body.reqResult.code, 1);
    t.match(body.reqResult.msg, msg);
    t.notOk(body.data);
  };

  await t.test('given a correct sign, the request is served', async (t) => {
    const res = await get(ta.signed());
    t.equal(res.statusCode, 200);
    t.same(res.json(), { data: [], reqResult: { code: 1, msg: '成功' } });
    t.match(res.headers['content-type'], /application\/json;charset=UTF-8/);
  });

  await t.test('an upper-case hex sign is accepted', async (t) => {
    const h = ta.signed();
    const res = await get({ ...h, sign: h.sign.toUpperCase() });
    t.equal(res.statusCode, 200);
  });

  for (const missing of ['account', 'timestamp', 'sign']) {
    await t.test(`without the ${missing} header, the request is refused naming it`, async (t) => {
      const h = ta.signed();
      delete h[missing];
      await refused(t, h, 401, new RegExp(`${missing} header is required`));
    });
  }

  await t.test('a timestamp that is not milliseconds is refused as malformed', async (t) => {
    await refused(
      t,
      { ...ta.signed(), timestamp: '2026-11-23' },
      400,
      /timestamp header must be milliseconds/,
    );
  });

  await t.test('a malformed sign is refused as malformed', async (t) => {
    await refused(t, { ...ta.signed(), sign: 'xyz' }, 400, /sign header must be 32 hex/);
  });

  await t.test('a timestamp older than five minutes is refused (replay)', async (t) => {
    const timestamp = String(ta.clock.now() - 5 * 60_000 - 1);
    await refused(
      t,
      { account: ACCOUNT, timestamp, sign: signOf(ACCOUNT, timestamp, SECRET) },
      401,
      /outside the allowed window of ±300 s/,
    );
  });

  await t.test('a timestamp more than five minutes ahead is refused too', async (t) => {
    const timestamp = String(ta.clock.now() + 5 * 60_000 + 1);
    await refused(
      t,
      { account: ACCOUNT, timestamp, sign: signOf(ACCOUNT, timestamp, SECRET) },
      401,
      /outside the allowed window/,
    );
  });

  await t.test('a timestamp just inside the window is accepted', async (t) => {
    const timestamp = String(ta.clock.now() - 5 * 60_000 + 1000);
    const res = await get({ account: ACCOUNT, timestamp, sign: signOf(ACCOUNT, timestamp, SECRET) });
    t.equal(res.statusCode, 200);
  });

  await t.test('a wrong sign is refused', async (t) => {
    const timestamp = String(ta.clock.now());
    await refused(
      t,
      { account: ACCOUNT, timestamp, sign: signOf(ACCOUNT, timestamp, 'wrong-secret') },
      401,
      /sign does not match/,
    );
  });

  await t.test('an unknown account is refused', async (t) => {
    const timestamp = String(ta.clock.now());
    await refused(
      t,
      { account: 'nobody', timestamp, sign: signOf('nobody', timestamp, SECRET) },
      401,
      /account is unknown/,
    );
  });

  await t.test('a disabled account is refused', async (t) => {
    await ta.app.ctx.repos.accounts.update(ACCOUNT, { status: 0 }, ta.clock.now());
    t.teardown(
      async () => void (await ta.app.ctx.repos.accounts.update(ACCOUNT, { status: 1 }, ta.clock.now())),
    );
    await refused(t, ta.signed(), 403, /account is disabled/);
  });

  await t.test('an expired account is refused', async (t) => {
    await ta.app.ctx.repos.accounts.update(ACCOUNT, { expiresAt: ta.clock.now() - 1 }, ta.clock.now());
    t.teardown(
      async () => void (await ta.app.ctx.repos.accounts.update(ACCOUNT, { expiresAt: null }, ta.clock.now())),
    );
    await refused(t, ta.signed(), 403, /account has expired/);
  });

  await t.test(
    'with an IP allowlist, other client addresses are refused and listed ones served',
    async (t) => {
      await ta.app.ctx.repos.accounts.update(ACCOUNT, { ipAllowlist: '10.1.2.3, 127.0.0.1' }, ta.clock.now());
      t.teardown(
        async () =>
          void (await ta.app.ctx.repos.accounts.update(ACCOUNT, { ipAllowlist: '' }, ta.clock.now())),
      );
      await refused(t, ta.signed(), 403, /client address 192.0.2.9 is not allowed/, '192.0.2.9');
      t.equal((await get(ta.signed(), '10.1.2.3')).statusCode, 200);
    },
  );

  await t.test('health and docs need no signature; unknown routes get the envelope', async (t) => {
    t.equal((await ta.app.http.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    const docs = await ta.app.http.inject({ method: 'GET', url: '/docs/json' });
    t.equal(docs.statusCode, 200);
    t.ok(docs.json().paths['/freeswitch/gateway/api/add/v1'], 'OpenAPI documents the gateway routes');
    const res = await ta.app.http.inject({ method: 'POST', url: '/callcenter/nothing/here' });
    t.equal(res.statusCode, 404);
    t.same(res.json(), { reqResult: { code: 404, msg: 'no such endpoint: POST /callcenter/nothing/here' } });
  });
});
