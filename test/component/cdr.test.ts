// mod_xml_cdr → /freeswitch/cdr → call_logs, with the app's own body parsing, envelope and FreeSWITCH guard, on
// ':memory:' SQLite. The plugin is built here (not through app.ts) so that this test owns its composition.
import { asyncRepo } from '../../src/db/repos/async.js';
import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import t from 'tap';
import { installEnvelopeHandlers } from '../../src/api/envelope.js';
import { cdrRoutes, type CdrContext, type RecordingQueue } from '../../src/api/freeswitch/cdr-route.js';
import type { FakeClock } from '../../src/core/clock.js';
import { FsHttpPath } from '../../src/core/freeswitch.js';
import type { Config } from '../../src/config.js';
import type { Store } from '../../src/db/database.js';
import { callLogsRepo } from '../../src/db/repos/call-logs.js';
import { tasks } from '../../src/db/schema.js';
import { fsAuth, startTestApp } from '../support/app.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/xml-cdr/${name}`, import.meta.url), 'utf8');
const BRIDGED = fixture('customer-answered-bridged.xml');
const BUSY = fixture('customer-busy-486.xml');
const BRIDGED_ID = 'c0ffee00-1111-4222-8333-444455556666';
const BUSY_ID = 'd00dfeed-2222-4333-8444-555566667777';
const NOW = Date.UTC(2026, 10, 23, 8, 1);

interface Rig {
  http: FastifyInstance;
  ctx: CdrContext;
  store: Store;
  queued: { callUuid: string; filePath: string; callStartMs: number }[];
  taskId: number;
  projectId: number;
  gatewayId: number;
  post(
    xml: string,
    opts?: { as?: 'form' | 'xml'; remoteAddress?: string; auth?: string },
  ): Promise<{ statusCode: number; body: string }>;
}

async function rig(t: { teardown(fn: () => unknown): void }, overrides: Partial<Config> = {}): Promise<Rig> {
  // The whole app's context (whatever it holds today) plus this plugin's repository; the app itself is not used.
  const ta = await startTestApp(overrides);
  ta.clock.advance(NOW - ta.clock.now());
  const store = ta.store;
  const repos = { ...ta.app.ctx.repos, callLogs: asyncRepo(callLogsRepo(store.db)) };
  const ctx: CdrContext = { ...ta.app.ctx, repos };
  const node = (await repos.nodes.active())[0]!;
  const project = await repos.projects.insert(
    { projectCode: 'P2026', seats: 2, nodeId: node.id, certificate: 'cert' },
    NOW,
  );
  const task = store.db
    .insert(tasks)
    .values({
      callTaskCode: 'T-100',
      projectId: project.id,
      scheduleType: 1,
      callType: 1,
      rate: 1,
      expiredTime: NOW + 86_400_000,
      createdAt: NOW,
      updatedAt: NOW,
    })
    .returning()
    .get();
  const gw = await repos.gateways.insert(
    {
      gwCode: 'carrier-a',
      gwName: 'A',
      registerType: 2,
      originationCallId: null,
      codec: null,
      mobilePhonePrefix: null,
      fixedPhonePrefix: null,
      realm: '198.51.100.7:5060',
      username: null,
      password: null,
      remark: null,
      callLimit: null,
      billType: 2,
      billsec: 6,
      priceFen: 10,
      status: 1,
      expectCount: 30,
      returnVisit: 0,
      accountBalanceFen: null,
      rechargedAmountFen: null,
    },
    NOW,
  );
  const queued: Rig['queued'] = [];
  const recordings: RecordingQueue = {
    enqueue: (callUuid, filePath, callStartMs) => void queued.push({ callUuid, filePath, callStartMs }),
  };
  const http = Fastify({ logger: false });
  await http.register(formbody);
  installEnvelopeHandlers(http);
  await http.register(cdrRoutes, { ctx, recordings });
  await http.ready();
  t.teardown(async () => {
    await http.close();
    await ta.close();
  });
  return {
    http,
    ctx,
    store,
    queued,
    taskId: task.id,
    projectId: project.id,
    gatewayId: gw.id,
    post: async (xml, opts = {}) =>
      await http.inject({
        method: 'POST',
        url: `${FsHttpPath.cdr}?uuid=x`,
        remoteAddress: opts.remoteAddress ?? '127.0.0.1',
        headers: {
          'content-type': opts.as === 'xml' ? 'text/xml' : 'application/x-www-form-urlencoded',
          authorization: opts.auth ?? fsAuth(ta.config.fsHttpSecret).authorization,
        },
        // encode=true: the body is cdr=<url-encoded XML>, exactly as mod_xml_cdr builds it.
        payload: opts.as === 'xml' ? xml : `cdr=${encodeURIComponent(xml)}`,
      }),
  };
}

