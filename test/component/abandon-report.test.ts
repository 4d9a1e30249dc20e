// Issue 14.9 against the FreeSWITCH emulator: the dialer stores its abandon verdict on each predictive live answer
// and the report counts exactly those verdicts, per task and per project, over 24 h and 30 days.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { callLogs } from '../../src/db/schema.js';
import { startCallHarness, type CallHarness } from '../support/calls.js';
import { addNumber, gatewayFor, logsOfTask, setTask, waitFor } from './flows-support.js';

const REPORT = '/callcenter/report/api/abandonRate/v1';
const get = (h: CallHarness, query: Record<string, string>) =>
  h.app.http.inject({ method: 'GET', url: `${REPORT}?${new URLSearchParams(query)}`, headers: h.signed() });

function storedLog(h: CallHarness, taskId: number, projectId: number, at: number, abandoned: 0 | 1) {
  h.store.db
    .insert(callLogs)
    .values({
      callUuid: randomUUID(),
      taskId,
      projectId,
      callTaskCode: 'older',
      destinationNumber: '13900000000',
      startTimestamp: at,
      result: abandoned ? 30 : 10,
      resultDetail: abandoned ? 35 : 55,
      abandoned,
      addTime: at,
      updateTime: at,
    })
    .run();
}

t.test(
  'live answers no agent took are abandons; the report counts them per task and project, 24 h and 30 days',
  async (t) => {
    const h = await startCallHarness({ flow: { agentWaitMs: 300 } }, { dialerTickMs: 50 });
    t.teardown(h.close);
    const [agent] = await h.project('pa', 1);
    const taskId = await h.task({ code: 'ta', projectCode: 'pa', scheduleType: 1 });
    const other = await h.task({ code: 'tb', projectCode: 'pa', scheduleType: 1 });
    await setTask(h, other, { status: 3 });
    await setTask(h, taskId, { rate: 4 });
    await gatewayFor(h, taskId, 'gwA', { lines: 10 });
    const phones = ['13900004001', '13900004002', '13900004003', '13900004004'];
    for (const p of phones) {
      await addNumber(h, taskId, p);
      h.fs.setPeer(`0${p}`, { kind: 'answer', answerAfterMs: 0, hangupAfterMs: 30_000 });
    }
    const logs = await waitFor(async () => {
      const rows = await logsOfTask(h, taskId);
      return rows.length === 4 && rows.every((r) => r.abandoned !== null) ? rows : undefined;
    }, 15_000);
    const connected = logs.filter((l) => l.abandoned === 0);
    t.equal(connected.length, 1, 'one agent: one customer connected');
    t.equal(connected[0]?.callerIdNumber, agent);
    t.ok((connected[0]?.agentWaitMs ?? -1) >= 0, 'the wait for the agent is measured');
    t.ok(
      logs.filter((l) => l.abandoned === 1).every((l) => [28, 35].includes(l.resultDetail ?? 0)),
      'the three others had no agent: abandoned',
    );

    const project = await h.app.ctx.repos.projects.activeByCode('pa');
    const now = Date.now();
    storedLog(h, taskId, project?.id ?? 0, now - 2 * 86_400_000, 1); // in 30 days only
    storedLog(h, other, project?.id ?? 0, now - 3 * 3600_000, 0); // another task, in both
    storedLog(h, taskId, project?.id ?? 0, now - 40 * 86_400_000, 1); // in neither

    let r = await get(h, { projectCode: 'pa' });
    t.equal(r.statusCode, 200, r.body);
    const report = r.json().data;
    t.match(report, {
      projectCode: 'pa',
      cap: 0.03,
      maxAgentWaitMs: 2000,
      project: {
        last24h: { liveAnswers: 5, abandoned: 3, abandonRate: 0.6, overCap: true },
        last30d: { liveAnswers: 6, abandoned: 4 },
      },
    });
    const ta = report.tasks.find((x: { callTaskCode: string }) => x.callTaskCode === 'ta');
    t.match(ta, {
      pacing: 'fixed',
      abandonTarget: 0.03,
      windows: {
        last24h: { liveAnswers: 4, abandoned: 3, abandonRate: 0.75 },
        last30d: { liveAnswers: 5, abandoned: 4 },
      },
    });
    t.match(
      report.tasks.find((x: { callTaskCode: string }) => x.callTaskCode === 'tb'),
      {
        windows: { last24h: { liveAnswers: 1, abandoned: 0, abandonRate: 0, overCap: false } },
      },
    );

    await h.app.ctx.services.tasks.setRules('tb', { abandonTarget: 0.015 });
    r = await get(h, { callTaskCode: 'tb' });
    t.match(r.json().data, {
      projectCode: 'pa',
      project: { last24h: { liveAnswers: 1 } },
      tasks: [{ callTaskCode: 'tb', abandonTarget: 0.015 }],
    });
    t.equal(r.json().data.tasks.length, 1);

    const refusals: [Record<string, string>, number, RegExp][] = [
      [{}, 400, /projectCode or callTaskCode is required/],
      [{ projectCode: 'nope' }, 404, /projectCode nope does not exist/],
      [{ callTaskCode: 'nope' }, 404, /callTaskCode nope does not exist/],
      [{ projectCode: 'other', callTaskCode: 'ta' }, 400, /not a task of projectCode other/],
    ];
    for (const [q, status, msg] of refusals) {
      r = await get(h, q);
      t.equal(r.statusCode, status, JSON.stringify(q));
      t.not(r.json().reqResult.code, 1);
      t.match(r.json().reqResult.msg, msg);
    }
    const unsigned = await h.app.http.inject({ method: 'GET', url: `${REPORT}?projectCode=pa` });
    t.equal(unsigned.statusCode, 401);
  },
);
