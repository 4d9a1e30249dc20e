// The PostgreSQL repositories on a real cluster (issue 19): Chinese text, epoch-ms times and money come back exactly
// as written and as the JS types SQLite gives; 100,000 numbers import in multi-row inserts; the writes two
// connections can race on (a call's log from the flow and the CDR, a recording's upload, the node seed) stay one row.
import t from 'tap';
import { seededPg, SEED_NOW, seedNode } from '../support/pg-seed.js';

t.test('Chinese text round-trips through every kind of column', async (t) => {
  const { repos, projectId, taskId } = await seededPg(t);
  const gw = await repos.gateways.insert(
    {
      gwCode: '联通-北京-01',
      gwName: '北京联通线路（主）',
      registerType: 1,
      originationCallId: null,
      codec: 'PCMA',
      mobilePhonePrefix: null,
      fixedPhonePrefix: null,
      realm: 'sip.example.cn',
      username: '用户',
      password: '密码😀',
      remark: '备注：晚高峰限流',
      callLimit: null,
      billType: 1,
      billsec: 60,
      priceFen: 12.5,
      status: 1,
      expectCount: 30,
      returnVisit: 0,
      accountBalanceFen: 123_456_789.01,
      rechargedAmountFen: 0.1 + 0.2,
    },
    SEED_NOW,
  );
  const again = await repos.gateways.byCode('联通-北京-01');
  t.same(again, gw);
  t.equal(again?.gwName, '北京联通线路（主）');
  t.equal(again?.password, '密码😀');
  t.equal(await repos.dnc.add('', ['13800000000'], '客户要求：勿再来电', SEED_NOW), 1);
  t.equal((await repos.dnc.listed('P1', ['13800000000'])).get('13800000000')?.note, '客户要求：勿再来电');
  const log = await repos.callLogs.upsert(
    'uuid-zh',
    {
      taskId,
      projectId,
      destinationNumber: '13800000001',
      hangupCause: '正常挂机',
      priceRule: '按分钟·0.1元',
    },
    SEED_NOW,
  );
  t.match(await repos.callLogs.get('uuid-zh'), {
    hangupCause: '正常挂机',
    priceRule: '按分钟·0.1元',
    id: log.id,
  });
  const list = await repos.callLists.create('春节回访名单', SEED_NOW);
  t.equal((await repos.callLists.get(list.id))?.name, '春节回访名单');
});

t.test('times are epoch ms and money is fen, read back as the numbers written', async (t) => {
  const { repos, taskId } = await seededPg(t);
  const far = Date.UTC(2099, 11, 31, 23, 59, 59, 999); // past int4, below 2^53
  const task = await repos.tasks.update(
    taskId,
    { startedAt: far, expiredTime: far, abandonTarget: 0.025 },
    far,
  );
  t.equal(task.startedAt, far);
  t.equal(typeof task.startedAt, 'number');
  t.equal(task.updatedAt, far);
  t.equal(task.rate, 1.5);
  t.equal(task.abandonTarget, 0.025);
  for (const fen of [0, 1, 12.5, 0.1 + 0.2, 99_999_999.99, 1 / 3]) {
    const gw = await repos.gateways.insert(
      {
        gwCode: `gw-${fen}`,
        gwName: 'g',
        registerType: 1,
        originationCallId: null,
        codec: null,
        mobilePhonePrefix: null,
        fixedPhonePrefix: null,
        realm: 'r',
        username: null,
        password: null,
        remark: null,
        callLimit: null,
        billType: null,
        billsec: null,
        priceFen: fen,
        status: 1,
        expectCount: null,
        returnVisit: 0,
        accountBalanceFen: -fen,
        rechargedAmountFen: null,
      },
      SEED_NOW,
    );
    const back = await repos.gateways.get(gw.id);
    t.equal(back?.priceFen, fen, `price ${fen} fen`);
    t.equal(back?.accountBalanceFen, -fen);
    t.equal(back?.rechargedAmountFen, null);
  }
  await repos.callLogs.upsert('money', { destinationNumber: '1', priceCal: 7.25, billsec: 61 }, far);
  t.match(await repos.callLogs.get('money'), { priceCal: 7.25, billsec: 61, addTime: far, updateTime: far });
});

t.test('100,000 numbers import into a call list and a task in multi-row inserts, once each', async (t) => {
  const { repos, taskId } = await seededPg(t);
  const phones = Array.from({ length: 100_000 }, (_, i) => `139${String(i).padStart(8, '0')}`);
  const list = await repos.callLists.create('big', SEED_NOW);
  const range = await repos.callLists.insertNumberRange(list.id, phones, SEED_NOW);
  t.ok(range);
  t.equal((range?.last ?? 0) - (range?.first ?? 0) + 1, 100_000, 'ids are one range');
  t.equal((await repos.callLists.numbersAfter(list.id, 0)).length, 100_000);
  t.equal((await repos.callLists.existing(list.id, ['13900000007', '1'])).size, 1);
  t.equal(await repos.tasks.addNumbers(taskId, phones, SEED_NOW), 100_000);
  t.equal(await repos.tasks.addNumbers(taskId, [...phones.slice(0, 10), '18600000000'], SEED_NOW), 1);
  t.same(await repos.tasks.countsByState(taskId), { pending: 100_001, preview: 0, dialing: 0, done: 0 });
  t.equal(await repos.tasks.closePending(taskId, SEED_NOW), 100_001);
});