t.test('a bridged customer leg becomes a complete call log', async (t) => {
  const r = await rig(t);
  const res = await r.post(BRIDGED);
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.body, 'OK');
  t.match(await r.ctx.repos.callLogs.get(BRIDGED_ID), {
    callUuid: BRIDGED_ID,
    taskId: r.taskId,
    projectId: r.projectId,
    callTaskCode: 'T-100',
    direction: 'outbound',
    destinationNumber: '13800138000',
    gatewayId: r.gatewayId,
    startTimestamp: 1795420800120,
    answerTimestamp: 1795420806620,
    endTimestamp: 1795420840900,
    duration: 40,
    billsec: 34,
    hangupCause: 'NORMAL_CLEARING',
    sipTermStatus: '200',
    hangupDisposition: 'recv_bye',
    recordFile: `/var/lib/freeswitch/recordings/2026/11/23/${BRIDGED_ID}.wav`,
    priceRule: '6|10.0',
    priceCal: 60, // ceil(34 / 6) = 6 blocks × 10 fen
    result: 10,
    resultDetail: 55, // bridged, and the customer sent BYE
    cdrReceived: 1,
    addTime: NOW,
  });
  t.same(r.queued, [
    {
      callUuid: BRIDGED_ID,
      filePath: `/var/lib/freeswitch/recordings/2026/11/23/${BRIDGED_ID}.wav`,
      callStartMs: 1795420800120,
    },
  ]);
  t.equal(r.ctx.metrics.snapshot()['cdr.call-log'], 1);
});

t.test('FreeSWITCH retrying a CDR we already took gets 200 and changes nothing', async (t) => {
  const r = await rig(t);
  await r.post(BRIDGED);
  const before = await r.ctx.repos.callLogs.get(BRIDGED_ID);
  (r.ctx.clock as FakeClock).advance(5000);
  const again = await r.post(BRIDGED);
  t.equal(again.statusCode, 200);
  t.equal(again.body, 'OK (already recorded)');
  t.same(await r.ctx.repos.callLogs.get(BRIDGED_ID), before);
  t.equal(r.queued.length, 1, 'the recording is queued once');
});

t.test('a busy customer leg posted as text/xml is a failed call that costs nothing', async (t) => {
  const r = await rig(t);
  const res = await r.post(BUSY, { as: 'xml' });
  t.equal(res.statusCode, 200, res.body);
  t.match(await r.ctx.repos.callLogs.get(BUSY_ID), {
    destinationNumber: '13900139000',
    answerTimestamp: null,
    billsec: 0,
    priceRule: '6|10.0',
    priceCal: 0,
    result: 20,
    resultDetail: 20,
    recordFile: null,
  });
  t.same(r.queued, [], 'no recording, nothing to upload');
});

