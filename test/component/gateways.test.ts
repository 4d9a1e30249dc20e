import t from 'tap';
import { FORM, form, startTestApp } from '../support/app.js';

const ADD = '/freeswitch/gateway/api/add/v1';
const UPDATE = '/freeswitch/gateway/api/update/v1';
const LIST = '/freeswitch/gateway/api/getList/v1';
const AVAILABLE = '/freeswitch/gateway/api/getAvailableList/v1';

const fullGateway = {
  gwName: '电信180号段SIM卡',
  registerType: 1,
  originationCallId: '02158880000',
  codec: 'G711',
  mobilePhonePrefix: '0',
  fixedPhonePrefix: '9',
  realm: '47.95.236.95:5060',
  username: 'trunk1',
  password: 's3cret',
  remark: '备注描述信息便于选择',
  callLimit: 5000,
  billType: 2,
  billsec: 6,
  price: 0.1,
  status: 1,
  expectCount: 30,
  returnVisit: 0,
  accountBalance: 1234.56,
  rechargedAmount: 2000,
};

t.test('gateways', async (t) => {
  const ta = await startTestApp();
  t.teardown(ta.close);
  const post = (url: string, fields: Record<string, string | number | undefined>) =>
    ta.app.http.inject({ method: 'POST', url, headers: { ...ta.signed(), ...FORM }, payload: form(fields) });
  const get = (url: string, query: Record<string, string | number> = {}) =>
    ta.app.http.inject({
      method: 'GET',
      url,
      headers: ta.signed(),
      query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
    });

  let id = 0;
  let gwCode = '';
  await t.test(
    'adding a gateway with every field (form-encoded) stores all of them; price given in yuan',
    async (t) => {
      const res = await post(ADD, fullGateway);
      t.equal(res.statusCode, 200, res.body);
      const body = res.json();
      t.equal(body.reqResult.code, 1);
      id = body.data.id;
      gwCode = body.data.gwCode;
      t.match(gwCode, /^GW[0-9A-F]{8}$/, 'a gwCode is generated when absent');
      const list = (await get(LIST, { id })).json();
      t.equal(list.data.total, 1);
      const { username: _u, password: _p, ...shown } = fullGateway;
      t.match(list.data.items[0], {
        ...shown,
        hasCredentials: true,
        id,
        gwCode,
        price: 10,
        accountBalance: 1234.56,
        rechargedAmount: 2000,
      });
      t.notOk('username' in list.data.items[0], 'issue #17: the carrier username is write-only');
      t.notOk('password' in list.data.items[0], 'and so is the password');
      t.notMatch(JSON.stringify(list), /s3cret|trunk1/, 'neither appears anywhere in the answer');
      t.match(
        await ta.app.ctx.repos.gateways.get(id),
        { username: 'trunk1', password: 's3cret' },
        'they are stored',
      );
    },
  );

  await t.test('a given gwCode is kept and must be unique', async (t) => {
    const res = await post(ADD, { ...fullGateway, gwCode: '1001' });
    t.equal(res.json().data.gwCode, '1001');
    const dup = await post(ADD, { ...fullGateway, gwCode: '1001' });
    t.equal(dup.statusCode, 409);
    t.match(dup.json().reqResult, { code: 409, msg: 'gwCode 1001 already exists' });
  });

  await t.test('JSON bodies work as well as forms', async (t) => {
    const res = await ta.app.http.inject({
      method: 'POST',
      url: ADD,
      headers: { ...ta.signed(), 'content-type': 'application/json' },
      payload: { gwName: 'json', registerType: 2, realm: 'carrier.example.com', status: 0, returnVisit: 1 },
    });
    t.equal(res.statusCode, 200, res.body);
  });

  await t.test('bad input is refused naming the field', async (t) => {
    const cases: [Record<string, string | number | undefined>, string][] = [
      [{ ...fullGateway, gwName: undefined }, 'gwName is required'],
      [{ ...fullGateway, status: 2 }, 'status must be 0 or 1'],
      [{ ...fullGateway, registerType: 'x' }, 'registerType must be an integer'],
      [
        { ...fullGateway, realm: 'not a host!' },
        'realm must be a host name or IPv4 address with an optional :port',
      ],
      [{ ...fullGateway, returnVisit: undefined }, 'returnVisit is required'],
      [{ ...fullGateway, billType: 3 }, 'billType must be 1 or 2'],
      [{ ...fullGateway, price: -1 }, 'price must be at least 0'],
      [{ ...fullGateway, codec: 'MP3' }, 'codec must be one or more of G711'],
      [{ ...fullGateway, billType: 2, billsec: undefined }, 'billsec is required when billType is 2'],
      [{ ...fullGateway, password: undefined }, 'username and password go together'],
    ];
    for (const [fields, msg] of cases) {
      const res = await post(ADD, fields);
      t.equal(res.statusCode, 400, msg);
      t.not(res.json().reqResult.code, 1);
      t.match(res.json().reqResult.msg, msg);
    }
  });

  await t.test(
    'update takes price in fen, keeps fields it is not given, and checks id and gwCode',
    async (t) => {
      const res = await post(UPDATE, {
        id,
        gwCode,
        gwName: '改名',
        registerType: 1,
        realm: '47.95.236.96',
        status: 0,
        returnVisit: 1,
        price: 12.5,
      });
      t.equal(res.statusCode, 200, res.body);
      const item = (await get(LIST, { id })).json().data.items[0];
      t.match(item, {
        gwName: '改名',
        realm: '47.95.236.96',
        status: 0,
        returnVisit: 1,
        price: 12.5,
        hasCredentials: true,
        remark: fullGateway.remark,
        expectCount: 30,
      });
      t.match(
        await ta.app.ctx.repos.gateways.get(id),
        { username: 'trunk1', password: 's3cret' },
        'credentials kept',
      );
      const missing = await post(UPDATE, {
        id: 9999,
        gwCode: 'x',
        gwName: 'a',
        registerType: 1,
        realm: 'h',
        status: 1,
        returnVisit: 0,
      });
      t.equal(missing.statusCode, 404);
      t.match(missing.json().reqResult.msg, 'gateway id 9999 does not exist');
      const taken = await post(UPDATE, {
        id,
        gwCode: '1001',
        gwName: 'a',
        registerType: 2,
        realm: 'h',
        status: 1,
        returnVisit: 0,
      });
      t.equal(taken.statusCode, 409);
      const noId = await post(UPDATE, {
        gwCode,
        gwName: 'a',
        registerType: 2,
        realm: 'h',
        status: 1,
        returnVisit: 0,
      });
      t.match(noId.json().reqResult.msg, 'id is required');
    },
  );

  await t.test('getList pages and filters by status', async (t) => {
    const all = (await get(LIST)).json().data;
    t.equal(all.total, 3);
    const page = (await get(LIST, { pageNum: 2, pageSize: 2 })).json().data;
    t.equal(page.items.length, 1);
    const enabled = (await get(LIST, { status: 1 })).json().data;
    t.equal(enabled.total, 1);
    const tooBig = await get(LIST, { pageSize: 100000 });
    t.equal(tooBig.statusCode, 400);
    t.match(tooBig.json().reqResult.msg, 'pageSize must be at most 500');
  });

  await t.test('getAvailableList shows enabled gateways with live concurrency', async (t) => {
    const gw = await ta.app.ctx.repos.gateways.byCode('1001');
    t.ok(gw);
    ta.app.ctx.gatewayUsage.acquire(gw!.id);
    ta.app.ctx.gatewayUsage.acquire(gw!.id);
    const data = (await get(AVAILABLE)).json().data;
    t.same(data, [
      {
        gwCode: '1001',
        gwName: fullGateway.gwName,
        concurrency: 30,
        usedConcurrency: 2,
        availableConcurrency: 28,
        remark: fullGateway.remark,
      },
    ]);
    ta.app.ctx.gatewayUsage.release(gw!.id);
    ta.app.ctx.gatewayUsage.release(gw!.id);
  });

  await t.test('changing gateways tells the FreeSWITCH side', async (t) => {
    let told = 0;
    const off = ta.app.events.on('gatewaysChanged', (code) => {
      if (code === 'notify') told++;
    });
    await post(ADD, { ...fullGateway, gwCode: 'notify' });
    off();
    t.equal(told, 1);
  });
});