t.test('the flow and the CDR writing one call at once leave one row with both halves', async (t) => {
  const { repos, taskId } = await seededPg(t);
  for (let i = 0; i < 20; i++) {
    const uuid = `race-${i}`;
    await Promise.all([
      repos.callLogs.upsert(
        uuid,
        { taskId, destinationNumber: '13800000002', result: 10, resultDetail: 1 },
        1,
      ),
      repos.callLogs.mergeCdr(uuid, { billsec: 42, hangupCause: 'NORMAL_CLEARING', resultDetail: 99 }, 2),
    ]);
    t.match(await repos.callLogs.get(uuid), {
      destinationNumber: '13800000002',
      result: 10,
      billsec: 42,
      hangupCause: 'NORMAL_CLEARING',
      cdrReceived: 1,
    });
  }
  t.equal((await repos.callLogs.list({ taskId }, { offset: 0, limit: 100 })).total, 20);
  t.equal(await repos.callLogs.maxId(), (await repos.callLogs.get('race-19'))?.id);
  t.equal(await repos.callLogs.fillMissing('nobody', { recordFile: 'x' }, 3), undefined);
  t.match(await repos.callLogs.fillMissing('race-0', { recordFile: '/r.wav', result: 20 }, 3), {
    recordFile: '/r.wav',
    result: 10,
  });
});

t.test('a recording is queued once and the node seeded once, however many try at once', async (t) => {
  const { repos } = await seededPg(t);
  const rows = await Promise.all(
    Array.from({ length: 8 }, () =>
      repos.recordingUploads.enqueue({ callUuid: 'c1', filePath: '/r/c1.wav', key: 'k' }, SEED_NOW),
    ),
  );
  t.equal(new Set(rows.map((r) => r.id)).size, 1);
  t.equal(await repos.recordingUploads.nextDueAt(), SEED_NOW);
  t.equal(await repos.nodes.seedIfEmpty({ ...seedNode, name: 'n2' }, SEED_NOW), undefined, 'not empty');
  t.equal((await repos.nodes.list()).length, 1);
});

t.test('do-not-call changes: new phones once, removed rows restored as they were', async (t) => {
  const { repos } = await seededPg(t);
  t.same(await repos.dnc.addNew('P1', ['1', '2', '1', '3'], null, SEED_NOW), ['1', '2', '3']);
  t.same(await repos.dnc.addNew('P1', ['3', '4'], 'n', SEED_NOW), ['4']);
  const removed = await repos.dnc.removeRows('P1', ['4', '9', '2']);
  t.same(
    removed.map((r) => r.phone),
    ['4', '2'],
  );
  t.equal((await repos.dnc.page('P1', 0, 10)).total, 2);
  await repos.dnc.restore(removed);
  t.same((await repos.dnc.page('P1', 0, 10)).items.map((r) => r.phone).sort(), ['1', '2', '3', '4']);
  t.equal(await repos.dnc.remove('P1', ['1', '2', 'x']), 2);
  t.ok(await repos.dnc.has('P1', '3'));
});

t.test('extensions order by their number; recall pages see the last call of a number', async (t) => {
  const { repos, projectId, taskId } = await seededPg(t);
  const node = (await repos.nodes.list())[0]!;
  for (const username of ['1010', '1002', '999'])
    await repos.extensions.insert({ username, nodeId: node.id, password: 'p', type: 2, projectId }, SEED_NOW);
  t.equal(await repos.extensions.highestNumber(), 1010);
  const ext = await repos.extensions.byUsername('1002');
  await repos.extensions.assign(ext!.id, { projectId: null }, SEED_NOW);
  t.same(
    (await repos.extensions.freeOnNode(node.id)).map((e) => e.username),
    ['1002'],
  );
  t.same((await repos.projects.seatsByNode()).get(node.id), 5);
  await repos.callLogs.upsert('a1', { taskId, destinationNumber: '5', resultDetail: 3 }, 1);
  await repos.callLogs.upsert('a2', { taskId, destinationNumber: '5', resultDetail: 4 }, 2);
  await repos.callLogs.upsert('a3', { taskId, destinationNumber: '6', resultDetail: 3 }, 3);
  const page = await repos.tasks.recallPage(taskId, [3], 0, 0, 10);
  t.same(
    page.items.map((i) => i.destinationNumber),
    ['6'],
  );
  t.equal(page.total, 1);
});
