// The contract's destinations (callcenter-api.md §三) spelled out once, against the catalogue everything else uses.
import t from 'tap';
import { parseTopic, Topics } from '../../src/core/topics.js';

t.test('each destination family is spelled as the contract writes it', async (t) => {
  t.equal(Topics.register('8001'), '/topic/register/8001');
  t.equal(Topics.call('8001'), '/topic/call/8001');
  t.equal(Topics.status('8001'), '/topic/status/8001');
  t.equal(Topics.invite('8001'), '/topic/invite/8001');
  t.equal(Topics.bye('8001'), '/topic/bye/8001');
  t.equal(Topics.transfer('8001'), '/topic/transfer/8001');
  t.equal(Topics.task('P1'), '/topic/task/P1');
  t.equal(Topics.callExtStatus('P1'), '/topic/callExtStatus/P1');
  t.equal(Topics.callTaskStatus('P1'), '/topic/callTaskStatus/P1');
  t.equal(Topics.wallboard('P1'), '/topic/wallboard/P1');
  t.equal(Topics.notify('P1', '8001'), '/topic/notify/P1/8001');
});

t.test('a destination is read back into its kind, and anything else is none of ours', async (t) => {
  t.same(parseTopic(Topics.bye('8001')), { kind: 'user', name: 'bye', username: '8001' });
  t.same(parseTopic(Topics.wallboard('P1')), { kind: 'project', name: 'wallboard', projectCode: 'P1' });
  t.same(parseTopic(Topics.notify('P1', '8001')), { kind: 'notify', projectCode: 'P1', username: '8001' });
  for (const bad of [
    '/topic/bye',
    '/topic/bye/',
    '/topic/other/1',
    '/queue/bye/1',
    '/topic/bye/1/2',
    '/topic//1',
  ])
    t.equal(parseTopic(bad), null, bad);
});
