// Issue #12 (security and input hardening), the HTTP side: parameters that are not what they claim to be, names
// that are not the spec's, and what a refused request leaves behind (nothing).
import t, { type Test } from 'tap';
import { parseXml, type XmlElement } from '../../src/switch/cdr-xml.js';
import { FsHttpPath } from '../../src/core/freeswitch.js';
import { gateways, projects } from '../../src/db/schema.js';
import { strictSignOf } from '../../src/api/strict-sign.js';
import { loggerOptions } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { APPEND_CHUNK } from '../../src/dialer/call-lists.js';
import { ACCOUNT, FORM, form, fsAuth, SECRET, startTestApp, type TestApp } from '../support/app.js';

const P = '/callcenter/callProject/api';
const GW = '/freeswitch/gateway/api';

async function app(t: Test): Promise<TestApp> {
  const ta = await startTestApp();
  t.teardown(ta.close);
  return ta;
}

const post = (ta: TestApp, url: string, fields: Record<string, string | number>) =>
  ta.app.http.inject({ method: 'POST', url, headers: { ...ta.signed(), ...FORM }, payload: form(fields) });
const get = (ta: TestApp, url: string) => ta.app.http.inject({ method: 'GET', url, headers: ta.signed() });
const msg = (r: { body: string }) => (JSON.parse(r.body) as { reqResult: { msg: string } }).reqResult.msg;

t.test(
  'numbers that are not numbers are refused with 400 naming the field, and nothing is stored',
  async (t) => {
    const ta = await app(t);
    for (const seats of ['-Infinity', 'Infinity', '1e400', '9'.repeat(400), '0x10', '1e3', 'NaN', '3.0e0']) {
      const r = await post(ta, `${P}/createProject/v1`, { projectCode: 'p1', seats });
      t.equal(r.statusCode, 400, `seats=${seats.slice(0, 20)}`);
      t.match(msg(r), /^seats must be/);
    }
    const json = await ta.app.http.inject({
      method: 'POST',
      url: `${P}/createProject/v1`,
      headers: { ...ta.signed(), 'content-type': 'application/json' },
      payload: '{"projectCode":"p1","seats":1e400}',
    });
    t.equal(json.statusCode, 400, 'a JSON number that overflows to Infinity');
    t.equal(ta.store.db.select().from(projects).all().length, 0, 'no project was stored');

    const gateway = { gwName: 'g', registerType: 2, realm: '10.0.0.1', billType: 2, billsec: 6, status: 1 };
    for (const [field, value] of [
      ['price', 'Infinity'],
      ['price', '-Infinity'],
      ['price', '1e308'],
      ['accountBalance', '-1e400'],
      ['expectCount', '1e17'],
      ['callLimit', '99999999999999999999'],
    ] as const) {
      const r = await post(ta, `${GW}/add/v1`, { ...gateway, price: 1, expectCount: 1, [field]: value });
      t.equal(r.statusCode, 400, `${field}=${value}`);
      t.match(msg(r), new RegExp(`^${field} must be`));
    }
    t.equal(ta.store.db.select().from(gateways).all().length, 0, 'no gateway was stored');

    for (const [query, field] of [
      ['pageSize=1e400', 'pageSize'],
      ['pageSize=-1', 'pageSize'],
      ['pageNum=1e17', 'pageNum'],
      ['pageNum=100000000000000000', 'pageNum'],
      ['pageNum=1000001', 'pageNum'],
    ] as const) {
      const r = await get(ta, `${GW}/getList/v1?${query}`);
      t.equal(r.statusCode, 400, query);
      t.match(msg(r), new RegExp(`^${field} must be`));
    }
    t.equal(
      (await get(ta, `${GW}/getList/v1?pageNum=1000000&pageSize=500`)).statusCode,
      200,
      'the last page',
    );
  },
);

t.test('a parameter the spec does not name is refused, a case slip with a hint', async (t) => {
  const ta = await app(t);
  await ta.app.ctx.services.projects.createProject('p1', 1);
  const [agent] = ta.app.ctx.services.agents.ofProject('p1').map((a) => a.username);
  const slip = await post(ta, `${P}/setWorkStatus/v1`, { username: agent, workstatus: 0 });
  t.equal(slip.statusCode, 400);
  t.equal(msg(slip), 'workstatus is not a known parameter (did you mean workStatus?)');
  t.equal(ta.app.ctx.services.agents.get(agent)?.state.workStatus, 0, 'the agent was not toggled');
  const extra = await get(ta, `${GW}/getList/v1?pageNum=1&debug=1`);
  t.equal(extra.statusCode, 400);
  t.equal(msg(extra), 'debug is not a known parameter');
});

