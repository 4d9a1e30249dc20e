// The pure parts of the workbench and the manager page (src/pages/shared), in Node: the current call as the
// agent's topics drive it, the manager's live tables, and what the codes read as.
import t from 'tap';
import { noCall, onCallTopic, type CallView } from '../../src/pages/shared/call-state.js';
import {
  mergeExt,
  mergeTask,
  sortedExts,
  summarize,
  taskProgress,
} from '../../src/pages/shared/ext-table.js';
import {
  durationText,
  noticeOf,
  regLabel,
  sessionLabel,
  taskLabel,
  workLabel,
} from '../../src/pages/shared/labels.js';
import { linkedClaim, sipServer } from '../../src/pages/shared/links.js';

const body = (callId: string, telNo = '13900000001') => ({ callId, callTaskCode: 't1', telNo });

t.test(
  'a call offered, connected and ended shows ringing, talking, then ended with the talk time',
  async (t) => {
    let v: CallView = onCallTopic(noCall, 'invite', body('c1'), 1000);
    t.match(v, { phase: 'ringing', callId: 'c1', telNo: '13900000001', callTaskCode: 't1', since: 1000 });
    v = onCallTopic(v, 'call', body('c1'), 3000);
    t.match(v, { phase: 'talking', since: 3000 });
    v = onCallTopic(v, 'bye', body('c1'), 63_000);
    t.match(v, { phase: 'ended', talkedMs: 60_000, telNo: '13900000001' });
  },
);

t.test('an offer the agent never took ends without a talk time', async (t) => {
  const v = onCallTopic(onCallTopic(noCall, 'invite', body('c1'), 0), 'bye', body('c1'), 5000);
  t.equal(v.phase, 'ended');
  t.equal(v.talkedMs, undefined);
});

t.test(
  'a bye of an older call does not end the current one; a call of another call during one is ignored',
  async (t) => {
    const talking = onCallTopic(onCallTopic(noCall, 'invite', body('c2'), 0), 'call', body('c2'), 10);
    t.equal(onCallTopic(talking, 'bye', body('c1'), 20), talking);
    t.equal(onCallTopic(talking, 'call', body('c9'), 20), talking);
    t.equal(onCallTopic(talking, 'bye', {}, 20), talking, 'a bye without callId');
  },
);

t.test('a transferred call rings here and says who handed it over', async (t) => {
  const v = onCallTopic(noCall, 'transfer', { callId: 'c3', username: '1001', telNo: '138' }, 5);
  t.match(v, { phase: 'ringing', callId: 'c3', telNo: '138', transferredBy: '1001' });
});

t.test('the manager table merges live rows over the snapshot and keeps omitted fields', async (t) => {
  let rows = mergeExt(new Map(), { username: '1001', status: 1, workStatus: 1, sessionStatus: 0, type: 2 });
  rows = mergeExt(rows, { username: '1000', status: 0, workStatus: 0, sessionStatus: 0, type: 2 });
  rows = mergeExt(rows, { username: '1002', status: 1, workStatus: 0, sessionStatus: 0, type: 3 });
  rows = mergeExt(rows, {
    username: '1001',
    sessionSatus: 10,
    workStatus: 1,
    destinationNumber: '139',
    destinationUUID: 'u',
  });
  t.match(rows.get('1001'), { status: 1, sessionStatus: 10, destinationNumber: '139', type: 2 });
  t.equal(mergeExt(rows, { workStatus: 1 }).size, 3, 'a row without username is ignored');
  t.same(
    sortedExts(rows).map((r) => r.username),
    ['1000', '1001', '1002'],
  );
  t.same(summarize(rows), { agents: 2, registered: 1, available: 0, talking: 1 });
  rows = mergeExt(rows, { username: '1001', sessionStatus: 0, destinationNumber: null });
  t.equal(rows.get('1001')?.destinationNumber, null);
  t.same(summarize(rows), { agents: 2, registered: 1, available: 1, talking: 0 });
});

t.test(
  'task rows from callTaskStatus and /topic/task; progress counts outcomes over the total',
  async (t) => {
    let tasks = mergeTask(new Map(), {
      code: 't1',
      totalCnt: 10,
      successCnt: 3,
      failCnt: 1,
      rejectCnt: 1,
      missCnt: 1,
      rate: 1.5,
      status: 2,
      runningCnt: 2,
    });
    t.equal(taskProgress(tasks.get('t1')!), 0.5);
    tasks = mergeTask(tasks, { callTaskCode: 't1', status: 3 });
    t.match(tasks.get('t1'), { status: 3, totalCnt: 10, successCnt: 3 });
    t.equal(taskProgress({ ...tasks.get('t1')!, totalCnt: 0 }), 0);
    t.equal(mergeTask(tasks, { status: 2 }).size, 1);
    // Issue 17.12: why it is not dialling arrives on either topic, stays until a message says otherwise.
    tasks = mergeTask(tasks, {
      callTaskCode: 't1',
      notDialling: { reason: 'freeswitch-unreachable', detail: 'FreeSWITCH node fs1 is not connected' },
    });
    t.equal(tasks.get('t1')?.notDialling, 'FreeSWITCH node fs1 is not connected');
    tasks = mergeTask(tasks, { code: 't1', runningCnt: 0 });
    t.equal(tasks.get('t1')?.notDialling, 'FreeSWITCH node fs1 is not connected');
    tasks = mergeTask(tasks, { code: 't1', notDialling: null });
    t.equal(tasks.get('t1')?.notDialling, null);
  },
);

t.test('codes read as Chinese with English, with a tone', async (t) => {
  t.same(workLabel(1), { text: '空闲 available', tone: 'ok' });
  t.same(workLabel(0).tone, 'warn');
  t.same(workLabel(-1).tone, 'bad');
  t.same(sessionLabel(10).text, '通话中 talking');
  t.same(sessionLabel(7).text, '会议中 conference');
  t.same(regLabel(1).tone, 'ok');
  t.same(regLabel(0).tone, 'bad');
  t.same(taskLabel(2).text, '运行中 running');
  t.same(taskLabel(99).tone, 'muted');
  t.equal(durationText(65_000), '1:05');
  t.equal(durationText(3_723_000), '1:02:03');
  t.equal(durationText(-5), '0:00');
});

t.test('notify bodies become a text and a tone', async (t) => {
  t.same(noticeOf({ duration: '3', msgType: 'success', data: '置闲成功', type: 'message' }), {
    text: '置闲成功',
    tone: 'ok',
  });
  t.same(noticeOf({ msgType: 'error', data: 'unknown command /app/x' }).tone, 'bad');
  t.same(noticeOf('plain'), { text: 'plain', tone: 'muted' });
  t.same(noticeOf({ data: { a: 1 } }).text, '{"a":1}');
});

t.test('the link fragment carries the certificate; ?sip= overrides or turns off the softphone', async (t) => {
  t.same(linkedClaim('#certificate=ABC&username=1001'), { certificate: 'ABC', username: '1001' });
  t.same(linkedClaim(''), { certificate: undefined, username: undefined });
  t.equal(sipServer('', 'wss://fs:7443'), 'wss://fs:7443');
  t.equal(sipServer('?sip=ws://127.0.0.1:5066', 'wss://fs:7443'), 'ws://127.0.0.1:5066');
  t.equal(sipServer('?sip=off', 'wss://fs:7443'), null);
});