t.test('when the flow wrote first, the CDR adds its measurements and keeps the flow result', async (t) => {
  const r = await rig(t);
  await r.ctx.repos.callLogs.upsert(
    BRIDGED_ID,
    {
      destinationNumber: '13800138000',
      taskId: r.taskId,
      callTaskCode: 'T-100',
      callerIdNumber: '1001',
      startTimestamp: 1795420800000,
      result: 10,
      resultDetail: 50, // the flow saw the agent hang up
      recordFile: '/data/rec/flow-chosen.wav',
    },
    NOW - 1000,
  );
  await r.post(BRIDGED);
  t.match(await r.ctx.repos.callLogs.get(BRIDGED_ID), {
    callerIdNumber: '1001',
    result: 10,
    resultDetail: 50,
    recordFile: '/data/rec/flow-chosen.wav',
    startTimestamp: 1795420800120, // FreeSWITCH's time wins over the flow's estimate
    billsec: 34,
    priceCal: 60,
    addTime: NOW - 1000,
    updateTime: NOW,
  });
  t.equal(r.queued[0]?.filePath, '/data/rec/flow-chosen.wav', "the flow's recording path is uploaded");
});

t.test("a flow's detail without a result gets the result of that detail", async (t) => {
  const r = await rig(t);
  await r.ctx.repos.callLogs.upsert(BUSY_ID, { destinationNumber: '13900139000', resultDetail: 35 }, NOW);
  await r.post(BUSY);
  t.match(await r.ctx.repos.callLogs.get(BUSY_ID), { result: 30, resultDetail: 35 });
});

const agentLeg = (callId: string, extra = '') =>
  `<cdr><channel_data><direction>outbound</direction></channel_data><variables><uuid>agent-leg-1</uuid>` +
  `<cc_role>agent</cc_role><cc_call_id>${callId}</cc_call_id><dialed_user>1001</dialed_user>${extra}` +
  `<hangup_cause>NORMAL_CLEARING</hangup_cause></variables></cdr>`;

t.test("an agent leg fills the agent's extension on its call, never overwriting", async (t) => {
  const r = await rig(t);
  await r.ctx.repos.callLogs.upsert('call-a', { destinationNumber: '13800000001' }, NOW);
  await r.ctx.repos.callLogs.upsert(
    'call-b',
    { destinationNumber: '13800000002', callerIdNumber: '1009' },
    NOW,
  );
  t.equal(
    (await r.post(agentLeg('call-a', '<cc_record_file>%2Frec%2Fa.wav</cc_record_file>'))).statusCode,
    200,
  );
  t.equal((await r.post(agentLeg('call-b'))).statusCode, 200);
  t.match(await r.ctx.repos.callLogs.get('call-a'), {
    callerIdNumber: '1001',
    recordFile: '/rec/a.wav',
    cdrReceived: 0,
  });
  t.match(await r.ctx.repos.callLogs.get('call-b'), { callerIdNumber: '1009' });
  const early = await r.post(agentLeg('not-yet-logged'));
  t.equal(early.statusCode, 200, "an agent leg that comes before its customer's is acknowledged");
  t.match(
    await r.ctx.repos.callLogs.get('not-yet-logged'),
    { callerIdNumber: '1001', cdrReceived: 0 },
    "and kept on the call's row, for the customer's CDR or the flow to complete (not dropped)",
  );
  t.equal(r.ctx.metrics.snapshot()['cdr.agent-leg'], 3);
});

t.test('legs without our variables are acknowledged and ignored', async (t) => {
  const r = await rig(t);
  const res = await r.post(
    '<cdr><variables><uuid>other</uuid><hangup_cause>NORMAL_CLEARING</hangup_cause></variables></cdr>',
  );
  t.equal(res.statusCode, 200);
  t.equal(await r.ctx.repos.callLogs.get('other'), undefined);
  t.equal(r.ctx.metrics.snapshot()['cdr.ignored'], 1);
});

t.test('a body that is not a CDR is refused with 400 (FreeSWITCH keeps it in err-log-dir)', async (t) => {
  const r = await rig(t);
  const empty = await r.http.inject({
    method: 'POST',
    url: FsHttpPath.cdr,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...fsAuth() },
    payload: 'other=1',
  });
  t.equal(empty.statusCode, 400);
  t.match(empty.body, /form field "cdr"/);
  const broken = await r.post('<cdr><variables>');
  t.equal(broken.statusCode, 400);
  t.match(broken.body, /^not a CDR: /);
});