t.test(
  'given FreeSWITCH down, disabling an extension succeeds, a retry keeps it disabled, and the node gets the disconnect when it is back',
  async (t) => {
    let up = false;
    const done: string[] = [];
    const ta = await startTestApp(
      {},
      {
        switchControl: {
          async hangupExtensionCalls(_node, username) {
            if (!up) throw new Error('no link to FreeSWITCH node 1');
            done.push(`hangup ${username}`);
          },
          async flushRegistration(_node, username) {
            done.push(`flush ${username}`);
          },
        },
      },
    );
    t.teardown(ta.close);
    await ta.app.ctx.services.projects.createProject('p1', 1);
    const [agent] = ta.app.ctx.services.agents.ofProject('p1').map((a) => a.username);
    const disable = () => post(ta, `${P}/setExtensionStatus/v1`, { username: agent, workStatus: -1 });
    const first = await disable();
    t.equal(first.statusCode, 200, 'the disable is done on our side');
    t.match(JSON.parse(first.body).data, { username: agent, workStatus: -1, switchPending: true });
    const retry = await disable();
    t.equal(retry.statusCode, 200);
    t.equal(JSON.parse(retry.body).data.workStatus, -1, 'a retry with the target does not toggle it back on');
    t.equal((await ta.app.ctx.repos.extensions.byUsername(agent))?.workStatus, -1);
    t.same(done, []);
    up = true;
    await ta.app.ctx.services.projects.retryDisconnects((await ta.app.ctx.repos.nodes.active())[0]!.id);
    t.same(done, [`hangup ${agent}`, `flush ${agent}`], 'the queued disconnect ran once the node answered');
    t.equal(ta.app.ctx.services.projects.pendingSwitchWork().size, 0);
  },
);

t.test('hostile gateway fields are refused on input and escaped on output into sofia.conf', async (t) => {
  const ta = await app(t);
  const gateway = {
    gwName: 'g',
    registerType: 1,
    realm: '10.0.0.1',
    billType: 2,
    billsec: 6,
    price: 1,
    status: 1,
    expectCount: 1,
    returnVisit: 0,
  };
  for (const [field, value] of [
    ['password', 'pw$${cc_sip_ip}'],
    ['username', 'user${sofia_profile_name}'],
    ['password', 'a\u0001b'],
    ['username', 'line\nbreak'],
    ['gwName', 'tab\there'],
  ] as const) {
    const r = await post(ta, `${GW}/add/v1`, { ...gateway, username: 'u', password: 'p', [field]: value });
    t.equal(r.statusCode, 400, `${field}=${JSON.stringify(value)}`);
    t.match(msg(r), new RegExp(`^${field} `));
  }
  t.equal(ta.store.db.select().from(gateways).all().length, 0);

  // A row stored before the validation existed (or written by another tool) is still served safely.
  const hostile = { username: 'u"/><param name="x', password: 'p$${cc_sip_ip}&<\u0001>' };
  await ta.app.ctx.repos.gateways.insert(
    {
      gwCode: 'gw1',
      gwName: 'g',
      registerType: 1,
      originationCallId: null,
      codec: null,
      mobilePhonePrefix: null,
      fixedPhonePrefix: null,
      realm: '10.0.0.1',
      ...hostile,
      remark: null,
      callLimit: null,
      billType: 2,
      billsec: 6,
      priceFen: 10,
      status: 1,
      expectCount: 1,
      returnVisit: 0,
      accountBalanceFen: null,
      rechargedAmountFen: null,
    },
    ta.clock.now(),
  );
  const res = await ta.app.http.inject({
    method: 'POST',
    url: FsHttpPath.xmlCurlConfiguration,
    headers: { ...FORM, ...fsAuth() },
    payload: form({ section: 'configuration', key_value: 'sofia.conf', profile: 'external' }),
  });
  t.equal(res.statusCode, 200);
  t.notMatch(res.body, /\$\$\{cc_sip_ip\}&/, 'no $${...} of ours reaches the pre-processor');
  // eslint-disable-next-line no-control-regex -- looking for control characters
  t.notMatch(res.body, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/, 'no control character');
  const doc = parseXml(res.body.replace(/^<\?xml[^>]*\?>/, ''));
  t.ok(doc.ok, 'the document is well-formed XML');
  const params: Record<string, string> = {};
  const walk = (el: XmlElement) => {
    if (el.name === 'gateway')
      for (const p of el.children) if (p.name === 'param') params[p.attrs.name!] = p.attrs.value!;
    el.children.forEach(walk);
  };
  if (doc.ok) walk(doc.value);
  t.same(
    { username: params.username, password: params.password },
    { username: hostile.username, password: 'p$${cc_sip_ip}&<>' },
    'FreeSWITCH reads the values back as written (control characters dropped)',
  );
});

