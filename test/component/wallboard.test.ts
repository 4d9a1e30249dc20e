// Issue 14.10, server side: the wallboard's samples (published live to the project's managers, the last hour on a
// manager-only console endpoint) and the CSV export of call logs with getList's filters.
import { extensionsRepo } from '../../src/db/repos/projects.js';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { callLogs } from '../../src/db/schema.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { startCallHarness } from '../support/calls.js';
import { connectStomp } from '../support/stomp-client.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

t.test(
  'the wallboard samples agents by state, waiting customers, calls, occupancy and abandons for managers only',
  async (t) => {
    const h = await startCallHarness();
    t.teardown(h.close);
    const [a1, a2, a3] = await h.project('pw', 3);
    const agents = h.app.ctx.services.agents;
    agents.setWork(a3 ?? '', 0);
    agents.apply(a1 ?? '', { kind: 'reserve', callId: 'c1' });
    agents.apply(a1 ?? '', {
      kind: 'connected',
      callId: 'c1',
      destinationNumber: '139',
      destinationUUID: 'u1',
    });
    const project = await h.app.ctx.repos.projects.activeByCode('pw');
    const now = Date.now();
    for (const [ago, abandoned] of [
      [10_000, 1],
      [20_000, 0],
      [30_000, 0],
      [2 * 3600_000, 1],
    ] as const)
      h.store.db
        .insert(callLogs)
        .values({
          callUuid: randomUUID(),
          projectId: project?.id,
          destinationNumber: '13900000000',
          startTimestamp: now - ago,
          abandoned,
          addTime: now,
          updateTime: now,
        })
        .run();
    const manager = agents.ofProject('pw').find((a) => a.type === 3)?.username ?? '';
    const pw = (u: string) => extensionsRepo(h.store.db).byUsername(u)?.password ?? '';
    const stomp = await connectStomp(h.baseUrl, manager, pw(manager));
    t.teardown(() => stomp.close());
    stomp.subscribe('/topic/wallboard/pw');
    const agentStomp = await connectStomp(h.baseUrl, a2 ?? '', pw(a2 ?? ''));
    t.teardown(() => agentStomp.close());
    agentStomp.subscribe('/topic/wallboard/pw');
    await new Promise((r) => setTimeout(r, 100));
    await h.app.wallboard.sampleAll();
    const sample = await stomp.next<Record<string, unknown>>('/topic/wallboard/pw');
    t.match(sample, {
      agents: { offline: 0, notAvailable: 1, idle: 1, talking: 1, conference: 0 },
      waiting: 0,
      callsPerMinute: 3,
      occupancy: 0.5,
      liveAnswersLastHour: 3,
      cap: 0.03,
    });
    t.equal(
      Math.round((sample.abandonRate as number) * 1000),
      333,
      'one abandon in three live answers this hour',
    );
    await new Promise((r) => setTimeout(r, 100));
    t.ok(agentStomp.errors.length > 0, 'an agent may not subscribe to the wallboard');
    t.equal(agentStomp.messages.get('/topic/wallboard/pw')?.length ?? 0, 0);

    const get = (path: string, auth?: string) =>
      h.app.http.inject({
        method: 'GET',
        url: `/callcenter/console/${path}?projectCode=pw`,
        headers: auth ? { authorization: auth } : {},
      });
    let r = await get('wallboard', basic(manager, pw(manager)));
    t.equal(r.statusCode, 200, r.body);
    t.equal(r.json().data.samples.length, 1, 'the last hour for a page that opens now');
    r = await get('abandonRate', basic(manager, pw(manager)));
    t.match(r.json().data, { projectCode: 'pw', project: { last24h: { liveAnswers: 4, abandoned: 2 } } });
    for (const [auth, status] of [
      [undefined, 401],
      [basic(a2 ?? '', pw(a2 ?? '')), 403],
      [basic(manager, 'wrong'), 401],
    ] as const) {
      for (const path of ['wallboard', 'abandonRate']) {
        r = await get(path, auth);
        t.equal(r.statusCode, status, `${path} with ${auth ? 'bad credentials' : 'none'}`);
        t.not(r.json().reqResult.code, 1);
      }
    }
  },
);

function addLog(ta: TestApp, fields: Partial<typeof callLogs.$inferInsert>) {
  const now = ta.clock.now();
  ta.store.db
    .insert(callLogs)
    .values({
      callUuid: randomUUID(),
      destinationNumber: '13900000000',
      addTime: now,
      updateTime: now,
      ...fields,
    })
    .run();
}

