// What a restart learns from FreeSWITCH's channel list (calls/recovery.ts): agents on live legs, and which
// leftover customer legs nobody is bridged to.
import t from 'tap';
import { planRecovery } from '../../src/calls/recovery.js';

const rows = [
  // A customer talking with agent 1000 (the agent leg shares the customer's call_uuid).
  { uuid: 'cust-1', call_uuid: 'cust-1', name: 'sofia/external/13600000001', cid_num: '0000000000' },
  {
    uuid: 'agent-1',
    call_uuid: 'cust-1',
    name: 'sofia/internal/1000-0x55@127.0.0.1:5200',
    presence_id: '1000@127.0.0.1',
    cid_num: '13600000001',
  },
  // A customer left waiting with hold music.
  { uuid: 'cust-2', call_uuid: 'cust-2', name: 'sofia/external/13600000002', cid_num: '0000000000' },
  // An internal call of agent 1001, known by its channel name only.
  { uuid: 'int-1', name: 'sofia/internal/1001@127.0.0.1', cid_num: '1001' },
];

t.test('agents with a live leg are busy; leftover customers nobody talks to are orphans', async (t) => {
  const plan = planRecovery(rows, new Set(['1000', '1001', '1002']), new Set(['cust-1', 'cust-2', 'gone']));
  t.same(
    plan.busyAgents.map((b) => [b.username, b.uuid]),
    [
      ['1000', 'agent-1'],
      ['1001', 'int-1'],
    ],
  );
  t.same(plan.orphans, ['cust-2'], 'the bridged customer stays; a call that is gone is no orphan');
  t.ok(plan.live.has('cust-1') && !plan.live.has('gone'));
});

t.test('extensions of other nodes or projects are left alone', async (t) => {
  const plan = planRecovery(rows, new Set(['2000']), new Set());
  t.same(plan.busyAgents, []);
});