t.test(
  'replay: the spec’s sign still works, and a strict account’s requests cannot be replayed or moved',
  async (t) => {
    const ta = await app(t);
    // The spec's scheme: one signed header set serves any request within the window (documented, unchanged).
    const h = ta.signed();
    t.equal(
      (await ta.app.http.inject({ method: 'GET', url: `${GW}/getList/v1`, headers: h })).statusCode,
      200,
    );
    t.equal(
      (await ta.app.http.inject({ method: 'GET', url: `${GW}/getList/v1`, headers: h })).statusCode,
      200,
    );

    await ta.app.ctx.repos.accounts.update(ACCOUNT, { signMode: 'strict' }, ta.clock.now());
    let n = 0;
    const strictHeaders = (method: string, target: string, body = '') => {
      const timestamp = String(ta.clock.now());
      const nonce = `nonce-${String(++n).padStart(12, '0')}`;
      const sign = strictSignOf(SECRET, {
        account: ACCOUNT,
        timestamp,
        nonce,
        method,
        target,
        body: Buffer.from(body),
      });
      return { account: ACCOUNT, timestamp, nonce, sign };
    };
    const md5 = await ta.app.http.inject({ method: 'GET', url: `${GW}/getList/v1`, headers: ta.signed() });
    t.equal(md5.statusCode, 400, 'the spec’s MD5 sign is not enough for a strict account');
    t.match(msg(md5), /HMAC-SHA256/);

    const target = `${GW}/getList/v1?pageNum=1`;
    const signed = strictHeaders('GET', target);
    t.equal((await ta.app.http.inject({ method: 'GET', url: target, headers: signed })).statusCode, 200);
    const replay = await ta.app.http.inject({ method: 'GET', url: target, headers: signed });
    t.equal(replay.statusCode, 401, 'the same request again');
    t.match(msg(replay), /nonce was already used/);

    const forGet = strictHeaders('GET', target);
    const moved = await ta.app.http.inject({
      method: 'POST',
      url: `${P}/createProject/v1`,
      headers: { ...forGet, ...FORM },
      payload: form({ projectCode: 'p1', seats: 1 }),
    });
    t.equal(moved.statusCode, 401, 'headers signed for a GET do not create a project');
    t.match(msg(moved), /sign does not match/);

    const body = form({ projectCode: 'p1', seats: 1 });
    const tampered = await ta.app.http.inject({
      method: 'POST',
      url: `${P}/createProject/v1`,
      headers: { ...strictHeaders('POST', `${P}/createProject/v1`, body), ...FORM },
      payload: form({ projectCode: 'p1', seats: 2 }),
    });
    t.equal(tampered.statusCode, 401, 'a changed body');
    t.equal(ta.store.db.select().from(projects).all().length, 0, 'nothing was created');

    const good = await ta.app.http.inject({
      method: 'POST',
      url: `${P}/createProject/v1`,
      headers: { ...strictHeaders('POST', `${P}/createProject/v1`, body), ...FORM },
      payload: body,
    });
    t.equal(good.statusCode, 200, 'a correctly signed request');
    t.equal(ta.store.db.select().from(projects).all().length, 1);
  },
);

t.test('a malformed multipart body on append or uploadVoiceFile is a 400, not a 500', async (t) => {
  const ta = await app(t);
  const part = (name: string, value: string, filename?: string) =>
    `--xyz\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}`;
  const bodies: Array<[string, string]> = [
    ['multipart/form-data', 'no boundary at all'],
    ['multipart/form-data; boundary=xyz', 'garbage without a boundary line'],
    ['multipart/form-data; boundary=xyz', `${part('callListId', '1')}\r\n${part('file', '123', 'a.csv')}`],
    ['multipart/form-data; boundary=xyz', '--xyz\r\nthis is not a header\r\n\r\nx\r\n--xyz--'],
  ];
  for (const url of ['/callcenter/callList/api/append/v1', '/callcenter/callProject/api/uploadVoiceFile/v1'])
    for (const [type, payload] of bodies) {
      const r = await ta.app.http.inject({
        method: 'POST',
        url,
        headers: { ...ta.signed(), 'content-type': type },
        payload,
      });
      t.ok(
        r.statusCode >= 400 && r.statusCode < 500,
        `${url.split('/').at(-2)} ${JSON.stringify(payload).slice(0, 30)}: ${r.statusCode} ${msg(r)}`,
      );
    }
});