t.test(
  'CSV export: getList’s filters, every row (past one page), quoting, and refusals as JSON',
  async (t) => {
    const ta = await startTestApp();
    t.teardown(ta.close);
    const now = ta.clock.now();
    const p1 = await ta.app.ctx.repos.projects.insert(
      { projectCode: 'p1', seats: 1, nodeId: 1, certificate: 'C1' },
      now,
    );
    const p2 = await ta.app.ctx.repos.projects.insert(
      { projectCode: 'p2', seats: 1, nodeId: 1, certificate: 'C2' },
      now,
    );
    for (let i = 0; i < 2500; i++)
      addLog(ta, {
        projectId: p1.id,
        callTaskCode: 'bulk',
        startTimestamp: now - 3600_000,
        result: 10,
        resultDetail: 55,
      });
    addLog(ta, {
      projectId: p1.id,
      callTaskCode: 't1',
      destinationNumber: '13900000001',
      startTimestamp: now,
      endTimestamp: now + 60_000,
      hangupCause: 'x',
      recordFile: '/rec/a,"b".wav',
      result: 30,
      resultDetail: 35,
      abandoned: 1,
    });
    addLog(ta, {
      projectId: p1.id,
      callTaskCode: 't1',
      destinationNumber: '=cmd()',
      startTimestamp: now,
      skipReason: 'dnc-global',
    });
    addLog(ta, { projectId: p2.id, callTaskCode: 't2', startTimestamp: now });
    const get = (q: Record<string, string>, headers = ta.signed()) =>
      ta.app.http.inject({
        method: 'GET',
        url: `/callcenter/callLog/api/export/v1?${new URLSearchParams(q)}`,
        headers,
      });

    let r = await get({ queryTimeType: '1', projectCode: 'p1', callTaskCode: 't1' });
    t.equal(r.statusCode, 200, r.body);
    t.match(r.headers['content-type'], /^text\/csv/);
    t.match(r.headers['content-disposition'], /attachment; filename="call-logs-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = r.body
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    t.ok(r.body.startsWith('\uFEFF'), 'a BOM for spreadsheet programs');
    t.equal(
      lines[0],
      'id,callTaskCode,callerIdNumber,destinationNumber,recordFile,recordFileQiniu,startTimestamp,endTimestamp,addTime,updateTime,duration,billsec,priceCal,priceRule,result,resultDetail,evaluation,skipReason,abandoned,agentWaitMs,amdVerdict,amdMs',
    );
    t.equal(lines.length, 3, 'the header and the two calls of t1');
    t.match(lines[1], /^2502,t1,,'=cmd\(\),/, 'newest first; a formula-like cell is made inert');
    t.match(lines[1], /,dnc-global,,,,$/);
    t.match(lines[2], /,"\/rec\/a,""b"".wav",/, 'commas and quotes are quoted');
    t.match(lines[2], /,30,35,,,1,,,$/);

    r = await get({ queryTimeType: '1', projectCode: 'p1' });
    t.equal(r.body.trimEnd().split('\r\n').length, 2503, 'every matching row, past the 1000-row pages');
    r = await get({ queryTimeType: '1', projectCode: 'p1', beginTime: String(now - 60_000) });
    t.equal(
      r.body.trimEnd().split('\r\n').length,
      3,
      'the time filter applies to the start (queryTimeType 1)',
    );
    r = await get({ queryTimeType: '2', projectCode: 'p1', beginTime: String(now) });
    t.equal(r.body.trimEnd().split('\r\n').length, 2, 'and to the end (2)');
    r = await get({ queryTimeType: '1', projectCode: 'nope' });
    t.equal(
      r.body.trimEnd().split('\r\n').length,
      1,
      'an unknown project: the header only, as getList answers none',
    );

    for (const [q, msg] of [
      [{}, /queryTimeType is required/],
      [{ queryTimeType: '3' }, /queryTimeType must be 1 or 2/],
      [{ queryTimeType: '1', beginTime: 'yesterday' }, /beginTime must be/],
      [
        { queryTimeType: '1', beginTime: String(now), endTime: String(now - 1) },
        /beginTime must not be after endTime/,
      ],
    ] as const) {
      r = await get(q);
      t.equal(r.statusCode, 400);
      t.match(r.headers['content-type'], /application\/json/);
      t.match(r.json().reqResult.msg, msg);
    }
    r = await get({ queryTimeType: '1' }, {} as Record<string, string>);
    t.equal(r.statusCode, 401, 'signed like every API endpoint');
  },
);