t.test('only FreeSWITCH nodes may post, with the shared secret when one is set', async (t) => {
  const r = await rig(t, { fsHttpSecret: 's3cret' });
  t.equal((await r.post(BUSY, { remoteAddress: '203.0.113.99' })).statusCode, 403, 'an unknown address');
  t.equal((await r.post(BUSY, { auth: '' })).statusCode, 401, 'no credentials');
  const basic = `Basic ${Buffer.from('freeswitch:s3cret').toString('base64')}`;
  t.equal((await r.post(BUSY, { auth: basic })).statusCode, 200);
});

t.test('a database failure answers 500 so that FreeSWITCH retries', async (t) => {
  const r = await rig(t);
  r.store.sqlite.exec('DROP TABLE call_logs');
  const res = await r.post(BUSY);
  t.equal(res.statusCode, 500);
  t.equal(r.ctx.metrics.snapshot()['cdr.failed'], 1);
});

t.test('call-log queries: spec 一.10 filters and 一.13 recall lists', async (t) => {
  const r = await rig(t);
  const logs = r.ctx.repos.callLogs;
  const at = (h: number) => Date.UTC(2026, 10, 23, h);
  const rows: [string, number, number, number | null][] = [
    ['r1', at(1), at(2), 25],
    ['r2', at(3), at(4), 20],
    ['r3', at(5), at(6), 55],
    ['r4', at(7), at(8), 25],
  ];
  for (const [id, start, end, detail] of rows)
    await logs.upsert(
      id,
      {
        destinationNumber: `138${id}`,
        taskId: r.taskId,
        projectId: r.projectId,
        callTaskCode: 'T-100',
        startTimestamp: start,
        endTimestamp: end,
        resultDetail: detail,
      },
      NOW,
    );
  await logs.upsert('other', { destinationNumber: '1', callTaskCode: 'T-200', startTimestamp: at(3) }, NOW);
  const page = { offset: 0, limit: 10 };
  const ids = (x: { items: { callUuid: string }[] }) => x.items.map((i) => i.callUuid);

  t.same(ids(await logs.list({ callTaskCode: 'T-100' }, page)), ['r4', 'r3', 'r2', 'r1'], 'newest first');
  t.equal((await logs.list({}, page)).total, 5);
  t.same(ids(await logs.list({ projectId: r.projectId, beginTime: at(3), endTime: at(5) }, page)), [
    'r3',
    'r2',
  ]);
  t.same(
    ids(await logs.list({ beginTime: at(4), endTime: at(6), timeField: 'end' }, page)),
    ['r3', 'r2'],
    'queryTimeType 2 filters on the end time',
  );
  const paged = await logs.list({ callTaskCode: 'T-100' }, { offset: 1, limit: 2 });
  t.same([paged.total, ids(paged)], [4, ['r3', 'r2']]);

  const recall = await logs.listByResult(r.taskId, [25, 20], 0, page);
  t.same(
    [recall.total, ids(recall)],
    [3, ['r1', 'r2', 'r4']],
    'oldest first, so the last id is the next cursor',
  );
  const after = await logs.listByResult(r.taskId, [25, 20], recall.items[1]!.id, page);
  t.same(ids(after), ['r4'], 'recallLastId skips what was already recalled');
  t.same(await logs.listByResult(r.taskId, [], 0, page), { total: 0, items: [] });
});

t.test(
  'a CDR of a call answered by a machine (cc_amd, the flow gone) is an answering machine: 20 / 60, billed as answered',
  async (t) => {
    const r = await rig(t);
    const machine = BRIDGED.replace('<variables>', '<variables><cc_amd>machine</cc_amd>');
    const res = await r.post(machine);
    t.equal(res.statusCode, 200, res.body);
    t.match(await r.ctx.repos.callLogs.get(BRIDGED_ID), {
      result: 20,
      resultDetail: 60,
      amdVerdict: 'machine',
      billsec: 34,
      priceCal: 60,
    });
  },
);