t.test('issue #17: secrets nested one level down in a log object are redacted too', async (t) => {
  const lines: string[] = [];
  const stream = { write: (line: string) => void lines.push(line) };
  const ta = await startTestApp({}, { logger: { ...loggerOptions(testConfig()), level: 'info', stream } });
  t.teardown(ta.close);
  ta.app.http.log.info(
    { gateway: { gwCode: 'g1', password: 'carrier-pw' }, node: { eslPassword: 'esl-pw' }, password: 'top' },
    'row',
  );
  const log = lines.join('');
  t.match(log, /"gwCode":"g1"/);
  t.notMatch(log, /carrier-pw|esl-pw|top"/);
});

t.test('the certificate never reaches the request log', async (t) => {
  // Requests are debug lines (issue #17).
  const lines: string[] = [];
  const stream = { write: (line: string) => void lines.push(line) };
  const ta = await startTestApp({}, { logger: { ...loggerOptions(testConfig()), level: 'debug', stream } });
  t.teardown(ta.close);
  const { certificate, managerCertificate } = await ta.app.ctx.services.projects.createProject('p1', 1);
  await get(ta, `${P}/getByCertificate/v1?type=2&certificate=${certificate}`);
  await get(ta, `${P}/getByCertificate/v1?certificate=${managerCertificate}&type=3`);
  await ta.app.http.inject({
    method: 'POST',
    url: '/callcenter/console/claim',
    payload: { certificate, type: 2 },
  });
  const log = lines.join('');
  t.match(log, /getByCertificate/, 'the requests were logged');
  t.match(log, /certificate=\[redacted\]/);
  t.notMatch(log, certificate, 'but not the certificate');
  t.notMatch(log, managerCertificate);
});

t.test('failed console logins are logged and lock the login out from every address', async (t) => {
  const lines: string[] = [];
  const ta = await startTestApp(
    {},
    { logger: { level: 'warn', stream: { write: (l: string) => void lines.push(l) } }, pages: true },
  );
  t.teardown(ta.close);
  await ta.app.ctx.services.projects.createProject('p1', 1);
  const [agent] = ta.app.ctx.services.agents.ofProject('p1').map((a) => a.username);
  const pw = (await ta.app.ctx.repos.extensions.byUsername(agent))!.password;
  const status = async (password: string, remoteAddress = '127.0.0.1') =>
    (
      await ta.app.http.inject({
        method: 'GET',
        url: '/callcenter/console/status',
        remoteAddress,
        headers: { authorization: `Basic ${Buffer.from(`${agent}:${password}`).toString('base64')}` },
      })
    ).statusCode;
  for (let i = 0; i < 5; i++) t.equal(await status('wrong'), 401);
  t.equal(await status('wrong'), 429, 'locked out after five failures');
  t.equal(await status(pw), 429, 'even with the right password while locked');
  t.equal(await status(pw, '10.0.0.9'), 429, 'the login is locked from another address too');
  t.match(lines.join(''), new RegExp(`"login":"${agent}".*console login failed`));
  ta.clock.advance(1000);
  t.equal(await status(pw), 200, 'after the lock the right password works');
});

t.test(
  "issue #17: failures for a login that does not exist never refuse another agent's right password; the address is only slowed",
  async (t) => {
    const ta = await startTestApp({}, { pages: true });
    t.teardown(ta.close);
    await ta.app.ctx.services.projects.createProject('p1', 2);
    const [agentB] = ta.app.ctx.services.agents.ofProject('p1').map((a) => a.username);
    const pwB = (await ta.app.ctx.repos.extensions.byUsername(agentB))!.password;
    const login = (user: string, password: string) =>
      ta.app.http.inject({
        method: 'GET',
        url: '/callcenter/console/status',
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      });
    for (let i = 0; i < 5; i++) t.equal((await login('9999', 'wrong')).statusCode, 401);
    const locked = await login('9999', 'wrong');
    t.equal(locked.statusCode, 429, 'the attacked login is locked');
    t.equal(locked.headers['retry-after'], '1', 'with Retry-After');
    t.match(JSON.parse(locked.body).reqResult, { code: 429, msg: /try again in 1 s/ });
    t.equal(
      (await login(agentB, pwB)).statusCode,
      200,
      "agent B's right password works from the same address",
    );
    // Keep failing from this address until it is in the tarpit: B is delayed, never refused.
    for (let i = 0; i < 5; i++) t.equal((await login(`nobody${i}`, 'wrong')).statusCode, 401);
    let settled = false;
    const slow = login(agentB, pwB).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    t.notOk(settled, "B's attempt waits while the address is slowed down");
    ta.clock.advance(250);
    t.equal((await slow).statusCode, 200, 'then B gets in');
  },
);

t.test(
  'a console claim naming a claimed extension with a wrong password counts as a failed login',
  async (t) => {
    const ta = await startTestApp({}, { pages: true });
    t.teardown(ta.close);
    const { certificate } = await ta.app.ctx.services.projects.createProject('p1', 1);
    const claim = (payload: object) =>
      ta.app.http.inject({ method: 'POST', url: '/callcenter/console/claim', payload });
    const first = JSON.parse((await claim({ certificate, type: 2 })).body).data as { username: string };
    for (let i = 0; i < 5; i++)
      t.equal(
        (await claim({ certificate, type: 2, username: first.username, password: 'wrongwrong' })).statusCode,
        409,
      );
    const locked = await claim({ certificate, type: 2, username: first.username, password: 'wrongwrong' });
    t.equal(locked.statusCode, 429);
    t.ok(locked.headers['retry-after']);
    t.equal(ta.app.ctx.logins.counters.failures, 5);
  },
);

t.test(
  'a large append lets the event loop run between chunks, and stays all-or-nothing when a chunk fails',
  async (t) => {
    const ta = await app(t);
    const { callListId } = await ta.app.ctx.services.callLists.create('big');
    const numbers = Array.from({ length: 3 * APPEND_CHUNK }, (_, i) => `138${String(i).padStart(8, '0')}`);
    const count = () =>
      (
        ta.store.sqlite
          .prepare('SELECT count(*) AS n FROM call_list_numbers WHERE call_list_id = ?')
          .get(callListId) as { n: number }
      ).n;
    const append = (list: string[]) =>
      ta.app.http.inject({
        method: 'POST',
        url: '/callcenter/callList/api/append/v1',
        headers: { ...ta.signed(), 'content-type': 'application/json' },
        payload: { callListId, numbers: list },
      });
    let done = false;
    const seen: number[] = [];
    const pending = append(numbers).then((r) => {
      done = true;
      return r;
    });
    // Other work gets turns while the append runs: it sees the list part-way filled.
    while (!done) {
      seen.push(count());
      await new Promise((r) => setImmediate(r));
    }
    const r = await pending;
    t.equal(r.statusCode, 200);
    t.match(JSON.parse(r.body).data, { accepted: numbers.length, rejected: [] });
    t.ok(
      seen.some((n) => n > 0 && n < numbers.length),
      `the event loop ran mid-append (saw ${[...new Set(seen)].join(', ')})`,
    );

    // A failure in the last chunk undoes the chunks already written.
    ta.store.sqlite.exec(
      `CREATE TRIGGER boom BEFORE INSERT ON call_list_numbers WHEN NEW.phone = '13999999999'
       BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`,
    );
    const more = Array.from({ length: 2 * APPEND_CHUNK }, (_, i) => `139${String(i).padStart(8, '0')}`);
    more[more.length - 1] = '13999999999';
    const failed = await append(more);
    t.equal(failed.statusCode, 500);
    t.equal(count(), numbers.length, 'none of the failed append’s numbers stayed');
  },
);

t.test(
  'found by the fuzz test: non-string fields on FreeSWITCH endpoints, unknown names on per-type bodies',
  async (t) => {
    const ta = await app(t);
    const dir = await ta.app.http.inject({
      method: 'POST',
      url: FsHttpPath.xmlCurlDirectory,
      headers: { ...fsAuth(), 'content-type': 'application/json' },
      payload: { section: 'directory', user: '1000', domain: ['a', 'b'], action: { x: 1 } },
    });
    t.equal(dir.statusCode, 200, 'a JSON array where FreeSWITCH sends a string is ignored, not a 500');
    const cdr = await ta.app.http.inject({
      method: 'POST',
      url: FsHttpPath.cdr,
      headers: { ...fsAuth(), 'content-type': 'application/json' },
      payload: { cdr: ['<cdr/>'] },
    });
    t.equal(cdr.statusCode, 400);
    const voice = await post(ta, `${P}/uploadVoiceFile/v1`, {
      qiniuStoreKey: 'k',
      voiceCode: 'v',
      workstatus: 1,
    });
    t.equal(voice.statusCode, 400);
    t.equal(msg(voice), 'workstatus is not a known parameter');
  },
);

t.test('the security counters are on /metrics', async (t) => {
  const ta = await app(t);
  const res = await ta.app.http.inject({ method: 'GET', url: '/metrics' });
  for (const name of [
    'logins.failed',
    'logins.refusedWhileLocked',
    'logins.delayed',
    'extensions.switchPending',
  ])
    t.match(res.body, new RegExp(name.replace('.', '_')), name);
});
